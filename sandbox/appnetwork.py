"""An App Service app's regional VNet integration, as Microsoft.Web answers it (api-version 2023-12-01):
`sites/{app}/networkConfig/virtualNetwork` GET, PUT and DELETE. The app's `virtualNetworkSubnetId` follows.

Azure wants the subnet in the app's region; the network may be in another subscription of the same tenant
(learn.microsoft.com, "Enable integration with an Azure virtual network"). An app with VNet integration
cannot move (`sandbox.movability`). Writes answer 200 with the final state.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi, member
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import check_write_allowed
from sandbox.routing import Body, Within, route
from sandbox.state import Group, Res

SITE_TYPE = "Microsoft.Web/sites"
VNET = "microsoft.network/virtualnetworks"
CONNECTION = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Web/sites/{site}" \
             "/networkConfig/virtualNetwork"
ACTION = "Microsoft.Web/sites/networkConfig/"


class AppNetworkApi(ArmApi):
    def _body(self, site: Res) -> dict[str, Any]:
        return {"id": f"{site.id}/networkConfig/virtualNetwork", "name": "virtualNetwork",
                "type": "Microsoft.Web/sites/networkConfig",
                "properties": {"subnetResourceId": site.properties.get("virtualNetworkSubnetId") or None,
                               "swiftSupported": True}}

    @route("GET", CONNECTION, "WebApps_GetSwiftVirtualNetworkConnection", action=ACTION + "read",
           within=Within.RESOURCE)
    async def get(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                  site: str) -> web.Response:
        return self.answer(self._body(self.resource(subscription, group, SITE_TYPE, site)[1]))

    @route("PUT", CONNECTION, "WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck", action=ACTION + "write",
           within=Within.RESOURCE, body=Body.REQUIRED)
    async def put(self, request: web.Request, caller: Caller, *, subscription: str, group: str, site: str,
                  body: dict[str, Any]) -> web.Response:
        subnet_id = str(member(body, "properties").get("subnetResourceId") or "")
        return self._put(*self.resource(subscription, group, SITE_TYPE, site), subnet_id)

    def _put(self, group: Group, site: Res, subnet_id: str) -> web.Response:
        check_write_allowed(self.world, group)
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
        self.changed()
        return self.answer(self._body(site), 200)

    @route("DELETE", CONNECTION, "WebApps_DeleteSwiftVirtualNetwork", action=ACTION + "delete",
           within=Within.RESOURCE)
    async def delete(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                     site: str) -> web.Response:
        held, found = self.resource(subscription, group, SITE_TYPE, site)
        check_write_allowed(self.world, held)
        if found.properties.pop("virtualNetworkSubnetId", None):
            self.changed()
        return web.Response(status=200)
