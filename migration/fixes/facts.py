"""What planning the fixes starts from: the facts the bot read at plan time, where each moved resource lands,
and the small pieces every family of planned steps shares (a step's arguments, a scope as people read it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from migration.model import GroupMove, Lock, Resource, ResourceId, RoleAssignment, RoleDefinition, ScopeKind


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What the bot read at plan time."""

    source_subscription_id: str
    target_subscription_id: str
    groups: tuple[GroupMove, ...]
    group_tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # source group -> tags
    subscription_tags: Mapping[str, str] = field(default_factory=dict)  # the source subscription's own
    budgets: tuple[Resource, ...] = ()  # the source subscription's own (Microsoft.Consumption/budgets)
    diagnostic_settings: tuple[Resource, ...] = ()  # the source subscription's own (its Activity Log's export)
    defender_plans: tuple[Resource, ...] = ()  # the source subscription's Defender for Cloud plans (pricings)
    security_contacts: tuple[Resource, ...] = ()  # the source subscription's Defender for Cloud contacts
    resources: tuple[Resource, ...] = ()  # the source inventory
    locks: tuple[Lock, ...] = ()  # of both subscriptions
    assignments: tuple[RoleAssignment, ...] = ()  # of the source subscription
    target_assignments: tuple[RoleAssignment, ...] = ()  # of the target subscription (on it, above and below)
    definitions: Mapping[str, RoleDefinition] = field(default_factory=dict)  # lower-case role GUID -> custom role
    plan_id: str = ""  # seeds the names of re-created role assignments (stable across restarts)
    linked_services: tuple[Resource, ...] = ()  # of the workspaces whose Automation link a fix removes
    target_resources: tuple[Resource, ...] = ()  # the target inventory, read when a fix needs it (encryption sets)

    def resource(self, arm_id: str) -> Resource | None:
        """The source inventory's resource of that id (case-insensitive)."""
        low = arm_id.lower()
        return next((r for r in self.resources if r.id.lower() == low), None)


def args(**values: Any) -> tuple[tuple[str, str], ...]:
    """A step's arguments, as text ("" for None)."""
    return tuple((k, "" if v is None else str(v)) for k, v in values.items())


def scope_name(scope: str, facts: PlanFacts) -> str:
    """A scope as people read it; source and target groups often share a name, so say which subscription."""
    found = ResourceId.parse(scope)
    where = {facts.source_subscription_id.lower(): "the source subscription",
             facts.target_subscription_id.lower(): "the CSP subscription"}.get(found.subscription.lower(), "")
    if found.kind is ScopeKind.SUBSCRIPTION:
        return f"subscription {found.subscription}" + (f" ({where})" if where else "")
    name = f"group {found.resource_group}" if found.kind is ScopeKind.GROUP else found.name
    return f"{name} in {where}" if where else name


class Relocation:
    """Where each moved resource (and its children) lands."""

    def __init__(self, facts: PlanFacts) -> None:
        self.source = facts.source_subscription_id
        self.target = facts.target_subscription_id
        self.by_prefix: dict[str, GroupMove] = {}
        for g in facts.groups:
            for rid in g.resource_ids:
                self.by_prefix[rid.lower()] = g
        self.groups = {g.source_group.lower(): g for g in facts.groups}

    def group_for(self, arm_id: str) -> GroupMove | None:
        """The move that takes the resource (or the resource it is a child of)."""
        low = arm_id.lower()
        for prefix, g in self.by_prefix.items():
            if low == prefix or low.startswith(prefix + "/"):
                return g
        return None

    def new_id(self, arm_id: str) -> str:
        """The resource's id after the moves (unchanged when no move takes it)."""
        g = self.group_for(arm_id)
        if g is None:
            return arm_id
        return str(ResourceId.parse(arm_id).in_group(ResourceId.parse(g.target_group_id)))

    def group_target(self, source_group_id: str) -> GroupMove | None:
        """The move of a source group, by the group's id."""
        if not ResourceId.is_valid(source_group_id):
            return None  # a scope above subscriptions (a management group, the root)
        found = ResourceId.parse(source_group_id)
        if found.kind is not ScopeKind.GROUP or found.subscription.lower() != self.source.lower():
            return None
        return self.groups.get(found.resource_group.lower())

    def moving_with(self, arm_id: str) -> GroupMove | None:
        """The group a resource moves with: its own; the one an in-subscription fix moved it into (the same
        provider path under another group of the request); or, for one deleted before the moves, its group's."""
        found = self.group_for(arm_id)
        if found is not None or not ResourceId.is_valid(arm_id):
            return found
        rid = ResourceId.parse(arm_id)
        if not rid.levels:
            return None
        path = "/providers/" + rid.provider_path.lower()
        found = next((g for prefix, g in self.by_prefix.items() if prefix.endswith(path)), None)
        return found or (self.group_target(str(rid.group_scope)) if rid.resource_group else None)

    def relocated(self, arm_id: str) -> str:
        """Where a resource is after the moves (unchanged when it does not move)."""
        g = self.moving_with(arm_id)
        return str(ResourceId.parse(arm_id).in_group(ResourceId.parse(g.target_group_id))) if g is not None \
            else arm_id

    def current(self, arm_id: str) -> str:
        """Where a resource is once the in-subscription fixes ran, before the moves."""
        g = self.moving_with(arm_id)
        return str(ResourceId.parse(arm_id).in_group(ResourceId(self.source, g.source_group))) if g is not None \
            else arm_id

    @property
    def every_move(self) -> tuple[str, ...]:
        """The move step of each group: what the subscription's own settings wait for. They follow the
        workload, so a move that does not happen leaves the target as it was (and the step with its command)."""
        return tuple(f"move:{g.source_group}" for g in self.groups.values())

    def waits_for_moves(self, *arm_ids: str) -> tuple[str, ...]:
        """The move steps that take these resources."""
        out: list[str] = []
        for rid in arm_ids:
            g = self.moving_with(rid)
            if g is not None and f"move:{g.source_group}" not in out:
                out.append(f"move:{g.source_group}")
        return tuple(out)
