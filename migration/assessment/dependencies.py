"""Which resources must move together, read from the properties ARM returns.

A reference from one resource to another (a VM's NIC, a NIC's subnet...) means Azure wants both in the
same move request (`MissingMoveDependentResources`); when they sit in different groups, those groups must be
consolidated first. App Service pairs are kept apart: they cannot be consolidated (rule A1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from migration.model import Resource

# type -> ((path, kind), ...). "*" walks a list. The referenced id is cut to its top-level resource
# (a subnet id names its virtual network). Pairs from Microsoft's move pages
# (the services' move limitations under https://learn.microsoft.com/azure/azure-resource-manager/management/move-resource-group-and-subscription).
_REFERENCES: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "microsoft.compute/virtualmachines": (
        (("networkProfile", "networkInterfaces", "*", "id"), "nic"),
        (("storageProfile", "osDisk", "managedDisk", "id"), "disk"),
        (("storageProfile", "dataDisks", "*", "managedDisk", "id"), "disk"),
        (("availabilitySet", "id"), "avset"),
    ),
    "microsoft.network/networkinterfaces": (
        (("ipConfigurations", "*", "properties", "subnet", "id"), "vnet"),
        (("ipConfigurations", "*", "properties", "publicIPAddress", "id"), "pip"),
        (("ipConfigurations", "*", "properties", "loadBalancerBackendAddressPools", "*", "id"), "lb"),
        (("networkSecurityGroup", "id"), "nsg"),
    ),
    "microsoft.network/virtualnetworks": (
        (("subnets", "*", "properties", "networkSecurityGroup", "id"), "nsg"),
        (("subnets", "*", "properties", "routeTable", "id"), "route"),
        (("subnets", "*", "properties", "natGateway", "id"), "nat"),
    ),
    "microsoft.network/loadbalancers": (
        (("frontendIPConfigurations", "*", "properties", "publicIPAddress", "id"), "pip"),
        (("frontendIPConfigurations", "*", "properties", "subnet", "id"), "vnet"),
    ),
    "microsoft.network/virtualnetworkgateways": (
        (("ipConfigurations", "*", "properties", "subnet", "id"), "vnet"),
        (("ipConfigurations", "*", "properties", "publicIPAddress", "id"), "pip"),
    ),
    "microsoft.network/privateendpoints": ((("subnet", "id"), "vnet"),),
    # Subnet attachments: what sits in a subnet, and what a subnet points at (networking move guidance).
    "microsoft.network/bastionhosts": ((("ipConfigurations", "*", "properties", "subnet", "id"), "vnet"),),
    "microsoft.network/azurefirewalls": ((("ipConfigurations", "*", "properties", "subnet", "id"), "vnet"),),
    "microsoft.network/applicationgateways": (
        (("gatewayIPConfigurations", "*", "properties", "subnet", "id"), "vnet"),
        (("frontendIPConfigurations", "*", "properties", "publicIPAddress", "id"), "pip"),
    ),
    "microsoft.compute/disks": ((("encryption", "diskEncryptionSetId"), "des"),),
    "microsoft.compute/virtualmachinescalesets": (
        (("virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations", "*", "properties",
          "ipConfigurations", "*", "properties", "subnet", "id"), "vnet"),
        (("virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations", "*", "properties",
          "ipConfigurations", "*", "properties", "loadBalancerBackendAddressPools", "*", "id"), "lb"),
    ),
    "microsoft.web/sites": ((("serverFarmId",), "web"),),
    "microsoft.web/sites/slots": ((("serverFarmId",), "web"),),
    "microsoft.web/certificates": ((("serverFarmId",), "web"),),
}

# App Service pairs (rule A1: move back to the original group) and attachments the fix removes (N7 detaches the
# NAT gateway, CMK1 switches disks off their encryption set): bringing them into one group is not the fix.
NOT_CONSOLIDATABLE = frozenset({"web", "nat", "des"})


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # id of the dependent resource (as listed)
    target: str  # id of the resource it depends on (as listed)
    kind: str  # nic, disk, avset, vnet, pip, lb, nsg, route, web, nat, des


def top_level_id(resource_id: str) -> str:
    """`/subscriptions/s/resourceGroups/g/providers/NS/type/name[/child/name...]` -> the top-level part."""
    parts = resource_id.split("/")
    try:
        at = [p.lower() for p in parts].index("providers")
    except ValueError:
        return resource_id
    return "/".join(parts[: at + 4])


def parent_id(resource_id: str) -> str | None:
    """The direct parent of a child resource id, None for a top-level one."""
    top = top_level_id(resource_id)
    if top.lower() == resource_id.lower():
        return None
    return resource_id.rsplit("/", 2)[0]


def _walk(value: Any, path: tuple[str, ...]) -> Iterable[str]:
    if not path:
        if isinstance(value, str) and value.startswith("/subscriptions/"):
            yield value
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for item in value if isinstance(value, list) else ():
            yield from _walk(item, rest)
    elif isinstance(value, Mapping):
        yield from _walk(value.get(head), rest)


def references(resource: Resource) -> list[tuple[str, str]]:
    """(top-level id referenced, kind) for one resource; ids as written in its properties."""
    out: list[tuple[str, str]] = []
    for path, kind in _REFERENCES.get(resource.type_lower, ()):
        for ref in _walk(resource.properties, path):
            out.append((top_level_id(ref), kind))
    return out


@dataclass(frozen=True, slots=True)
class DependencyGraph:
    edges: tuple[Edge, ...]
    groups: Mapping[str, str]  # lower-case resource id -> its group as listed

    def group_of(self, resource_id: str) -> str | None:
        return self.groups.get(resource_id.lower())

    def is_split(self, edge: Edge) -> bool:
        a, b = self.group_of(edge.source), self.group_of(edge.target)
        return a is not None and b is not None and a.lower() != b.lower()

    def split_edges(self) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if self.is_split(e))

    def consolidation(self) -> dict[str, tuple[str, ...]]:
        """Lower-case group -> the other groups (display names, sorted) it must be consolidated with."""
        parent: dict[str, str] = {}
        names: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for e in self.split_edges():
            if e.kind in NOT_CONSOLIDATABLE:
                continue
            a, b = self.group_of(e.source) or "", self.group_of(e.target) or ""
            names[a.lower()], names[b.lower()] = a, b
            parent[find(a.lower())] = find(b.lower())
        members: dict[str, list[str]] = defaultdict(list)
        for g in names:
            members[find(g)].append(g)
        return {g: tuple(sorted((names[o] for o in members[find(g)] if o != g), key=str.lower)) for g in names}


def build_graph(resources: Iterable[Resource]) -> DependencyGraph:
    listed = {r.id.lower(): r for r in resources}
    edges: list[Edge] = []
    seen: set[tuple[str, str, str]] = set()

    def add(source: Resource, target_id: str, kind: str) -> None:
        target = listed.get(target_id.lower())
        if target is None or target.id.lower() == source.id.lower():
            return  # outside the inventory (another subscription, deleted) or self
        key = (source.id.lower(), target.id.lower(), kind)
        if key not in seen:
            seen.add(key)
            edges.append(Edge(source.id, target.id, kind))

    certificates: dict[str, Resource] = {}
    for r in listed.values():
        if r.type_lower == "microsoft.web/certificates":
            thumb = str(r.properties.get("thumbprint") or "").upper()
            if thumb:
                certificates[thumb] = r
    for r in listed.values():
        for ref, kind in references(r):
            add(r, ref, kind)
        if r.type_lower in ("microsoft.web/sites", "microsoft.web/sites/slots"):
            # A site binds certificates by thumbprint, not by id.
            for state in r.properties.get("hostNameSslStates") or ():
                cert = certificates.get(str((state or {}).get("thumbprint") or "").upper())
                if cert is not None:
                    add(r, cert.id, "web")
    return DependencyGraph(tuple(edges), {k: v.resource_group for k, v in listed.items()})
