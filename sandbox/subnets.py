"""A virtual network's subnets, as Microsoft.Network answers them: GET and PUT of
`virtualNetworks/{vnet}/subnets/{subnet}` (the PUT replaces the subnet's properties, which is how a NAT
gateway is attached or removed). A NAT gateway must exist, in the network's subscription and region; a
subnet with one cannot move (`sandbox.movability`). The PUT answers 200 with the final state.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from sandbox.moves import ArmFailure, check_write_allowed
from sandbox.scopes import Call, bind, resource_of_type
from sandbox.state import Res, World

VNET = "microsoft.network/virtualnetworks"
NAT = "microsoft.network/natgateways"


class SubnetApi:
    def __init__(self, world: World, answer: Any, changed: Any) -> None:
        self.world = world
        self._answer = answer
        self._changed = changed

    def route(self, method: str, parts: list[str]) -> Call | None:
        low = [p.lower() for p in parts]
        if (len(low) != 10 or low[2] != "resourcegroups" or low[4:6] != ["providers", "microsoft.network"]
                or low[6] != "virtualnetworks" or low[8] != "subnets" or method not in ("GET", "PUT")):
            return None
        vnet = "/" + "/".join(parts[:8])
        reading = method == "GET"
        return Call("Subnets_Get" if reading else "Subnets_CreateOrUpdate", "reads" if reading else "writes",
                    f"Microsoft.Network/virtualNetworks/subnets/{'read' if reading else 'write'}", vnet,
                    bind(self.get if reading else self.put, vnet, parts[9]))

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

    async def get(self, request: web.Request, rid: str, name: str) -> web.Response:
        _, vnet = resource_of_type(self.world, rid, VNET)
        subnet = self._find(vnet, name)
        if subnet is None:
            raise ArmFailure(404, "NotFound", f"Resource {vnet.id}/subnets/{name} not found.")
        return self._answer(self._body(vnet, subnet), 200)

    async def put(self, request: web.Request, rid: str, name: str) -> web.Response:
        group, vnet = resource_of_type(self.world, rid, VNET)
        check_write_allowed(self.world, group)
        try:
            body = await request.json()
        except ValueError:
            body = None
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict) or not props.get("addressPrefix") and not props.get("addressPrefixes"):
            raise ArmFailure(400, "InvalidRequestFormat", "properties.addressPrefix is required for a subnet.")
        nat_id = str((props.get("natGateway") or {}).get("id") or "") if isinstance(props.get("natGateway"),
                                                                                     dict) else ""
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
        self._changed()
        return self._answer(self._body(vnet, subnet), 200 if existing else 201)
