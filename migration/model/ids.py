"""Azure Resource Manager ids as one value: a subscription, a resource group, or a resource (top-level,
child, or an extension resource such as a lock on a VM), with the parts rules, fixes and cards ask for.

The grammar is that of `azure.mgmt.core.tools` (`/subscriptions/{s}[/resourceGroups/{g}][/providers/{ns}/
{type}/{name}[[/providers/{ns}]/{type}/{name}]...]`), and an id made from its parts is written by its
`resource_id`. Parsing splits the string itself and keeps it (the tools' parser costs some three times as much
an id, and planning parses thousands; a test holds the two in agreement); `group_of` reads only an id's head,
for the inventory's every row. Every part keeps the casing it was given (Resource Graph lower-cases group names
in its own columns, never in the id): a parsed id, its parent, its group and its new id after a move read as
the id was written. Ids compare case-insensitively, as ARM's do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from azure.mgmt.core.tools import resource_id as _write

Level = tuple[str, str, str]  # (provider namespace, or "" for a child of the same provider; type; name)


class ScopeKind(StrEnum):
    SUBSCRIPTION = "subscription"
    GROUP = "group"
    RESOURCE = "resource"


@dataclass(frozen=True, slots=True, eq=False)
class ResourceId:
    subscription: str
    resource_group: str = ""
    levels: tuple[Level, ...] = ()  # the resource's path, top-level first
    text: str = field(default="", repr=False)  # the id as written (as read, for a parsed one)

    def __post_init__(self) -> None:
        if not self.text:
            object.__setattr__(self, "text", _written(self))

    @classmethod
    def parse(cls, text: str) -> ResourceId:
        """An ARM id inside a subscription; `ValueError` for anything else."""
        body = text.strip().strip("/")
        parts = body.split("/")
        if len(parts) < 2 or parts[0].lower() != "subscriptions" or not parts[1]:
            raise ValueError(f"'{text}' is not an Azure id inside a subscription")
        at, group = 2, ""
        if len(parts) > 2 and parts[2].lower() == "resourcegroups":
            if len(parts) < 4 or not parts[3]:
                raise ValueError(f"'{text}' names no resource group")
            at, group = 4, parts[3]
        levels: list[Level] = []
        while at < len(parts):
            namespace = ""
            if parts[at].lower() == "providers":
                namespace, at = (parts[at + 1] if at + 1 < len(parts) else ""), at + 2
            if not (namespace or levels) or at + 1 >= len(parts) or not parts[at] or not parts[at + 1]:
                raise ValueError(f"'{text}' is not an Azure resource id")
            levels.append((namespace, parts[at], parts[at + 1]))
            at += 2
        return cls(parts[1], group, tuple(levels), "/" + body)

    @classmethod
    def of(cls, value: ResourceId | str) -> ResourceId:
        return value if isinstance(value, ResourceId) else cls.parse(value)

    @classmethod
    def is_valid(cls, text: str) -> bool:
        try:
            cls.parse(text)
        except ValueError:
            return False
        return True

    # ------------------------------------------------------------------ what it is

    @property
    def kind(self) -> ScopeKind:
        if self.levels:
            return ScopeKind.RESOURCE
        return ScopeKind.GROUP if self.resource_group else ScopeKind.SUBSCRIPTION

    @property
    def name(self) -> str:
        """The resource's own name (the last one of a child), the group's, or the subscription id."""
        if self.levels:
            return self.levels[-1][2]
        return self.resource_group or self.subscription

    @property
    def namespace(self) -> str:
        """The provider of the resource's type: the last one named on its path ("" for a subscription or group)."""
        return next((ns for ns, _, _ in reversed(self.levels) if ns), "")

    @property
    def type(self) -> str:
        """The full type, e.g. `Microsoft.Network/virtualNetworks/subnets` or, for a lock on a VM,
        `Microsoft.Authorization/locks`."""
        if not self.levels:
            kind = "resourceGroups" if self.resource_group else "subscriptions"
            return f"Microsoft.Resources/{kind}"
        start = max(i for i, (ns, _, _) in enumerate(self.levels) if ns)
        return "/".join((self.levels[start][0], *(t for _, t, _ in self.levels[start:])))

    @property
    def provider_path(self) -> str:
        """What follows the group's (or subscription's) first `/providers/`: `Microsoft.Web/sites/app/slots/s`."""
        if not self.levels:
            return ""
        (namespace, type_, name), *children = self.levels
        return "/".join((namespace, type_, name, *(f"providers/{ns}/{t}/{n}" if ns else f"{t}/{n}"
                                                  for ns, t, n in children)))

    @property
    def parent_path(self) -> str:
        """The parent's part of a child's path below its provider (`virtualNetworks/vnet-1` for a subnet);
        "" for a top-level resource. ARM's resource-level operations take it apart from the type and name."""
        return "/".join(f"{t}/{n}" for _, t, n in self.levels[:-1])

    @property
    def is_top_level(self) -> bool:
        return len(self.levels) == 1

    # ------------------------------------------------------------------ related ids

    @property
    def subscription_scope(self) -> ResourceId:
        return self._cut(0, group=False)

    @property
    def group_scope(self) -> ResourceId:
        """The group the id is in (or is): `ValueError` for a subscription or a subscription-level resource."""
        if not self.resource_group:
            raise ValueError(f"'{self}' is not in a resource group")
        return self._cut(0)

    @property
    def parent(self) -> ResourceId | None:
        """The parent resource of a child; the group (or subscription) of a top-level resource; the
        subscription of a group; None for a subscription."""
        if self.levels:
            return self._cut(len(self.levels) - 1)
        return self._cut(0, group=False) if self.resource_group else None

    @property
    def top_level(self) -> ResourceId:
        return self._cut(min(len(self.levels), 1))

    def child(self, type_: str, name: str, *, namespace: str = "") -> ResourceId:
        """A child resource (`namespace` for an extension resource of another provider)."""
        if not (self.levels or namespace):
            raise ValueError(f"'{self}' has no provider: name the child's namespace")
        text = self.text + (f"/providers/{namespace}" if namespace else "") + f"/{type_}/{name}"
        return ResourceId(self.subscription, self.resource_group, (*self.levels, (namespace, type_, name)), text)

    def in_group(self, group: ResourceId) -> ResourceId:
        """The same resource in another group, maybe of another subscription: a moved resource's new id."""
        target = group.group_scope
        if not self.resource_group:
            raise ValueError(f"'{self}' is not in a resource group")
        rest = self.text[len(self._cut(0).text):]
        return ResourceId(target.subscription, target.resource_group, self.levels, target.text + rest)

    def _cut(self, levels: int, *, group: bool = True) -> ResourceId:
        """This id down to its first `levels` levels (or to its subscription), in the casing it was written."""
        kept = self.levels[:levels] if group else ()
        segments = 2 + (2 if group and self.resource_group else 0)
        segments += sum(4 if namespace else 2 for namespace, _, _ in kept)
        text = "/" + "/".join(self.text.strip("/").split("/")[:segments])
        return ResourceId(self.subscription, self.resource_group if group else "", kept, text)

    def covers(self, other: ResourceId) -> bool:
        """Whether `other` is this scope or lies inside it (a lock or role assignment here applies there)."""
        mine, theirs = self.key, other.key
        return theirs == mine or theirs.startswith(mine + "/")

    # ------------------------------------------------------------------ text and comparison

    def __str__(self) -> str:
        return self.text

    @property
    def key(self) -> str:
        """The id in lower case: what it compares and hashes by."""
        return self.text.lower()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResourceId) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"ResourceId('{self}')"


def name_of(text: str) -> str:
    """The name an id ends with; "" for no id (a property a customer's resource left empty, or not an id)."""
    return ResourceId.parse(text).name if ResourceId.is_valid(text) else ""


def group_of(text: str) -> str:
    """The resource group an id is in, as written; "" for no id, or one outside any group. Only the id's head
    is read: the inventory asks this of every row (Resource Graph's own column lower-cases the group)."""
    head = text.strip().strip("/").split("/", 4)
    if len(head) >= 4 and head[0].lower() == "subscriptions" and head[1] and head[2].lower() == "resourcegroups":
        return head[3]
    return ""


def _written(rid: ResourceId) -> str:
    parts: dict[str, str] = {"subscription": rid.subscription}
    if rid.resource_group:
        parts["resource_group"] = rid.resource_group
    if rid.levels:
        (namespace, type_, name), *children = rid.levels
        parts.update(namespace=namespace, type=type_, name=name)
        for level, (child_namespace, child_type, child_name) in enumerate(children, 1):
            parts[f"child_type_{level}"], parts[f"child_name_{level}"] = child_type, child_name
            if child_namespace:
                parts[f"child_namespace_{level}"] = child_namespace
    return _write(**parts)
