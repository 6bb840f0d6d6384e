"""A subscription's diagnostic settings (the Activity Log's export) as Microsoft.Insights answers them
(api-version 2021-05-01-preview): listed, read, created or replaced (PUT) and deleted, from the subscription's
own settings.

Decided as Azure decides: a setting sends to at least one destination (a Log Analytics workspace, a storage
account, an Event Hubs authorization rule or a partner solution), each destination exists, and each log is one
of the Activity Log's categories. Source:
https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings and
https://learn.microsoft.com/rest/api/monitor/subscription-diagnostic-settings
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Body, route
from sandbox.state import Sub

TYPE = "microsoft.insights/diagnosticsettings"
SETTINGS = "/subscriptions/{subscription}/providers/Microsoft.Insights/diagnosticSettings"
ACTION = "Microsoft.Insights/diagnosticSettings/"
CATEGORIES = {c.lower(): c for c in ("Administrative", "Security", "ServiceHealth", "Alert", "Recommendation",
                                      "Policy", "Autoscale", "ResourceHealth")}
DESTINATIONS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def _bad(message: str) -> ArmFailure:
    return ArmFailure(400, "BadRequest", message)


class DiagnosticSettingsApi(ArmApi):
    @staticmethod
    def _settings(sub: Sub) -> dict[str, dict[str, Any]]:
        return sub.settings.setdefault(TYPE, {})

    @staticmethod
    def _body(sub: Sub, setting: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"/subscriptions/{sub.id}/providers/microsoft.insights/diagnosticSettings/{setting['name']}",
                "name": setting["name"], "type": "Microsoft.Insights/diagnosticSettings",
                "properties": setting["properties"]}

    def _checked(self, name: str, props: Any) -> dict[str, Any]:
        if not isinstance(props, dict):
            raise _bad("The request body must carry properties.")
        sinks = [props[k] for k in DESTINATIONS if props.get(k)]
        if not sinks:
            raise _bad(f"Diagnostic setting {name} must send to a workspace, a storage account, an event hub or a "
                       "partner solution.")
        for key in ("workspaceId", "storageAccountId"):
            target = props.get(key)
            if target and self.world.resource(str(target)) is None:
                raise _bad(f"The resource '{target}' of {key} could not be found.")
        logs = props.get("logs") or []
        if not isinstance(logs, list) or not all(isinstance(x, dict) for x in logs):
            raise _bad("logs must be a list of categories.")
        for entry in logs:
            category = str(entry.get("category", ""))
            if category.lower() not in CATEGORIES:
                raise _bad(f"Category '{category}' is not supported for the subscription's Activity Log.")
        return props

    @route("GET", SETTINGS, "SubscriptionDiagnosticSettings_List", action=ACTION + "read")
    async def list_settings(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer({"value": [self._body(sub, s) for s in self._settings(sub).values()]})

    @route("GET", SETTINGS + "/{name}", "SubscriptionDiagnosticSettings_Get", action=ACTION + "read")
    async def get_setting(self, request: web.Request, caller: Caller, *, subscription: str,
                          name: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        found = self._settings(sub).get(name.lower())
        if found is None:
            raise ArmFailure(404, "ResourceNotFound", f"The diagnostic setting '{name}' doesn't exist.")
        return self.answer(self._body(sub, found))

    @route("PUT", SETTINGS + "/{name}", "SubscriptionDiagnosticSettings_CreateOrUpdate", action=ACTION + "write",
           body=Body.REQUIRED)
    async def put_setting(self, request: web.Request, caller: Caller, *, subscription: str, name: str,
                          body: dict[str, Any]) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        props = self._checked(name, body.get("properties"))
        existing = self._settings(sub).get(name.lower())
        setting = {"name": existing["name"] if existing else name, "properties": props}
        self._settings(sub)[name.lower()] = setting
        self.changed()
        return self.answer(self._body(sub, setting))

    @route("DELETE", SETTINGS + "/{name}", "SubscriptionDiagnosticSettings_Delete", action=ACTION + "delete")
    async def delete_setting(self, request: web.Request, caller: Caller, *, subscription: str,
                             name: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        if self._settings(sub).pop(name.lower(), None) is not None:
            self.changed()
        return web.Response(status=200)
