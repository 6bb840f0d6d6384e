"""Microsoft.Subscription's alias API (api-version 2021-10-01): a partner creates a CSP subscription in a
customer's tenant with the billing scope `/providers/Microsoft.Billing/billingAccounts/{account}/customers/
{customer}` (spec Azure/azure-rest-api-specs `specification/subscription/resource-manager/Microsoft.Subscription/
stable/2021-10-01/subscriptions.json`, `Alias_Create`).

A long-running PUT: 201 with `provisioningState: Accepted`, the same URL read until `Succeeded`; the
subscription exists from then on, with the CSP offer of its workload and the alias's tags, and its
`subscriptionOwnerId` as Owner. The alias name is only the request's name: a second PUT of an existing alias
answers that alias as it is, whatever its body says ("if you attempt to update properties through the aliases
resource type, those changes aren't retained", learn.microsoft.com/azure/templates/microsoft.subscription/
aliases), so a client must check that the answer is the subscription it asked for.
Refused as Azure refuses: no `displayName` (400 MissingParameter, as Azure/azure-cli #27904 shows), a
`workload` other than Production or DevTest, a billing scope the caller may not use (403), or a customer
without an Azure plan on that account.
"""

from __future__ import annotations

import math
import re
from typing import Any

from aiohttp import web

from sandbox.api import ArmApi, member
from sandbox.auth import Caller
from sandbox.billing import may_read, no_billing_access
from sandbox.directory import Assignment
from sandbox.errors import ArmFailure
from sandbox.partner import CSP_OFFERS, Alias, alias_key
from sandbox.routing import Body, Within, route
from sandbox.state import Sub, World

ALIASES = "/providers/Microsoft.Subscription/aliases"
_SCOPE = re.compile(r"^(?:/providers/Microsoft\.Billing)?/billingAccounts/([^/]+)/customers/([^/]+)$", re.I)
WORKLOADS = ("Production", "DevTest")


def settle_aliases(world: World, now: float) -> bool:
    """Create the subscription of every alias whose time has come; True when the world changed."""
    changed = False
    for alias in world.partner.aliases.values():
        if alias.done or alias.due > now:
            continue
        world.subscriptions[alias.subscription_id.lower()] = Sub(
            alias.subscription_id, alias.tenant_id, alias.display_name,
            quota_id=CSP_OFFERS[alias.workload.lower()], spending_limit="Off", tags=dict(alias.tags))
        if alias.owner_id:
            world.directory.assignments.setdefault(alias.tenant_id.lower(), []).append(
                Assignment(alias.owner_id, "Owner", f"/subscriptions/{alias.subscription_id}",
                           principal_type="ServicePrincipal"))
        alias.done = changed = True
    return changed


def _tenant_of(caller: Caller) -> str:
    return "static-partner" if caller.static else caller.tenant_id.lower()


class AliasApi(ArmApi):
    def _body(self, alias: Alias) -> dict[str, Any]:
        return {"id": f"{ALIASES}/{alias.name}", "name": alias.name, "type": "Microsoft.Subscription/aliases",
                "properties": {
                    "subscriptionId": alias.subscription_id, "displayName": alias.display_name,
                    "provisioningState": "Succeeded" if alias.done else "Accepted",
                    "billingScope": alias.billing_scope, "workload": alias.workload, "resellerId": None,
                    "subscriptionOwnerId": alias.owner_id, "managementGroupId": None,
                    "createdTime": alias.created, "tags": alias.tags}}

    def _answer(self, alias: Alias, status: int) -> web.Response:
        poll = self.runtime.timing.poll_interval
        extra = {} if alias.done else {"retry-after-ms": str(int(poll * 1000))}
        if not alias.done and poll >= 1:
            # azure-core prefers Retry-After over retry-after-ms, so it is only sent in whole seconds.
            extra["Retry-After"] = str(math.ceil(poll))
        return self.answer(self._body(alias), status, extra)

    def _find(self, caller: Caller, name: str) -> Alias:
        alias = self.world.partner.aliases.get(alias_key(_tenant_of(caller), name))
        if alias is None:
            raise ArmFailure(404, "NotFound", f"Alias '{name}' was not found.")
        return alias

    @route("PUT", ALIASES + "/{alias}", "Alias_Create", action=None, within=Within.TENANT, body=Body.REQUIRED)
    async def create(self, request: web.Request, caller: Caller, *, alias: str, body: dict[str, Any]) -> web.Response:
        existing = self.world.partner.aliases.get(alias_key(_tenant_of(caller), alias))
        if existing is not None:
            return self._answer(existing, 200)  # the request's name: what was asked for first stands
        properties = member(body, "properties")
        if not properties.get("displayName"):
            raise ArmFailure(400, "MissingParameter", "Required parameter DisplayName not provided.")
        if properties.get("workload") not in WORKLOADS:
            raise ArmFailure(400, "InvalidWorkload",
                             f"Workload '{properties.get('workload')}' is invalid; use Production or DevTest.")
        scope = _SCOPE.match(str(properties.get("billingScope") or ""))
        if scope is None:
            raise ArmFailure(400, "InvalidBillingScope",
                             f"The billing scope '{properties.get('billingScope')}' is not valid for a partner: "
                             "/providers/Microsoft.Billing/billingAccounts/{account}/customers/{customer}.")
        account = self.world.partner.account(scope[1])
        if account is None or not may_read(caller, account):
            raise no_billing_access(caller, "Microsoft.Subscription/aliases/write", str(properties["billingScope"]))
        customer = account.customers.get(scope[2].lower())
        if customer is None or not customer.azure_plan:
            raise ArmFailure(400, "InvalidBillingScope",
                             f"Customer '{scope[2]}' has no Azure plan on billing account '{account.name}'.")
        extra = member(properties, "additionalProperties")
        tags = {str(k): str(v) for k, v in member(extra, "tags").items()}
        owner = extra.get("subscriptionOwnerId")
        created = self.world.partner.new_alias(
            alias, customer=customer, properties=properties, requested_in=_tenant_of(caller),
            owner_id=str(owner) if owner else None, tags=tags, seconds=self.runtime.timing.lro_seconds)
        self.changed()
        return self._answer(created, 201)

    @route("GET", ALIASES + "/{alias}", "Alias_Get", action=None, within=Within.TENANT)
    async def get(self, request: web.Request, caller: Caller, *, alias: str) -> web.Response:
        return self._answer(self._find(caller, alias), 200)

    @route("GET", ALIASES, "Alias_List", action=None, within=Within.TENANT)
    async def list_aliases(self, request: web.Request, caller: Caller) -> web.Response:
        mine = [self._body(a) for a in self.world.partner.aliases.values() if a.requested_in == _tenant_of(caller)]
        return self.answer({"value": mine})

