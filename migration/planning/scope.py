"""Which of the picked groups a plan moves, and why each other one is not moved: a pure function of the
engineer's choices (the groups picked, the fixes left out), the rules' verdicts and Azure's dry run, so
the same ticks always give the same plan.

Two steps around the planning of the steps (which reads Azure): `choose` before it (the groups and fixes to
plan with), `settle` after it (the groups the steps hold back, or empty into another group).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from migration.fixes.choice import pick_with_fixes
from migration.fixes.families import SPECS
from migration.model import DryRun, GroupAssessment, GroupMove, Verdict
from migration.model.plan import ChosenFix, PlanStep
from migration.model.scope import Joined, LeftOut, LeftOutReason


@dataclass(frozen=True, slots=True)
class Choice:
    """What to plan the steps with: the groups that can move with the fixes kept, those fixes, and the
    groups left out already."""

    groups: tuple[GroupMove, ...]
    fixes: tuple[ChosenFix, ...]
    left_out: tuple[LeftOut, ...]


@dataclass(frozen=True, slots=True)
class Scope:
    groups: tuple[GroupMove, ...]  # what "Ask for approval" requests, as the in-subscription fixes leave them
    left_out: tuple[LeftOut, ...]
    joined: tuple[Joined, ...]


def choose(assessed: Sequence[GroupAssessment], picked: Sequence[GroupMove], *, skip: Iterable[str],
           dry_runs: Sequence[DryRun]) -> Choice:
    """The picked groups (`picked`: the draft's, with the groups fixes move resources into) against the rules'
    verdicts of `assessed` and this planning's dry run. Only the rules' verdicts count here, never an earlier
    dry run kept on the assessment: a group Azure refuses is left out for Azure's reason unless the rules
    already say which of our fixes it waits for (Azure refuses it until they are made)."""
    rules = [replace(g, dry_run=None) for g in assessed]
    by_name = {g.name.lower(): g for g in rules}
    mine = [by_name[g.source_group.lower()] for g in picked if g.source_group.lower() in by_name]
    _, chosen, not_ready = pick_with_fixes(rules, mine, skip=tuple(skip))
    _, _, never = pick_with_fixes(rules, mine)
    refused = {d.resource_group.lower() for d in dry_runs if not d.valid}
    left: list[LeftOut] = []
    for g in picked:
        name = g.source_group
        found = by_name.get(name.lower())
        if name in never or found is None:
            left.append(LeftOut(name, LeftOutReason.NOT_FIXABLE))
        elif name in not_ready:
            left.append(LeftOut(name, LeftOutReason.FIX_LEFT_OUT))
        elif name.lower() in refused and found.verdict is not Verdict.READY_AFTER_FIXES:
            left.append(LeftOut(name, LeftOutReason.DRY_RUN))
    out = {entry.group.lower() for entry in left}
    return Choice(groups=tuple(g for g in picked if g.source_group.lower() not in out),
                  fixes=tuple(c for c in chosen if c.group.lower() not in out), left_out=tuple(left))


def settle(choice: Choice, *, planned: Sequence[GroupMove], held: Iterable[str],
           steps: Sequence[PlanStep]) -> Scope:
    """The plan's scope once its steps are planned: each chosen group the plan does not move is held back
    (a fix by hand first), emptied into another group of the plan (it moves with that one), or emptied by
    the fixes (nothing left to move)."""
    moving = {g.source_group.lower() for g in planned}
    by_hand = {h.lower() for h in held}
    into = {s.arg("source_group").lower(): s.group for s in steps if SPECS[s.kind].regroups}
    left, joined = list(choice.left_out), []
    for g in choice.groups:
        name = g.source_group.lower()
        if name in moving:
            continue
        if name in by_hand:
            left.append(LeftOut(g.source_group, LeftOutReason.BY_HAND))
        elif into.get(name, "").lower() in moving:
            joined.append(Joined(g.source_group, into[name]))
        else:
            left.append(LeftOut(g.source_group, LeftOutReason.EMPTIED))
    return Scope(groups=tuple(planned), left_out=tuple(left), joined=tuple(joined))
