"""Networking rules N1-N6 (Microsoft's networking move limitations)."""

from __future__ import annotations

from collections.abc import Iterator

from migration.dependencies import top_level_id
from migration.model import Finding, Resource
from migration.rules.base import Inventory, dig, finding, items

PIP = "microsoft.network/publicipaddresses"
LB = "microsoft.network/loadbalancers"
VNET = "microsoft.network/virtualnetworks"


def _sku(r: Resource) -> str:
    return str((r.sku or {}).get("name") or "")


def _id_type(resource_id: str) -> str:
    """`.../providers/NS/type/name` -> `NS/type`."""
    parts = top_level_id(resource_id).split("/")
    return "/".join(parts[-3:-1]) if len(parts) >= 3 else ""


def n1_standard_public_ip(inv: Inventory) -> Iterator[Finding]:
    standard: dict[str, Resource] = {}
    for r in inv.of_type(PIP, LB):
        if _sku(r).lower() == "standard":
            what = "public IP" if r.type_lower == PIP else "load balancer"
            yield finding(inv, "N1", r, detail=f"is a Standard SKU {what} and cannot move to another subscription")
            if r.type_lower == PIP:
                standard[r.id.lower()] = r
    for e in inv.graph.edges:
        pip = standard.get(e.target.lower())
        user = inv.get(e.source)
        if e.kind == "pip" and pip is not None and user is not None and user.type_lower != LB:
            yield finding(inv, "N1", user, case="associated",
                          detail=f"is associated with Standard public IP {pip.name}", other=pip.name)


def n2_peered_network(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type(VNET):
        peerings = items(dig(r.properties, "virtualNetworkPeerings"))
        if peerings:
            remotes = [str(dig(p, "properties", "remoteVirtualNetwork", "id") or dig(p, "name") or "")
                       .rsplit("/", 1)[-1] for p in peerings]
            yield finding(inv, "N2", r, detail=", ".join(sorted(filter(None, remotes))) or "another network")


def n3_navigation_links(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type(VNET):
        for subnet in items(dig(r.properties, "subnets")):
            links = items(dig(subnet, "properties", "resourceNavigationLinks"))
            if links:
                yield finding(inv, "N3", r, detail=f"has resource navigation links in subnet {dig(subnet, 'name')}")
                break
    for r in inv.of_type("microsoft.cache/redis"):
        if dig(r.properties, "subnetId"):
            yield finding(inv, "N3", r, detail="is injected into a virtual network and cannot change subscription")


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
                yield finding(inv, "N5", r, detail=f"{target.rsplit('/', 1)[-1]} ({kind})")
                break


def n6_aks_network(inv: Inventory) -> Iterator[Finding]:
    for aks in inv.of_type("microsoft.containerservice/managedclusters"):
        vnets = {top_level_id(str(dig(p, "vnetSubnetID") or "")).lower()
                 for p in items(dig(aks.properties, "agentPoolProfiles")) if dig(p, "vnetSubnetID")}
        for vnet_id in sorted(vnets):
            vnet = inv.get(vnet_id)
            if vnet is not None:
                yield finding(inv, "N6", vnet, detail=aks.name)
