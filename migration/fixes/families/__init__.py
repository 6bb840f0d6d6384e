"""The fix families, one module each, registered here once (like `migration.assessment.rules`).

A family module holds what to plan for its fix actions, how each of its steps is carried out and found
already done, and the traits the rest of the plan needs (`migration.fixes.family.StepSpec`); its texts are in
`migration/data/fixes/<family>.json`. Everything else reads the families from here: which fix actions the
bot makes, which planner plans them, which functions carry out a kind of step, what a step deletes, holds
or waits for. Adding a family: its module, its data file, one line below, its step kinds in
`migration.model.plan.StepKind` (docs/ARCHITECTURE.md, "How to add a fix family").

The order below is the order the plan card offers the fixes, and the order families' passes run in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from migration.fixes.families import (
    app_networking,
    budgets,
    consolidation,
    defender,
    diagnostic_settings,
    disk_keys,
    group_tags,
    locks,
    managed_certificates,
    peerings,
    providers,
    public_ips,
    restore_points,
    role_assignments,
    sql_registrations,
    stream_jobs,
    subscription_tags,
    workspace_links,
)
from migration.fixes.family import FixFamily, PlanRead, StepSpec
from migration.model.commands import Script, fill
from migration.model.plan import ChosenFix, PlanStep, StepKind

FAMILIES: tuple[FixFamily, ...] = (
    locks.FAMILY,
    providers.FAMILY,
    consolidation.FAMILY,
    public_ips.FAMILY,
    peerings.FAMILY,
    workspace_links.FAMILY,
    sql_registrations.FAMILY,
    managed_certificates.FAMILY,
    stream_jobs.FAMILY,
    disk_keys.FAMILY,
    restore_points.FAMILY,
    app_networking.FAMILY,
    group_tags.FAMILY,
    subscription_tags.FAMILY,
    budgets.FAMILY,
    diagnostic_settings.FAMILY,
    defender.FAMILY,
    role_assignments.FAMILY,
)


def _by_kind() -> dict[StepKind, StepSpec]:
    out: dict[StepKind, StepSpec] = {}
    for family in FAMILIES:
        for spec in family.steps:
            if spec.kind in out:
                raise ValueError(f"step kind {spec.kind.value} registered twice")
            out[spec.kind] = spec
    return out


def _by_action() -> dict[str, FixFamily]:
    out: dict[str, FixFamily] = {}
    for family in FAMILIES:
        for action in (*family.actions, *family.left_to_engineer):
            if action in out:
                raise ValueError(f"fix action {action} registered twice")
            out[action] = family
    return out


SPECS: Mapping[StepKind, StepSpec] = _by_kind()
BY_ACTION: Mapping[str, FixFamily] = _by_action()
# The rules' fix actions (migration.model.FixAction values) the bot carries out itself.
AUTOMATIC_ACTIONS = frozenset(a for family in FAMILIES for a in family.actions)
# The fix actions that move resources between groups of the source subscription before the moves.
REGROUP_ACTIONS = frozenset(a for family in FAMILIES if any(s.regroups for s in family.steps) for a in family.actions)


def spec(kind: StepKind) -> StepSpec:
    return SPECS[kind]


def command(step: PlanStep) -> Script:
    """How to do the step by hand: its family's argument template filled from the step's arguments (and the
    lists the family derives from them)."""
    found = SPECS[step.kind]
    values: dict[str, Any] = dict(step.args)
    if found.command_values is not None:
        values.update(found.command_values(step))
    return fill(step.template, values)


@cache
def labels() -> Mapping[str, str]:
    """Fix action -> what the plan card calls it, in the order the card offers them."""
    out: dict[str, str] = {}
    for family in FAMILIES:
        own = json.loads(family.texts.read_text(encoding="utf-8")).get("labels", {})
        out.update({a: str(own[a]) for a in family.actions})
    return out


def deleted_before(steps: Iterable[PlanStep]) -> frozenset[str]:
    """The resources (lower-case ids) that steps before the moves delete and that leave the moves' requests."""
    return frozenset(s.arg(SPECS[s.kind].deletes).lower() for s in steps if SPECS[s.kind].leaves_moves)


def reads(chosen: Iterable[ChosenFix], wanted: PlanRead) -> list[ChosenFix]:
    """The chosen fixes whose family needs `wanted` read at plan time."""
    return [c for c in chosen if c.action in BY_ACTION and wanted in BY_ACTION[c.action].reads]


def holds(source_subscription: str, step: PlanStep) -> frozenset[str]:
    """The groups (lower-case ids) a step holds while it runs, as Azure does (most hold none)."""
    found = SPECS[step.kind].holds
    return found(source_subscription, step) if found is not None else frozenset()


__all__ = ["AUTOMATIC_ACTIONS", "BY_ACTION", "FAMILIES", "REGROUP_ACTIONS", "SPECS", "command", "deleted_before",
           "holds", "labels", "reads", "spec"]
