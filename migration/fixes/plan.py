"""A move plan's fixes and follow-through as steps (pure: no I/O), from the fix families.

From the fixes the engineer chose (each finding's machine-readable `Fix`) and what the bot read at plan
time (`PlanFacts`), each family's planner adds the steps before the moves and after them for its fix
actions and returns what it leaves to the engineer; then every family's follow-through (tags, role
assignments), then every family's pass over the whole plan (locks lifted around deletions, writes waiting
for locks and in-subscription moves). Fixes the bot cannot do are returned as they are, for the checklist.

Ordering is data: a step names the steps that must succeed first (`after`) and those that must merely have
ended (`ended`: a lock goes back on the source even when the move failed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from migration.fixes.facts import PlanFacts, Relocation
from migration.fixes.families import AUTOMATIC_ACTIONS, BY_ACTION, FAMILIES, SPECS, deleted_before
from migration.fixes.family import Add, FixFamily
from migration.model.plan import ChosenFix, FixPlan, PlanStep, message

__all__ = ["PlanFacts", "deleted_before", "plan_fixes"]


def plan_fixes(facts: PlanFacts, chosen: Sequence[ChosenFix]) -> FixPlan:
    """The fix steps (before), then the follow-through (after), for the groups of `facts`."""
    moves = Relocation(facts)
    steps: dict[str, PlanStep] = {}
    manual: list[ChosenFix] = []
    together: dict[str, list[ChosenFix]] = {}  # family -> its fixes planned in one call, after the others

    def add(step: PlanStep) -> None:
        steps.setdefault(step.key, step)

    for fix in chosen:
        family = BY_ACTION.get(fix.action)
        if family is not None and fix.action in family.left_to_engineer:
            manual.append(replace(fix, reason=message(family.left_to_engineer[fix.action])))
        elif family is None or fix.action not in AUTOMATIC_ACTIONS:
            manual.append(fix)
        elif family.together:
            together.setdefault(family.name, []).append(fix)
        else:
            manual += _planned(family, facts, moves, [fix], add)
    for family in FAMILIES:
        if family.name in together:
            manual += _planned(family, facts, moves, together[family.name], add)
    for family in FAMILIES:
        if family.follow_through is not None:
            family.follow_through(facts, moves, steps, SPECS, add)
    for family in FAMILIES:
        if family.finish is not None:
            family.finish(facts, steps, SPECS)
    ordered = [s for s in steps.values() if s.phase == "before"] + [s for s in steps.values() if s.phase == "after"]
    return FixPlan(tuple(ordered), tuple(manual))


def _planned(family: FixFamily, facts: PlanFacts, moves: Relocation, fixes: list[ChosenFix],
             add: Add) -> list[ChosenFix]:
    assert family.plan is not None, f"{family.name} carries out fixes it has no planner for"
    return family.plan(facts, moves, fixes, add)
