"""Which resources must move together, read from the properties ARM returns.

A reference from one resource to another (a VM's NIC, a NIC's subnet...) means Azure wants both in the
same move request (`MissingMoveDependentResources`); when they sit in different groups, those groups must be
consolidated first. App Service pairs are kept apart: they cannot be consolidated (rule A1).

What must move together is a connected component of the graph (`components`): all of it goes into ONE group
(`destination`), so no two in-subscription moves ever undo each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from migration.model import Resource
from migration.model.ids import group_of

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
    # The sets of resources that must move together and sit in more than one group (`_components`),
    # lower-case id -> its set, and lower-case id -> the group its set goes to when nothing is picked
    # (`destinations`); computed once by build_graph.
    components: tuple[tuple[str, ...], ...] = ()
    component_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    destination_of: Mapping[str, str] = field(default_factory=dict)

    def group_of(self, resource_id: str) -> str | None:
        return self.groups.get(resource_id.lower())

    def is_split(self, edge: Edge) -> bool:
        a, b = self.group_of(edge.source), self.group_of(edge.target)
        return a is not None and b is not None and a.lower() != b.lower()

    def split_edges(self) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if self.is_split(e))

    def consolidation(self) -> dict[str, tuple[str, ...]]:
        """Lower-case group -> the other groups (display names, sorted) it must be consolidated with."""
        out: dict[str, set[str]] = defaultdict(set)
        for members in self.components:
            groups = {self.group_of(m) or "" for m in members}
            for g in groups:
                out[g.lower()] |= {o for o in groups if o.lower() != g.lower()}
        return {g: tuple(sorted(o, key=str.lower)) for g, o in out.items()}

    def _components(self) -> tuple[tuple[str, ...], ...]:
        """The sets of resources that must move together and sit in more than one group: connected
        components over the edges a consolidation can keep (same-group edges included: a VM brought to its
        availability set's group brings its disk and NIC along). Each set's ids sorted, as listed."""
        parent: dict[str, str] = {}
        shown: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for e in self.edges:
            if e.kind in NOT_CONSOLIDATABLE:
                continue
            a, b = e.source.lower(), e.target.lower()
            shown[a], shown[b] = e.source, e.target
            parent[find(a)] = find(b)
        members: dict[str, list[str]] = defaultdict(list)
        for rid in shown:
            members[find(rid)].append(shown[rid])
        out = [tuple(sorted(m, key=str.lower)) for m in members.values()
               if len({(self.group_of(i) or "").lower() for i in m}) > 1]
        return tuple(sorted(out, key=lambda m: m[0].lower()))

    def together_with(self, resource_id: str) -> tuple[str, ...]:
        """The set `resource_id` must move with (empty when it is in one group with all it depends on)."""
        return self.component_of.get(resource_id.lower(), ())


def destinations(sets: Sequence[Sequence[str]], *, picked: Iterable[str] = ()) -> list[str]:
    """The ONE group each set of resources that must move together is brought into (ids name their groups).
    Groups are ranked once for all the sets: those the engineer picked first, then those holding the most
    resources of the sets, then by name; each set goes into its best-ranked group. One ranking for every set
    means resources only ever move one way between two groups (no step undoes another), and a group the
    engineer did not pick is never the destination while the set has a picked one."""
    count: dict[str, int] = defaultdict(int)
    shown: dict[str, str] = {}
    for members in sets:
        for rid in members:
            group = group_of(rid)
            count[group.lower()] += 1
            shown.setdefault(group.lower(), group)
    chosen = {p.lower() for p in picked}

    def rank(group: str) -> tuple[bool, int, str]:
        return group not in chosen, -count[group], group

    return [shown[min({group_of(i).lower() for i in members}, key=rank)] for members in sets]


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
    graph = DependencyGraph(tuple(edges), {k: v.resource_group for k, v in listed.items()})
    components = graph._components()
    homes = destinations(components)
    return replace(graph, components=components,
                   component_of={i.lower(): members for members in components for i in members},
                   destination_of={i.lower(): home for members, home in zip(components, homes, strict=True)
                                   for i in members})
