"""What every rule reads (an immutable inventory with indexes) and how it words a finding."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migration.assessment.catalog import Catalog
from migration.assessment.dependencies import DependencyGraph, build_graph, parent_id, top_level_id
from migration.model import (
    Finding,
    Fix,
    FixAction,
    Lock,
    Permission,
    ProviderRegistration,
    Resource,
    ResourceGroup,
    Subscription,
)
from migration.model.capacity import Readiness
from migration.model.commands import Script, fill
from migration.model.ids import group_of


@dataclass(frozen=True, slots=True)
class Inventory:
    """The source subscription as the rules see it. Keys of the mappings are lower-case."""

    source: Subscription
    target: Subscription | None
    tenant_id: str
    resources: tuple[Resource, ...]
    groups: Mapping[str, ResourceGroup]
    locks: tuple[Lock, ...]
    target_providers: Mapping[str, ProviderRegistration] | None  # None: target not read
    catalog: Catalog
    graph: DependencyGraph
    by_id: Mapping[str, Resource] = field(default_factory=dict)
    by_group: Mapping[str, tuple[Resource, ...]] = field(default_factory=dict)
    by_type: Mapping[str, tuple[Resource, ...]] = field(default_factory=dict)
    children: Mapping[str, tuple[Resource, ...]] = field(default_factory=dict)  # parent id -> direct children
    # Read beside the inventory, not moved themselves: workspace linked services (ARM), Site Recovery and
    # backup items (Resource Graph's recoveryservicesresources table).
    links: tuple[Resource, ...] = ()
    # What the bot's identity may do, by side ("source", "target"); None: not read (rule G5 stays silent).
    permissions: Mapping[str, tuple[Permission, ...]] | None = None
    # The target's quota and features (rules Q1, F1); None: the target was not read.
    readiness: Readiness | None = None

    @classmethod
    def build(cls, *, source: Subscription, target: Subscription | None, tenant_id: str,
              resources: Iterable[Resource], groups: Iterable[ResourceGroup], locks: Iterable[Lock],
              target_providers: Iterable[ProviderRegistration] | None, catalog: Catalog,
              links: Iterable[Resource] = (),
              permissions: Mapping[str, Sequence[Permission]] | None = None,
              readiness: Readiness | None = None) -> Inventory:
        res = tuple(resources)
        by_group: dict[str, list[Resource]] = defaultdict(list)
        by_type: dict[str, list[Resource]] = defaultdict(list)
        children: dict[str, list[Resource]] = defaultdict(list)
        for r in res:
            by_group[r.resource_group.lower()].append(r)
            by_type[r.type_lower].append(r)
            parent = parent_id(r.id)
            if parent is not None:
                children[parent.lower()].append(r)
        return cls(
            source=source, target=target, tenant_id=tenant_id, resources=res,
            groups={g.name.lower(): g for g in groups}, locks=tuple(locks),
            target_providers=None if target_providers is None
            else {p.namespace.lower(): p for p in target_providers},
            catalog=catalog, graph=build_graph(res),
            by_id={r.id.lower(): r for r in res}, by_group={k: tuple(v) for k, v in by_group.items()},
            by_type={k: tuple(v) for k, v in by_type.items()}, children={k: tuple(v) for k, v in children.items()},
            links=tuple(links),
            permissions=None if permissions is None else {k: tuple(v) for k, v in permissions.items()},
            readiness=readiness,
        )

    def links_under(self, resource: Resource, type_prefix: str) -> tuple[Resource, ...]:
        """Linked records below `resource` (by id) whose type starts with `type_prefix`; inventory children too."""
        head = resource.id.lower() + "/"
        seen: dict[str, Resource] = {}
        for r in (*self.links, *self.resources):
            if r.id.lower().startswith(head) and r.type_lower.startswith(type_prefix.lower()):
                seen.setdefault(r.id.lower(), r)
        return tuple(seen.values())

    def of_type(self, *types: str) -> Iterator[Resource]:
        return (r for t in dict.fromkeys(t.lower() for t in types) for r in self.by_type.get(t, ()))

    def children_of(self, resource: Resource, child_type: str | None = None) -> tuple[Resource, ...]:
        found = self.children.get(resource.id.lower(), ())
        return found if child_type is None else tuple(r for r in found if r.type_lower == child_type.lower())

    def get(self, resource_id: str | None) -> Resource | None:
        return self.by_id.get(resource_id.lower()) if resource_id else None

    def group_name(self, key: str) -> str:
        """The group's display name (Resource Graph lower-cases it; the group list keeps its casing)."""
        group = self.groups.get(key.lower())
        if group is not None:
            return group.name
        members = self.by_group.get(key.lower())
        return members[0].resource_group if members else key


Rule = Callable[[Inventory], Iterable[Finding]]


def together(inv: Inventory, resource_id: str) -> dict[str, Any]:
    """A consolidation finding's fix values: it acts on the whole set of resources that must move together
    (`fix_ids`: every finding of one set carries the same fix), moving those outside the ONE destination
    group (`dest`, the rule of `dependencies.destinations`; planning decides again with the engineer's pick)
    there (`move_ids`)."""
    members = inv.graph.together_with(resource_id) or (resource_id,)
    dest = inv.graph.destination_of.get(resource_id.lower()) or group_of(resource_id)
    return {"fix_ids": members, "dest": dest,
            "move_ids": [i for i in members if (inv.graph.group_of(i) or "").lower() != dest.lower()]}


def is_child(resource: Resource) -> bool:
    return top_level_id(resource.id).lower() != resource.id.lower()


def dig(value: Any, *path: str) -> Any:
    """Nested lookup that tolerates missing keys and ARM's camelCase variations in the first letter."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        found = value.get(key)
        if found is None:
            found = value.get(key[:1].upper() + key[1:])
        value = found
    return value


def items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _script(template: Any, fields: Mapping[str, Any]) -> Script:
    """A fix's command from its template (rules.json's notes); a bare "{name}" is a Script the rule built."""
    if isinstance(template, str):
        built = fields.get(template.strip("{}"))
        return built if isinstance(built, Script) else Script()
    return fill(template, fields)


def finding(inv: Inventory, rule_id: str, resource: Resource | None = None, *, group: str | None = None,
            case: str | None = None, detail: Any = "", other: Any = "", name: str | None = None,
            fix_ids: tuple[str, ...] | None = None, **values: Any) -> Finding:
    """A finding worded from the catalog's texts for `rule_id` (and `case`, when the rule has variants).

    When the rule (or case) names a fix, its command is filled in from `values` (real names) and it acts on
    `fix_ids` (default: the resource). The source is the Microsoft statement the rule or case cites, when
    one is named, else the rule's link.
    """
    text = inv.catalog.text(rule_id)
    variant = text.cases.get(case) if case else None
    group_name = group if group is not None else (resource.resource_group if resource else None)
    fields = {
        "name": name if name is not None else (resource.name if resource else ""),
        "type": resource.type if resource else "",
        "group": group_name or "",
        "detail": detail,
        "other": other,
        "id": resource.id if resource else "",
        "subscription": inv.source.id,
        "target_subscription": inv.target.id if inv.target else "<target-subscription-id>",
        **values,
    }
    template = (variant.message if variant and variant.message else None) or text.message
    remediation = (variant.remediation if variant and variant.remediation else None) or text.rule.remediation
    statement_key = (variant.statement if variant and variant.statement else None) or text.statement
    source = text.rule.source
    if statement_key:
        st = inv.catalog.statement(statement_key)
        source = st.url
    # A case inherits the rule's fix only when it keeps the rule's severity (a blocking case has none).
    fix_text = text.fix if variant is None else (variant.fix or (text.fix if variant.severity is text.rule.severity
                                                                  else None))
    fix = None
    if fix_text is not None:
        ids = fix_ids if fix_ids is not None else ((resource.id,) if resource else ())
        fix = Fix(action=FixAction(fix_text["action"]), resource_ids=tuple(ids),
                  command=_script(fix_text.get("command"), fields), source=source,
                  after=_script(fix_text.get("after"), fields),
                  after_note=str(fix_text.get("after_note") or "").format_map(fields))
    return Finding(
        rule_id=rule_id,
        severity=variant.severity if variant else text.rule.severity,
        message=template.format_map(fields),
        remediation=remediation.format_map(fields),
        source=source,
        resource_id=resource.id if resource else None,
        resource_group=group_name,
        fix=fix,
    )
