"""A resource's diagnostic settings as Microsoft.Insights answers them (api-version 2021-05-01-preview):
listed at the resource's scope (`{resource}/providers/Microsoft.Insights/diagnosticSettings`), each with the
workspace, storage account or event hub it sends to. Resource Graph does not list them; they are extension
resources of the resource. Shape: Azure/azure-rest-api-specs `specification/monitor/resource-manager/
Microsoft.Insights/preview/2021-05-01-preview/diagnosticsSettings_API.json`.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Within, route
from sandbox.scopes import resolve

SETTINGS = "/providers/Microsoft.Insights/diagnosticSettings"


class DiagnosticSettingsApi(ArmApi):
    @route("GET", "/{scope}" + SETTINGS, "DiagnosticSettings_List", action="Microsoft.Insights/diagnosticSettings/read",
           within=Within.SCOPE)
    async def list_settings(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...]) -> web.Response:
        found = resolve(self.world, scope)
        if found.res is None:
            raise ArmFailure(400, "InvalidResourceType", "Diagnostic settings are listed on a resource.")
        return self.answer({"value": [
            {"id": f"{found.res.id}{SETTINGS}/{d['name']}", "name": d["name"],
             "type": "Microsoft.Insights/diagnosticSettings", "properties": dict(d.get("properties") or {})}
            for d in found.res.diagnostic_settings]})
