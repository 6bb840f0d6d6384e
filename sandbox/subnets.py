"""A virtual network's subnets, as Microsoft.Network answers them: GET and PUT of
`virtualNetworks/{vnet}/subnets/{subnet}` (the PUT replaces the subnet's properties, which is how a NAT
gateway is attached or removed). A NAT gateway must exist, in the network's subscription and region; a
subnet with one cannot move (`sandbox.movability`). The PUT answers 200 with the final state.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from sandbox.api import ArmApi, member
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import check_write_allowed
from sandbox.routing import Body, Within, route
from sandbox.state import Group, Res

VNET_TYPE = "Microsoft.Network/virtualNetworks"
SUBNET = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/{vnet}" \
         "/subnets/{name}"
NAT = "microsoft.network/natgateways"


class SubnetApi(ArmApi):
    @staticmethod
    def _find(vnet: Res, name: str) -> dict[str, Any] | None:
        return next((s for s in vnet.properties.get("subnets") or [] if isinstance(s, dict)
                     and str(s.get("name", "")).lower() == name.lower()), None)

    @staticmethod
    def _body(vnet: Res, subnet: dict[str, Any]) -> dict[str, Any]:
        props = copy.deepcopy(subnet.get("properties") or {})
        props["provisioningState"] = "Succeeded"
        return {"id": f"{vnet.id}/subnets/{subnet['name']}", "name": subnet["name"],
                "type": "Microsoft.Network/virtualNetworks/subnets", "properties": props}

    @route("GET", SUBNET, "Subnets_Get", action="Microsoft.Network/virtualNetworks/subnets/read",
           within=Within.RESOURCE)
    async def get(self, request: web.Request, caller: Caller, *, subscription: str, group: str, vnet: str,
                  name: str) -> web.Response:
        return self._get(self.resource(subscription, group, VNET_TYPE, vnet)[1], name)

    def _get(self, vnet: Res, name: str) -> web.Response:
        subnet = self._find(vnet, name)
        if subnet is None:
            raise ArmFailure(404, "NotFound", f"Resource {vnet.id}/subnets/{name} not found.")
        return self.answer(self._body(vnet, subnet), 200)

    @route("PUT", SUBNET, "Subnets_CreateOrUpdate", action="Microsoft.Network/virtualNetworks/subnets/write",
           within=Within.RESOURCE, body=Body.REQUIRED)
    async def put(self, request: web.Request, caller: Caller, *, subscription: str, group: str, vnet: str, name: str,
                  body: dict[str, Any]) -> web.Response:
        return self._put(*self.resource(subscription, group, VNET_TYPE, vnet), name, member(body, "properties"))

    def _put(self, group: Group, vnet: Res, name: str, props: dict[str, Any]) -> web.Response:
        check_write_allowed(self.world, group)
        if not props.get("addressPrefix") and not props.get("addressPrefixes"):
            raise ArmFailure(400, "InvalidRequestFormat", "properties.addressPrefix is required for a subnet.")
        nat_id = str(member(props, "natGateway").get("id") or "")
        if nat_id:
            nat = self.world.resource(nat_id)
            if nat is None or nat.type.lower() != NAT:
                raise ArmFailure(400, "InvalidResourceReference",
                                 f"Resource {nat_id} referenced by resource {vnet.id}/subnets/{name} was not found.")
            if nat.subscription_id.lower() != vnet.subscription_id.lower() or nat.location.lower() != \
                    vnet.location.lower():
                raise ArmFailure(400, "NatGatewayAndSubnetMustBeInSameRegionAndSubscription",
                                 f"NAT gateway {nat_id} must be in the subscription and region of {vnet.id}.")
        stored = {k: v for k, v in props.items() if k not in ("provisioningState",) and v is not None}
        existing = self._find(vnet, name)
        subnet = {"name": existing["name"] if existing else name, "properties": stored}
        subnets = vnet.properties.setdefault("subnets", [])
        if existing is not None:
            subnets[subnets.index(existing)] = subnet
        else:
            subnets.append(subnet)
        self.changed()
        return self.answer(self._body(vnet, subnet), 200 if existing else 201)
