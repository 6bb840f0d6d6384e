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

from sandbox.api import ArmApi, member
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import check_write_allowed
from sandbox.routing import Body, Within, route
from sandbox.state import Group, Res

NIC_TYPE, VNET_TYPE = "Microsoft.Network/networkInterfaces", "Microsoft.Network/virtualNetworks"
VNET = VNET_TYPE.lower()
GROUP = "/subscriptions/{subscription}/resourceGroups/{group}"
NIC_PATH = GROUP + "/providers/Microsoft.Network/networkInterfaces/{nic}"
PEERING_PATH = GROUP + "/providers/Microsoft.Network/virtualNetworks/{vnet}/virtualNetworkPeerings/{name}"
PEERING_ACTION = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/"
PEERING_PROPS = ("allowVirtualNetworkAccess", "allowForwardedTraffic", "allowGatewayTransit", "useRemoteGateways")


def _id_of(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, dict) else ""


class NetworkApi(ArmApi):
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

    @route("GET", NIC_PATH, "NetworkInterfaces_Get", action="Microsoft.Network/networkInterfaces/read",
           within=Within.RESOURCE)
    async def get_nic(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                      nic: str) -> web.Response:
        _, found = self.resource(subscription, group, NIC_TYPE, nic)
        return self.answer(self._nic_body(found))

    @route("PUT", NIC_PATH, "NetworkInterfaces_CreateOrUpdate", action="Microsoft.Network/networkInterfaces/write",
           within=Within.RESOURCE, body=Body.REQUIRED)
    async def put_nic(self, request: web.Request, caller: Caller, *, subscription: str, group: str, nic: str,
                      body: dict[str, Any]) -> web.Response:
        # The sandbox updates NICs; creating one is not modelled.
        return self._update_nic(*self.resource(subscription, group, NIC_TYPE, nic), body)

    def _update_nic(self, group: Group, nic: Res, body: dict[str, Any]) -> web.Response:
        check_write_allowed(self.world, group)
        wanted = member(body, "properties").get("ipConfigurations")
        if not isinstance(wanted, list) or not wanted:
            raise ArmFailure(400, "InvalidRequestFormat", "properties.ipConfigurations must list the NIC's "
                             "IP configurations.")
        current = {str(c.get("name", "")).lower(): c for c in nic.properties.get("ipConfigurations") or []}
        changes: list[tuple[dict[str, Any], str, str]] = []  # (config, old ip id, new ip id)
        for config in (c if isinstance(c, dict) else {} for c in wanted):
            name = str(config.get("name") or "")
            stored = current.get(name.lower())
            if stored is None:
                raise ArmFailure(400, "IpConfigurationNotFound",
                                 f"IP configuration '{name}' does not exist on network interface '{nic.name}'.")
            old = _id_of(stored.get("properties", {}).get("publicIPAddress"))
            new = _id_of(member(config, "properties").get("publicIPAddress"))
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
        self.changed()
        return self.answer(self._nic_body(nic), 200)

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

    @route("GET", PEERING_PATH, "VirtualNetworkPeerings_Get", action=PEERING_ACTION + "read", within=Within.RESOURCE)
    async def get_peering(self, request: web.Request, caller: Caller, *, subscription: str, group: str, vnet: str,
                          name: str) -> web.Response:
        return self._get_peering(self.resource(subscription, group, VNET_TYPE, vnet)[1], name)

    def _get_peering(self, vnet: Res, name: str) -> web.Response:
        peering = self._find(vnet, name)
        if peering is None:
            raise ArmFailure(404, "NotFound", f"Resource {vnet.id}/virtualNetworkPeerings/{name} not found.")
        return self.answer(self._peering_body(vnet, peering), 200)

    @route("PUT", PEERING_PATH, "VirtualNetworkPeerings_CreateOrUpdate", action=PEERING_ACTION + "write",
           within=Within.RESOURCE, body=Body.REQUIRED)
    async def put_peering(self, request: web.Request, caller: Caller, *, subscription: str, group: str, vnet: str,
                          name: str, body: dict[str, Any]) -> web.Response:
        return self._put_peering(*self.resource(subscription, group, VNET_TYPE, vnet), name, member(body, "properties"))

    def _put_peering(self, group: Group, vnet: Res, name: str, props: dict[str, Any]) -> web.Response:
        check_write_allowed(self.world, group)
        remote_id = _id_of(props.get("remoteVirtualNetwork"))
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
        self.changed()
        return self.answer(self._peering_body(vnet, stored), 200 if existing else 201)

    def _mark_connected(self, vnet: Res, stored: dict[str, Any], remote: Res) -> None:
        for back in self._peerings(remote):
            if _id_of((back.get("properties") or {}).get("remoteVirtualNetwork")).lower() == vnet.id.lower():
                back["connected"] = stored["connected"] = True

    @route("DELETE", PEERING_PATH, "VirtualNetworkPeerings_Delete", action=PEERING_ACTION + "delete",
           within=Within.RESOURCE)
    async def delete_peering(self, request: web.Request, caller: Caller, *, subscription: str, group: str, vnet: str,
                             name: str) -> web.Response:
        held, network = self.resource(subscription, group, VNET_TYPE, vnet)
        check_write_allowed(self.world, held)
        peering = self._find(network, name)
        if peering is None:
            return web.Response(status=204)
        self._peerings(network).remove(peering)
        if not self._peerings(network):
            network.properties.pop("virtualNetworkPeerings", None)
        self.changed()
        return web.Response(status=200)
