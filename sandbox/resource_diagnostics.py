"""A resource's diagnostic settings as Microsoft.Insights answers them (api-version 2021-05-01-preview): listed at a
top-level resource's scope (`{resource}/providers/Microsoft.Insights/diagnosticSettings`), each with the workspace,
storage account or event hub it sends to. Resource Graph does not list them; they are extension resources of the
resource (the subscription's own are `sandbox.diagnostics`). Shape: Azure/azure-rest-api-specs
`specification/monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/diagnosticsSettings_API.json`.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Within, route
from sandbox.state import resource_id

SETTINGS = "/providers/Microsoft.Insights/diagnosticSettings"
RESOURCE = "/subscriptions/{subscription}/resourceGroups/{group}/providers/{namespace}/{collection}/{name}"


class ResourceDiagnosticSettingsApi(ArmApi):
    @route("GET", RESOURCE + SETTINGS, "DiagnosticSettings_List", action="Microsoft.Insights/diagnosticSettings/read",
           within=Within.RESOURCE)
    async def list_settings(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                            namespace: str, collection: str, name: str) -> web.Response:
        self.find_subscription(caller, subscription)
        res = self.world.resource(resource_id(subscription, group, f"{namespace}/{collection}", name))
        if res is None:
            raise ArmFailure(404, "ResourceNotFound",
                             f"The Resource '{namespace}/{collection}/{name}' under resource group '{group}' was "
                             "not found.")
        return self.answer({"value": [
            {"id": f"{res.id}{SETTINGS}/{d['name']}", "name": d["name"],
             "type": "Microsoft.Insights/diagnosticSettings", "properties": dict(d.get("properties") or {})}
            for d in res.diagnostic_settings]})
