"""Networking some fixes change: a NIC's public IP, virtual network peerings (Azure has no disabled peering:
one is deleted before a move and made again after it), and a subnet's NAT gateway."""

from __future__ import annotations

from typing import Any

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.azure.operations import ArmOperation, done
from migration.model import ArmError, ArmErrorDetail, Peering, ResourceId


def _models() -> Any:
    from azure.mgmt.network import models  # imported with the network client, only by moves that need it

    return models


class ArmNetwork:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(write=True, about="nic_id")
    async def begin_set_public_ip(self, nic_id: ResourceId | str, *, ip_configuration: str,
                                  public_ip_id: str | None) -> ArmOperation[None]:
        """Associate `public_ip_id` with one IP configuration of a NIC, or disassociate it (None)."""
        nic_ref = ResourceId.of(nic_id)
        client = self._clients.network(nic_ref.subscription)
        nic = await client.network_interfaces.get(nic_ref.resource_group, nic_ref.name)
        config = next((c for c in nic.ip_configurations or []
                       if (c.name or "").lower() == ip_configuration.lower()), None)
        if config is None:
            raise ArmError(None, ArmErrorDetail(
                code="IpConfigurationNotFound",
                message=f"IP configuration '{ip_configuration}' does not exist on network interface '{nic_ref.name}'."))
        config.public_ip_address = _models().PublicIPAddress(id=public_ip_id) if public_ip_id else None
        poller = await client.network_interfaces.begin_create_or_update(nic_ref.resource_group, nic_ref.name, nic)
        return ArmOperation(poller, nic_ref)

    @maps_errors(about="vnet_id")
    async def get_peering(self, vnet_id: ResourceId | str, name: str) -> Peering:
        vnet = ResourceId.of(vnet_id)
        client = self._clients.network(vnet.subscription)
        return convert.peering(vnet, await client.virtual_network_peerings.get(vnet.resource_group, vnet.name, name))

    @maps_errors(write=True, about="peering.vnet_id")
    async def begin_create_peering(self, peering: Peering) -> ArmOperation[Peering]:
        """Create (or update) one side of a peering with the flags it had."""
        vnet = ResourceId.parse(peering.vnet_id)
        models = _models()
        body = models.VirtualNetworkPeering(
            remote_virtual_network=models.SubResource(id=peering.remote_vnet_id),
            allow_virtual_network_access=peering.allow_virtual_network_access,
            allow_forwarded_traffic=peering.allow_forwarded_traffic,
            allow_gateway_transit=peering.allow_gateway_transit, use_remote_gateways=peering.use_remote_gateways)
        poller = await self._clients.network(vnet.subscription).virtual_network_peerings.begin_create_or_update(
            vnet.resource_group, vnet.name, peering.name, body)
        return ArmOperation(poller, vnet, convert=lambda found: convert.peering(vnet, found))

    @maps_errors(write=True, about="vnet_id")
    async def begin_delete_peering(self, vnet_id: ResourceId | str, name: str) -> ArmOperation[None]:
        """Delete one side of a peering; one already gone is not an error."""
        vnet = ResourceId.of(vnet_id)
        poller = await self._clients.network(vnet.subscription).virtual_network_peerings.begin_delete(
            vnet.resource_group, vnet.name, name)
        return ArmOperation(poller, vnet)

    @maps_errors(about="vnet_id")
    async def get_subnet_nat_gateway(self, vnet_id: ResourceId | str, subnet: str) -> str:
        """The NAT gateway id on the subnet ("" when none)."""
        vnet = ResourceId.of(vnet_id)
        found = await self._clients.network(vnet.subscription).subnets.get(vnet.resource_group, vnet.name, subnet)
        return str(found.nat_gateway.id if found.nat_gateway else "")

    @maps_errors(write=True, about="vnet_id")
    async def begin_remove_subnet_nat_gateway(self, vnet_id: ResourceId | str, subnet: str) -> ArmOperation[None]:
        """Take the NAT gateway off the subnet; a subnet without one is left as it is."""
        return await self._set_nat_gateway(ResourceId.of(vnet_id), subnet, None)

    @maps_errors(write=True, about="vnet_id")
    async def begin_attach_subnet_nat_gateway(self, vnet_id: ResourceId | str, subnet: str, *,
                                              nat_gateway_id: str) -> ArmOperation[None]:
        """Put a NAT gateway (of the network's subscription and region) on the subnet; one already there is
        left as it is."""
        return await self._set_nat_gateway(ResourceId.of(vnet_id), subnet, nat_gateway_id)

    async def _set_nat_gateway(self, vnet: ResourceId, subnet: str, nat_gateway_id: str | None) -> ArmOperation[None]:
        """Read the subnet and write it back with that NAT gateway (the PUT replaces the whole subnet)."""
        client = self._clients.network(vnet.subscription)
        found = await client.subnets.get(vnet.resource_group, vnet.name, subnet)
        now = str(found.nat_gateway.id) if found.nat_gateway is not None else None
        if (now or "").lower() == (nat_gateway_id or "").lower():
            return done(None, about=vnet)
        found.nat_gateway = _models().SubResource(id=nat_gateway_id) if nat_gateway_id else None
        poller = await client.subnets.begin_create_or_update(vnet.resource_group, vnet.name, subnet, found)
        return ArmOperation(poller, vnet)
