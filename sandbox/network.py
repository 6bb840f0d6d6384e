"""The two network writes a move needs around it, as Microsoft.Network answers them:

- a network interface PUT that associates or disassociates a public IP on one of its ipConfigurations
  (the public IP's `ipConfiguration` back-reference follows; an IP in use elsewhere is refused);
- virtual network peerings read, created and deleted. Azure has no "disabled" peering: moving a peered
  network means deleting its peerings and creating them again afterwards (learn.microsoft.com, "Move
  networking resources", Peered virtual network). The remote side of a deleted peering shows
  `Disconnected`; a re-created pair shows `Connected` again.

Both answer 200 with the final state (the SDK's poller sees `Succeeded` and stops).
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from sandbox.moves import ArmFailure, check_write_allowed
from sandbox.scopes import Call, bind, resource_of_type
from sandbox.state import Res, World

NIC = "microsoft.network/networkinterfaces"
VNET = "microsoft.network/virtualnetworks"
PEERING_PROPS = ("allowVirtualNetworkAccess", "allowForwardedTraffic", "allowGatewayTransit", "useRemoteGateways")


def _id_of(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, dict) else ""


class NetworkApi:
    def __init__(self, world: World, answer: Any, changed: Any) -> None:
        self.world = world
        self._answer = answer
        self._changed = changed

    def route(self, method: str, parts: list[str]) -> Call | None:
        low = [p.lower() for p in parts]
        if len(low) < 8 or low[2] != "resourcegroups" or low[4:6] != ["providers", "microsoft.network"]:
            return None
        rid = "/" + "/".join(parts[:8])
        if len(low) == 8 and low[6] == "networkinterfaces" and method in ("GET", "PUT"):
            reading = method == "GET"
            op = "NetworkInterfaces_Get" if reading else "NetworkInterfaces_CreateOrUpdate"
            return Call(op, "reads" if reading else "writes",
                        f"Microsoft.Network/networkInterfaces/{'read' if reading else 'write'}", rid,
                        bind(self.get_nic if reading else self.put_nic, rid))
        if (len(low) == 10 and low[6] == "virtualnetworks" and low[8] == "virtualnetworkpeerings"
                and method in ("GET", "PUT", "DELETE")):
            verb, op, handler = {
                "GET": ("read", "VirtualNetworkPeerings_Get", self.get_peering),
                "PUT": ("write", "VirtualNetworkPeerings_CreateOrUpdate", self.put_peering),
                "DELETE": ("delete", "VirtualNetworkPeerings_Delete", self.delete_peering)}[method]
            return Call(op, "reads" if method == "GET" else "writes",
                        f"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/{verb}", rid,
                        bind(handler, rid, parts[9]))
        return None

    # ------------------------------------------------------------------ network interfaces

    def _nic_body(self, nic: Res) -> dict[str, Any]:
        props = copy.deepcopy(nic.properties)
        props.setdefault("provisioningState", "Succeeded")
        configs = props.get("ipConfigurations") or []
        for config in configs:
            if isinstance(config, dict):
                config.setdefault("id", f"{nic.id}/ipConfigurations/{config.get('name')}")
                config.setdefault("properties", {}).setdefault("provisioningState", "Succeeded")
        props["ipConfigurations"] = configs
        return {"id": nic.id, "name": nic.name, "type": nic.type, "location": nic.location, "tags": nic.tags,
                "properties": props}

    async def get_nic(self, request: web.Request, rid: str) -> web.Response:
        _, nic = resource_of_type(self.world, rid, NIC)
        return self._answer(self._nic_body(nic), 200)

    async def put_nic(self, request: web.Request, rid: str) -> web.Response:
        group, nic = resource_of_type(self.world, rid, NIC)  # the sandbox updates NICs; creating one is not modelled
        check_write_allowed(self.world, group)
        try:
            body = await request.json()
        except ValueError:
            body = None
        wanted = (body or {}).get("properties", {}).get("ipConfigurations") if isinstance(body, dict) else None
        if not isinstance(wanted, list) or not wanted:
            raise ArmFailure(400, "InvalidRequestFormat", "properties.ipConfigurations must list the NIC's "
                             "IP configurations.")
        current = {str(c.get("name", "")).lower(): c for c in nic.properties.get("ipConfigurations") or []}
        changes: list[tuple[dict[str, Any], str, str]] = []  # (config, old ip id, new ip id)
        for config in wanted:
            name = str(config.get("name") or "")
            stored = current.get(name.lower())
            if stored is None:
                raise ArmFailure(400, "IpConfigurationNotFound",
                                 f"IP configuration '{name}' does not exist on network interface '{nic.name}'.")
            old = _id_of(stored.get("properties", {}).get("publicIPAddress"))
            new = _id_of((config.get("properties") or {}).get("publicIPAddress"))
            if new and new.lower() != old.lower():
                pip = self.world.resource(new)
                if pip is None or pip.type.lower() != "microsoft.network/publicipaddresses":
                    raise ArmFailure(400, "InvalidResourceReference",
                                     f"Resource {new} referenced by resource {nic.id} was not found.")
                used_by = _id_of(pip.properties.get("ipConfiguration"))
                if used_by and not used_by.lower().startswith(nic.id.lower() + "/"):
                    raise ArmFailure(400, "PublicIPAddressInUse",
                                     f"Public IP address {new} is already in use by {used_by}.")
                if pip.location.lower() != nic.location.lower():
                    raise ArmFailure(400, "InvalidResourceReference",
                                     f"Public IP address {new} is in {pip.location}, the NIC in {nic.location}.")
            changes.append((stored, old, new))
        for stored, old, new in changes:
            props = stored.setdefault("properties", {})
            config_id = f"{nic.id}/ipConfigurations/{stored.get('name')}"
            if old and old.lower() != new.lower():
                previous = self.world.resource(old)
                if previous is not None:
                    previous.properties.pop("ipConfiguration", None)
            if new:
                props["publicIPAddress"] = {"id": new}
                pip = self.world.resource(new)
                if pip is not None:
                    pip.properties["ipConfiguration"] = {"id": config_id}
            else:
                props.pop("publicIPAddress", None)
        self._changed()
        return self._answer(self._nic_body(nic), 200)

    # ------------------------------------------------------------------ peerings

    @staticmethod
    def _peerings(vnet: Res) -> list[dict[str, Any]]:
        return vnet.properties.setdefault("virtualNetworkPeerings", [])

    def _find(self, vnet: Res, name: str) -> dict[str, Any] | None:
        return next((p for p in self._peerings(vnet) if str(p.get("name", "")).lower() == name.lower()), None)

    def _peering_body(self, vnet: Res, peering: dict[str, Any]) -> dict[str, Any]:
        props = copy.deepcopy(peering.get("properties") or {})
        props["provisioningState"] = "Succeeded"
        props["peeringState"] = self._state(vnet, peering)
        return {"id": f"{vnet.id}/virtualNetworkPeerings/{peering['name']}", "name": peering["name"],
                "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", "properties": props}

    def _state(self, vnet: Res, peering: dict[str, Any]) -> str:
        """Connected when the remote network peers back, Initiated when it does not yet, Disconnected when
        its side was deleted after the pair had connected."""
        remote = self.world.resource(_id_of((peering.get("properties") or {}).get("remoteVirtualNetwork")))
        if remote is None:
            return "Disconnected"
        back = any(_id_of((p.get("properties") or {}).get("remoteVirtualNetwork")).lower() == vnet.id.lower()
                   for p in self._peerings(remote))
        if back:
            return "Connected"
        return "Disconnected" if peering.get("connected") else "Initiated"

    async def get_peering(self, request: web.Request, rid: str, name: str) -> web.Response:
        _, vnet = resource_of_type(self.world, rid, VNET)
        peering = self._find(vnet, name)
        if peering is None:
            raise ArmFailure(404, "NotFound", f"Resource {vnet.id}/virtualNetworkPeerings/{name} not found.")
        return self._answer(self._peering_body(vnet, peering), 200)

    async def put_peering(self, request: web.Request, rid: str, name: str) -> web.Response:
        group, vnet = resource_of_type(self.world, rid, VNET)
        check_write_allowed(self.world, group)
        try:
            body = await request.json()
        except ValueError:
            body = None
        props = (body or {}).get("properties") if isinstance(body, dict) else None
        remote_id = _id_of((props or {}).get("remoteVirtualNetwork"))
        remote = self.world.resource(remote_id) if remote_id else None
        if remote is None or remote.type.lower() != VNET:
            raise ArmFailure(400, "InvalidResourceReference" if remote_id else "InvalidRequestFormat",
                             f"Remote virtual network '{remote_id}' referenced by peering '{name}' was not found.")
        if remote.id.lower() == vnet.id.lower():
            raise ArmFailure(400, "CannotPeerVirtualNetworkWithItself", "A virtual network cannot peer with itself.")
        existing = self._find(vnet, name)
        for other in self._peerings(vnet):
            if other is not existing and _id_of((other.get("properties") or {}).get(
                    "remoteVirtualNetwork")).lower() == remote.id.lower():
                raise ArmFailure(400, "VnetAlreadyPeered",
                                 f"Virtual network {vnet.id} is already peered with {remote.id} by '{other['name']}'.")
        stored = {"name": existing["name"] if existing else name,
                  "properties": {"remoteVirtualNetwork": {"id": remote.id},
                                 **{k: bool(props.get(k, k == "allowVirtualNetworkAccess")) for k in PEERING_PROPS}}}
        if existing is not None:
            self._peerings(vnet)[self._peerings(vnet).index(existing)] = stored
        else:
            self._peerings(vnet).append(stored)
        self._mark_connected(vnet, stored, remote)
        self._changed()
        return self._answer(self._peering_body(vnet, stored), 200 if existing else 201)

    def _mark_connected(self, vnet: Res, stored: dict[str, Any], remote: Res) -> None:
        for back in self._peerings(remote):
            if _id_of((back.get("properties") or {}).get("remoteVirtualNetwork")).lower() == vnet.id.lower():
                back["connected"] = stored["connected"] = True

    async def delete_peering(self, request: web.Request, rid: str, name: str) -> web.Response:
        group, vnet = resource_of_type(self.world, rid, VNET)
        check_write_allowed(self.world, group)
        peering = self._find(vnet, name)
        if peering is None:
            return web.Response(status=204)
        self._peerings(vnet).remove(peering)
        if not self._peerings(vnet):
            vnet.properties.pop("virtualNetworkPeerings", None)
        self._changed()
        return web.Response(status=200)
