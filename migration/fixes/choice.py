"""Which fixes a plan carries (pure): every fix the chosen groups' findings offer, minus the ones the
engineer left out, and which groups those fixes make movable.

In-subscription fixes (bring dependencies together, move App Service back) move resources between groups
of the source subscription: the groups they move into join the request, and `regroup` gives the request's
groups as they will be once those fixes have run. Each set of resources that must move together is one fix
(its findings all carry the set), brought into ONE group decided here from the engineer's pick
(`dependencies.destination`): no two in-subscription moves can undo each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from migration.assessment.dependencies import destinations
from migration.fixes.families import AUTOMATIC_ACTIONS, REGROUP_ACTIONS, SPECS
from migration.fixes.families.consolidation import CONSOLIDATE, consolidation
from migration.model import GroupAssessment, GroupMove, ResourceId, Severity, Verdict
from migration.model.commands import Script
from migration.model.plan import ChosenFix, PlanStep


def chosen_fixes(groups: Sequence[GroupAssessment], *, skip: Iterable[str] = (),
                 picked: Iterable[str] | None = None) -> list[ChosenFix]:
    """Every fix the findings of these groups carry, minus the actions the engineer left out (`skip`:
    FixAction values). By default that is every fix the bot can do, plus the others for the checklist.
    A set of resources that must move together is one fix, into the destination decided for all the sets
    at once with the groups the engineer `picked` (default: these groups)."""
    left_out = set(skip)
    out: list[ChosenFix] = []
    seen: set[tuple[str, tuple[str, ...], Script]] = set()
    for g in groups:
        for f in g.findings:
            if f.fix is None or f.severity is not Severity.FIX_FIRST or f.fix.action.value in left_out:
                continue
            key = (f.fix.action.value, f.fix.resource_ids, f.fix.command)
            if f.fix.action.value == CONSOLIDATE:
                key = (CONSOLIDATE, f.fix.resource_ids, Script())  # one fix per set, whichever finding says it
            if key not in seen:
                seen.add(key)
                out.append(ChosenFix(g.name, f.fix.action.value, f.fix.resource_ids, f.fix.command))
    sets = [c for c in out if c.action == CONSOLIDATE]
    homes = dict(zip((c.resource_ids for c in sets), destinations(
        [c.resource_ids for c in sets], picked=[g.name for g in groups] if picked is None else picked), strict=True))
    return [replace(c, command=consolidation(c.resource_ids, into=homes[c.resource_ids]))
            if c.action == CONSOLIDATE else c for c in out]


def movable_with(group: GroupAssessment, chosen: Iterable[ChosenFix]) -> bool:
    """Ready as it is, or every problem in the way is a fix the bot will make (Azure validates again just
    before the move)."""
    if group.can_move:
        return True
    if group.verdict is not Verdict.READY_AFTER_FIXES:
        return False
    made = {(c.action, c.resource_ids) for c in chosen if c.action in AUTOMATIC_ACTIONS}
    return all(f.fix is not None and (f.fix.action.value, f.fix.resource_ids) in made
               for f in group.findings if f.severity is Severity.FIX_FIRST)


def regroup_destinations(chosen: Iterable[ChosenFix]) -> list[str]:
    """Groups that in-subscription fixes move resources into: they join the request, since what moves into
    them must then move on with them."""
    out: list[str] = []
    for c in chosen:
        if c.action in REGROUP_ACTIONS:
            destination = c.command.option("--destination-group")
            if destination and destination.lower() not in {o.lower() for o in out}:
                out.append(destination)
    return out


def regroup(groups: Sequence[GroupMove], steps: Iterable[PlanStep]) -> tuple[GroupMove, ...]:
    """The request's groups as they will be once the in-subscription fixes have run: resources moved into
    another group of the request move on from there (with their new ids); a group left empty drops out."""
    by_name = {g.source_group.lower(): g for g in groups}
    ids = {g.source_group.lower(): list(g.resource_ids) for g in groups}
    for step in steps:
        if not SPECS[step.kind].regroups:
            continue
        source, destination = step.arg("source_group").lower(), step.group.lower()
        moving = {i.lower() for i in step.arg("ids").split()}
        if source in ids:
            ids[source] = [i for i in ids[source] if i.lower() not in moving]
        if destination in ids:
            for rid in step.arg("ids").split():
                moved = ResourceId.parse(rid)
                new = str(moved.in_group(ResourceId(moved.subscription, by_name[destination].source_group)))
                if new.lower() not in {i.lower() for i in ids[destination]}:
                    ids[destination].append(new)
    return tuple(replace(g, resource_ids=tuple(ids[g.source_group.lower()])) for g in groups
                 if ids[g.source_group.lower()])


def pick_with_fixes(groups: Sequence[GroupAssessment], picked: Sequence[GroupAssessment], *,
                    skip: Iterable[str] = ()) -> tuple[list[GroupAssessment], list[ChosenFix], list[str]]:
    """The groups a plan moves once the engineer's pick meets the fixes: the picked ones, plus the groups
    in-subscription fixes move resources into; the fixes they carry (minus `skip`); and the names of the
    picked groups that still cannot move (a blocker, or a fix left out or beyond the bot)."""
    by_name = {g.name.lower(): g for g in groups}
    out = list(picked)
    names = [g.name for g in picked]
    chosen = chosen_fixes(out, skip=skip, picked=names)
    for name in regroup_destinations(chosen):
        extra = by_name.get(name.lower())
        if extra is not None and extra.name.lower() not in {g.name.lower() for g in out}:
            out.append(extra)
    chosen = chosen_fixes(out, skip=skip, picked=names)
    not_ready = [g.name for g in out if not movable_with(g, chosen)]
    return out, chosen, not_ready


def offered_actions(groups: Sequence[GroupAssessment]) -> list[str]:
    """The fix actions these groups' findings carry (what the plan card lets the engineer leave out)."""
    return list(dict.fromkeys(c.action for c in chosen_fixes(groups)))
