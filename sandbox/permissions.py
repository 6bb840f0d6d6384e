"""Microsoft.Authorization/permissions of a subscription: what the caller may do there, one entry per role
it holds (`sandbox.auth` decides)."""

from __future__ import annotations

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.routing import route


class PermissionApi(ArmApi):
    @route("GET", "/subscriptions/{subscription}/providers/Microsoft.Authorization/permissions",
           "Permissions_ListForSubscription", action=None)
    async def list_permissions(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer({"value": self.runtime.auth.permissions(caller, sub)})
