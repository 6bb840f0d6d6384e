"""An App Service app's regional VNet integration, as Microsoft.Web answers it (api-version 2023-12-01):
`sites/{app}/networkConfig/virtualNetwork` GET, PUT and DELETE. The app's `virtualNetworkSubnetId` follows.

Azure wants the subnet in the app's region; the network may be in another subscription of the same tenant
(learn.microsoft.com, "Enable integration with an Azure virtual network"). An app with VNet integration
cannot move (`sandbox.movability`). Writes answer 200 with the final state.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.moves import ArmFailure, check_write_allowed
from sandbox.scopes import Call, bind, resource_of_type
from sandbox.state import Res, World

SITE = "microsoft.web/sites"
VNET = "microsoft.network/virtualnetworks"


class AppNetworkApi:
    def __init__(self, world: World, answer: Any, changed: Any) -> None:
        self.world = world
        self._answer = answer
        self._changed = changed

    def route(self, method: str, parts: list[str]) -> Call | None:
        low = [p.lower() for p in parts]
        if (len(low) != 10 or low[2] != "resourcegroups" or low[4:7] != ["providers", "microsoft.web", "sites"]
                or low[8:] != ["networkconfig", "virtualnetwork"] or method not in ("GET", "PUT", "DELETE")):
            return None
        site = "/" + "/".join(parts[:8])
        op, verb, handler = {
            "GET": ("WebApps_GetSwiftVirtualNetworkConnection", "read", self.get),
            "PUT": ("WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck", "write", self.put),
            "DELETE": ("WebApps_DeleteSwiftVirtualNetwork", "delete", self.delete)}[method]
        return Call(op, "reads" if method == "GET" else "writes", f"Microsoft.Web/sites/networkConfig/{verb}",
                    site, bind(handler, site))

    def _body(self, site: Res) -> dict[str, Any]:
        return {"id": f"{site.id}/networkConfig/virtualNetwork", "name": "virtualNetwork",
                "type": "Microsoft.Web/sites/networkConfig",
                "properties": {"subnetResourceId": site.properties.get("virtualNetworkSubnetId") or None,
                               "swiftSupported": True}}

    async def get(self, request: web.Request, rid: str) -> web.Response:
        _, site = resource_of_type(self.world, rid, SITE)
        return self._answer(self._body(site), 200)

    async def put(self, request: web.Request, rid: str) -> web.Response:
        group, site = resource_of_type(self.world, rid, SITE)
        check_write_allowed(self.world, group)
        try:
            body = await request.json()
        except ValueError:
            body = None
        subnet_id = str(((body or {}).get("properties") or {}).get("subnetResourceId") or "") \
            if isinstance(body, dict) else ""
        parts = subnet_id.strip("/").split("/")
        if len(parts) != 10 or parts[8].lower() != "subnets":
            raise ArmFailure(400, "InvalidRequestFormat", "properties.subnetResourceId must name a subnet.")
        vnet = self.world.resource("/" + "/".join(parts[:8]))
        subnet = next((s for s in (vnet.properties.get("subnets") or []) if isinstance(s, dict)
                       and str(s.get("name", "")).lower() == parts[9].lower()), None) if vnet is not None else None
        if vnet is None or vnet.type.lower() != VNET or subnet is None:
            raise ArmFailure(404, "SubnetNotFound", f"Subnet '{subnet_id}' was not found.")
        vnet_sub = self.world.sub(vnet.subscription_id)
        site_sub = self.world.sub(site.subscription_id)
        if vnet_sub is None or site_sub is None or vnet_sub.tenant_id != site_sub.tenant_id:
            raise ArmFailure(400, "LinkedAuthorizationFailed",
                             f"The subnet '{subnet_id}' is in another tenant than the app '{site.id}'.")
        if vnet.location.lower() != site.location.lower():
            raise ArmFailure(400, "VnetAndAppMustBeInSameRegion",
                             f"The virtual network is in {vnet.location}; the app '{site.name}' in {site.location}.")
        site.properties["virtualNetworkSubnetId"] = f"{vnet.id}/subnets/{subnet['name']}"
        self._changed()
        return self._answer(self._body(site), 200)

    async def delete(self, request: web.Request, rid: str) -> web.Response:
        group, site = resource_of_type(self.world, rid, SITE)
        check_write_allowed(self.world, group)
        if site.properties.pop("virtualNetworkSubnetId", None):
            self._changed()
        return web.Response(status=200)
