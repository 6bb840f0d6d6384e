"""Networking rules N1-N6 (Microsoft's networking move limitations)."""

from __future__ import annotations

from collections.abc import Iterator

from migration.assessment.dependencies import top_level_id
from migration.assessment.rules.base import Inventory, dig, finding, items
from migration.model import Finding, Resource, ResourceId
from migration.model.commands import Command, Data, Script
from migration.model.ids import name_of

PIP = "microsoft.network/publicipaddresses"
NIC = "microsoft.network/networkinterfaces"
LB = "microsoft.network/loadbalancers"
VNET = "microsoft.network/virtualnetworks"


def _sku(r: Resource) -> str:
    return str((r.sku or {}).get("name") or "")


def _id_type(resource_id: str) -> str:
    """`.../providers/NS/type/name[/child/name]` -> `NS/type` ("" for no id)."""
    return ResourceId.parse(resource_id).top_level.type if ResourceId.is_valid(resource_id) else ""


def n1_standard_public_ip(inv: Inventory) -> Iterator[Finding]:
    """Standard load balancers cannot change subscription (the table: 'No - Standard SKU'). A Standard public IP
    moves, but whatever it is associated with cannot until it is disassociated (networking guidance, 2025)."""
    for lb in inv.of_type(LB):
        if _sku(lb).lower() == "standard":
            yield finding(inv, "N1", lb, case="load_balancer",
                          detail="is a Standard SKU load balancer, which cannot change subscription")
    standard = {r.id.lower(): r for r in inv.of_type(PIP) if _sku(r).lower() == "standard"}
    for e in inv.graph.edges:
        pip = standard.get(e.target.lower())
        user = inv.get(e.source)
        if e.kind != "pip" or pip is None or user is None or user.type_lower == LB:
            continue
        detail = f"is associated with Standard public IP {pip.name}"
        if user.type_lower == NIC:
            for config in items(dig(user.properties, "ipConfigurations")):
                ref = str(dig(config, "properties", "publicIPAddress", "id") or "")
                if ref.lower() == pip.id.lower():
                    after = pip.id.replace(f"/subscriptions/{inv.source.id}/",
                                           f"/subscriptions/{inv.target.id if inv.target else '<target>'}/", 1)
                    yield finding(inv, "N1", user, case="associated", detail=detail, other=pip.name,
                                  fix_ids=(user.id, pip.id), ipconfig=dig(config, "name") or "ipconfig1",
                                  pip_id_after=after)
        else:
            yield finding(inv, "N1", user, case="associated_other", detail=detail, other=pip.name,
                          fix_ids=(user.id, pip.id), path="properties.ipConfigurations[0].properties.publicIPAddress")


def n2_peered_network(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type(VNET):
        for p in items(dig(r.properties, "virtualNetworkPeerings")):
            remote = str(dig(p, "properties", "remoteVirtualNetwork", "id") or "")
            name = str(dig(p, "name") or name_of(remote) or "peering")
            yield finding(inv, "N2", r, detail=name_of(remote) or "another network", peering=name,
                          remote=remote or "<remote vnet id>")


# Resources that sit in a subnet and cannot change subscription: can the engineer detach them in minutes
# (Bastion, NAT gateway: re-created in the target), or must they be redeployed (Firewall, application gateway)?
SUBNET_USERS = {
    "microsoft.network/bastionhosts": ("Bastion", True),
    "microsoft.network/azurefirewalls": ("Azure Firewall", False),
    "microsoft.network/applicationgateways": ("application gateway", False),
}


def n7_subnet_attachments(inv: Inventory) -> Iterator[Finding]:
    for vnet in inv.of_type(VNET):
        for subnet in items(dig(vnet.properties, "subnets")):
            nat = str(dig(subnet, "properties", "natGateway", "id") or "")
            if nat:
                name = name_of(nat)
                yield finding(inv, "N7", vnet, detail=dig(subnet, "name"), other=f"NAT gateway {name}",
                              fix_ids=(vnet.id, nat),
                              detach=Script.of(Command.of(
                                  "az", "network", "vnet", "subnet", "update", "-g", Data(vnet.resource_group),
                                  "--vnet-name", Data(vnet.name), "-n", Data(str(dig(subnet, "name") or "")),
                                  "--remove", "natGateway")))
    for type_, (label, detachable) in SUBNET_USERS.items():
        for r in inv.of_type(type_):
            configs = items(dig(r.properties, "ipConfigurations")) + items(dig(r.properties, "gatewayIPConfigurations"))
            for config in configs:
                subnet_id = str(dig(config, "properties", "subnet", "id") or "")
                owning_vnet = inv.get(top_level_id(subnet_id)) if subnet_id else None
                if owning_vnet is None:
                    continue
                subnet = name_of(subnet_id)
                if detachable:
                    yield finding(inv, "N7", owning_vnet, detail=subnet, other=f"{label} {r.name}",
                                  fix_ids=(owning_vnet.id, r.id),
                                  detach=Script.of(Command.of("az", "network", "bastion", "delete", "-g",
                                                              Data(r.resource_group), "-n", Data(r.name))))
                else:
                    yield finding(inv, "N7", owning_vnet, case="redeploy", detail=subnet, other=f"{label} {r.name}")
                break


def n3_navigation_links(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type(VNET):
        for subnet in items(dig(r.properties, "subnets")):
            links = items(dig(subnet, "properties", "resourceNavigationLinks"))
            if links:
                yield finding(inv, "N3", r, detail=f"has resource navigation links in subnet {dig(subnet, 'name')}")
                break
    for r in inv.of_type("microsoft.cache/redis"):
        if dig(r.properties, "subnetId"):
            yield finding(inv, "N3", r, case="redis",
                          detail="is injected into a virtual network and cannot change subscription")


def n4_vpn_gateway(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type("microsoft.network/virtualnetworkgateways"):
        sku = str((r.sku or {}).get("name") or dig(r.properties, "sku", "name") or "")
        if sku.lower() == "basic":
            yield finding(inv, "N4", r, detail="is a Basic SKU VPN gateway, which cannot move")


def n5_private_endpoint(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type("microsoft.network/privateendpoints"):
        connections = (items(dig(r.properties, "privateLinkServiceConnections"))
                       + items(dig(r.properties, "manualPrivateLinkServiceConnections")))
        for c in connections:
            target = str(dig(c, "properties", "privateLinkServiceId") or "")
            kind = _id_type(target)
            if target and not inv.catalog.private_endpoint_movable(kind):
                yield finding(inv, "N5", r, detail=f"{name_of(target)} ({kind})")
                break


def n6_aks_network(inv: Inventory) -> Iterator[Finding]:
    for aks in inv.of_type("microsoft.containerservice/managedclusters"):
        vnets = {top_level_id(str(dig(p, "vnetSubnetID") or "")).lower()
                 for p in items(dig(aks.properties, "agentPoolProfiles")) if dig(p, "vnetSubnetID")}
        for vnet_id in sorted(vnets):
            vnet = inv.get(vnet_id)
            if vnet is not None:
                yield finding(inv, "N6", vnet, detail=aks.name)
