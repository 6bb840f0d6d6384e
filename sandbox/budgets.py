"""Budgets as Microsoft.Consumption answers them at subscription scope (api-version 2024-08-01): listed, read,
created or updated (PUT) and deleted, from the subscription's own settings.

Decided as Azure decides: `category`, `amount`, `timeGrain` and `timePeriod.startDate` are required, the start
date is the first of a month and cannot be changed on an existing budget, a notification's threshold is above 0
and at most 1000 percent with at least one contact (email, role or action group); and a PUT to a name that
exists without that budget's current eTag is refused, so nobody overwrites a budget they did not read (400, as
Azure says it). Source: https://learn.microsoft.com/rest/api/consumption/budgets/create-or-update
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Body, route
from sandbox.state import Sub

TYPE = "microsoft.consumption/budgets"
BUDGETS = "/subscriptions/{subscription}/providers/Microsoft.Consumption/budgets"
ACTION = "Microsoft.Consumption/budgets/"
CATEGORIES = {"cost": "Cost"}
GRAINS = {g.lower(): g for g in ("Monthly", "Quarterly", "Annually", "BillingMonth", "BillingQuarter",
                                 "BillingAnnual")}
_FIRST_OF_MONTH = re.compile(r"^\d{4}-\d{2}-01(T00:00:00(\.0+)?Z?)?$")


def _bad(message: str) -> ArmFailure:
    return ArmFailure(400, "BadRequest", message)


def _checked(name: str, props: Any) -> dict[str, Any]:
    if not isinstance(props, dict):
        raise _bad("The request body must carry properties.")
    category = CATEGORIES.get(str(props.get("category", "")).lower())
    grain = GRAINS.get(str(props.get("timeGrain", "")).lower())
    amount = props.get("amount")
    period = props.get("timePeriod")
    start = period.get("startDate") if isinstance(period, dict) else None
    if category is None or grain is None or not isinstance(amount, int | float) or amount <= 0:
        raise _bad(f"Budget {name}: category (Cost), a positive amount and a timeGrain are required.")
    if not isinstance(start, str) or not _FIRST_OF_MONTH.match(start):
        raise _bad(f"Budget {name}: the start date must be the first of a month.")
    for key, note in (props.get("notifications") or {}).items():
        threshold = note.get("threshold") if isinstance(note, dict) else None
        if not isinstance(threshold, int | float) or not 0 < threshold <= 1000:
            raise _bad(f"Budget {name}: notification {key} needs a threshold above 0 and at most 1000.")
        if not (note.get("contactEmails") or note.get("contactRoles") or note.get("contactGroups")):
            raise _bad(f"Budget {name}: notification {key} needs a contact email, role or action group.")
    return {**props, "category": category, "timeGrain": grain}


class BudgetApi(ArmApi):
    @staticmethod
    def _budgets(sub: Sub) -> dict[str, dict[str, Any]]:
        return sub.settings.setdefault(TYPE, {})

    @staticmethod
    def _body(sub: Sub, budget: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"/subscriptions/{sub.id}/providers/Microsoft.Consumption/budgets/{budget['name']}",
                "name": budget["name"], "type": "Microsoft.Consumption/budgets", "eTag": budget.get("eTag", ""),
                "properties": budget["properties"]}

    @route("GET", BUDGETS, "Budgets_List", action=ACTION + "read")
    async def list_budgets(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer(self.page(request, [self._body(sub, b) for b in self._budgets(sub).values()]))

    @route("GET", BUDGETS + "/{name}", "Budgets_Get", action=ACTION + "read")
    async def get_budget(self, request: web.Request, caller: Caller, *, subscription: str,
                         name: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        found = self._budgets(sub).get(name.lower())
        if found is None:
            raise ArmFailure(404, "NotFound", f"Budget {name} was not found.")
        return self.answer(self._body(sub, found))

    @route("PUT", BUDGETS + "/{name}", "Budgets_CreateOrUpdate", action=ACTION + "write", body=Body.REQUIRED)
    async def put_budget(self, request: web.Request, caller: Caller, *, subscription: str, name: str,
                         body: dict[str, Any]) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        props = _checked(name, body.get("properties"))
        existing = self._budgets(sub).get(name.lower())
        if existing is not None:
            if body.get("eTag") != existing.get("eTag"):
                raise _bad(f"There are changes made to Budget {existing['name']}. Please get the latest budget to "
                           "avoid overwrite.")
            if props["timePeriod"].get("startDate") != existing["properties"]["timePeriod"].get("startDate"):
                raise _bad("Start date of budgets cannot be updated. Please delete and create a new budget.")
        budget = {"name": existing["name"] if existing else name, "properties": props,
                  "eTag": f'"{uuid.uuid4().hex[:16]}"'}
        self._budgets(sub)[name.lower()] = budget
        self.changed()
        return self.answer(self._body(sub, budget), 200 if existing else 201)

    @route("DELETE", BUDGETS + "/{name}", "Budgets_Delete", action=ACTION + "delete")
    async def delete_budget(self, request: web.Request, caller: Caller, *, subscription: str,
                            name: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        if self._budgets(sub).pop(name.lower(), None) is not None:
            self.changed()
        return web.Response(status=200)
