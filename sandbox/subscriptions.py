"""Subscriptions, resource groups and the resources in them, as Microsoft.Resources answers them: the
subscriptions a token sees, a subscription, its groups (read, checked, created or updated), and its resources
listed with the `$filter` subset the bot sends."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sandbox.answers import arm_headers
from sandbox.api import ArmApi, member
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import check_write_allowed
from sandbox.routing import Body, Within, route
from sandbox.state import Group, Res, Sub

SUBSCRIPTION = "/subscriptions/{subscription}"
GROUP = SUBSCRIPTION + "/resourceGroups/{group}"
GROUPS_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/"
_FILTER = re.compile(r"^\s*(resourceType|resourceGroup|name|location)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)
_GROUP_NAME = re.compile(r"[-\w._()]{1,90}")


def subscription_body(sub: Sub) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub.id}", "authorizationSource": "RoleBased", "managedByTenants": [],
        "subscriptionId": sub.id, "tenantId": sub.tenant_id, "displayName": sub.display_name, "state": sub.state,
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": sub.quota_id,
                                 "spendingLimit": sub.spending_limit},
    }


def group_body(group: Group) -> dict[str, Any]:
    body: dict[str, Any] = {"id": group.id, "name": group.name, "type": "Microsoft.Resources/resourceGroups",
                            "location": group.location, "properties": {"provisioningState": "Succeeded"}}
    if group.managed_by:
        body["managedBy"] = group.managed_by
    if group.tags:
        body["tags"] = group.tags
    return body


def resource_body(res: Res, expand: str) -> dict[str, Any]:
    body: dict[str, Any] = {"id": res.id, "name": res.name, "type": res.type}
    for key, value in (("kind", res.kind), ("sku", res.sku), ("plan", res.plan),
                       ("managedBy", res.managed_by), ("identity", res.identity)):
        if value:
            body[key] = value
    body["location"] = res.location
    if res.tags:
        body["tags"] = res.tags
    if "provisioningstate" in expand.lower():
        body["provisioningState"] = res.properties.get("provisioningState", "Succeeded")
    return body


def filtered(items: list[Res], expression: str) -> list[Res]:
    """`<field> eq '<value>'` clauses joined by `and` (the subset of Resources_List $filter served)."""
    out = items
    for clause in re.split(r"\s+and\s+", expression, flags=re.IGNORECASE):
        m = _FILTER.match(clause)
        if not m:
            raise ArmFailure(400, "InvalidFilterInQueryString",
                             f"Invalid $filter '{expression}'; the sandbox supports resourceType, resourceGroup, "
                             "name and location with 'eq', joined by 'and'.")
        field, value = m[1].lower(), m[2].lower()
        attr = {"resourcetype": "type", "resourcegroup": "group"}.get(field, field)
        out = [r for r in out if str(getattr(r, attr)).lower() == value]
    return out


class SubscriptionApi(ArmApi):
    @route("GET", "/subscriptions", "Subscriptions_List", action=None, within=Within.TENANT)
    async def list_subscriptions(self, request: web.Request, caller: Caller) -> web.Response:
        subs = [subscription_body(s) for s in self.world.subscriptions.values() if self.runtime.auth.sees(caller, s)]
        return self.answer({"value": subs, "count": {"type": "Total", "value": len(subs)}})

    @route("GET", SUBSCRIPTION, "Subscriptions_Get", action="Microsoft.Resources/subscriptions/read")
    async def get_subscription(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        return self.answer(subscription_body(self.find_subscription(caller, subscription)))

    @route("GET", SUBSCRIPTION + "/resourceGroups", "ResourceGroups_List", action=GROUPS_ACTION + "read")
    async def list_groups(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer(self.page(request, [group_body(g) for g in sub.groups.values()]))

    @route("GET", GROUP, "ResourceGroups_Get", action=GROUPS_ACTION + "read", within=Within.GROUP)
    @route("HEAD", GROUP, "ResourceGroups_CheckExistence", action=GROUPS_ACTION + "read", within=Within.GROUP)
    async def get_group(self, request: web.Request, caller: Caller, *, subscription: str,
                        group: str) -> web.Response:
        found = self.find_group(self.find_subscription(caller, subscription), group)
        if request.method == "HEAD":
            return web.Response(status=204, headers=arm_headers())
        return self.answer(group_body(found))

    @route("PUT", GROUP, "ResourceGroups_CreateOrUpdate", action=GROUPS_ACTION + "write", within=Within.GROUP,
           body=Body.REQUIRED)
    async def put_group(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                        body: dict[str, Any]) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        location = body.get("location")
        if not isinstance(location, str) or not location:
            raise ArmFailure(400, "LocationRequired", "The location property is required for this definition.")
        if not _GROUP_NAME.fullmatch(group) or group.endswith("."):
            raise ArmFailure(400, "InvalidResourceGroupName", f"The resource group name '{group}' is invalid.")
        found = sub.groups.get(group.lower())
        if found is not None:
            check_write_allowed(self.world, found)
            if found.location.lower() != location.lower():
                raise ArmFailure(409, "InvalidResourceGroupLocation",
                                 f"Invalid resource group location '{location}'. The Resource group already "
                                 f"exists in location '{found.location}'.")
            if "tags" in body:
                found.tags = dict(member(body, "tags"))
            status = 200
        else:
            if any(str(lock.get("level", "")).lower() == "readonly" for lock in sub.locks):
                raise ArmFailure(409, "ScopeLocked",
                                 f"The scope '/subscriptions/{sub.id}/resourceGroups/{group}' cannot perform write "
                                 f"operation because following scope(s) are locked: '/subscriptions/{sub.id}'. "
                                 "Please remove the lock and try again.")
            found = Group(sub.id, group, location, dict(member(body, "tags")), managed_by=body.get("managedBy"))
            sub.groups[group.lower()] = found
            status = 201
        self.changed()
        return self.answer(group_body(found), status)

    @route("GET", SUBSCRIPTION + "/resources", "Resources_List",
           action="Microsoft.Resources/subscriptions/resources/read")
    async def list_resources(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        return self._resources(request, list(self.world.resources(self.find_subscription(caller, subscription))))

    @route("GET", GROUP + "/resources", "Resources_ListByResourceGroup", action=GROUPS_ACTION + "resources/read",
           within=Within.GROUP)
    async def list_group_resources(self, request: web.Request, caller: Caller, *, subscription: str,
                                   group: str) -> web.Response:
        found = self.find_group(self.find_subscription(caller, subscription), group)
        return self._resources(request, list(found.resources.values()))

    def _resources(self, request: web.Request, items: list[Res]) -> web.Response:
        if "$filter" in request.query:
            items = filtered(items, request.query["$filter"])
        expand = request.query.get("$expand", "")
        return self.answer(self.page(request, [resource_body(r, expand) for r in items]))
