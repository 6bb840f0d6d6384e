"""In-subscription moves before the moves: split dependencies brought into one group, App Service resources
moved back to the group they were created in. Each is validated first, like the moves themselves, and holds
its two groups while it runs, as Azure does.

The resources they move change group before the moves: the steps that act on those groups wait for them
(`Regrouping` on each step kind), and `choice.regroup` gives the request's groups as they then stand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from migration.azure.ports import HasInventory, HasMoves
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Regrouping, Specs, Steps, StepSpec, waiting
from migration.fixes.lookups import still_in
from migration.model import ArmError, ResourceId
from migration.model.commands import Command, Data, Script
from migration.model.ids import group_of
from migration.model.plan import ChosenFix, PlanStep, StepKind

CONSOLIDATE = "consolidate_dependencies"
_KIND = {CONSOLIDATE: StepKind.CONSOLIDATE, "move_app_service_back": StepKind.MOVE_APP_BACK}
_MOVE_IN_PROGRESS = "ResourceMoveInProgress"
_BUSY_RETRY_SECONDS = 1.0
_BUSY_LIMIT_SECONDS = 5 * 3600  # Azure holds groups for up to 4 hours


def consolidation(members: Sequence[str], *, into: str) -> Script:
    """The one move that brings a set of resources together: those outside its destination, into it."""
    moving = [i for i in members if group_of(i).lower() != into.lower()]
    return Script.of(Command.of("az", "resource", "move", "--destination-group", Data(into), "--ids",
                                [Data(i) for i in moving]))


def _regroup(facts: PlanFacts, moves: Relocation, fixes: Sequence[ChosenFix], add: Add) -> list[ChosenFix]:
    """In-subscription moves of the fixes' resources into the group each command names: one step per source
    and destination group (two sets brought into the same group from the same group move in one step)."""
    manual: list[ChosenFix] = []
    moving: dict[tuple[StepKind, str, str], dict[str, str]] = {}
    for fix in fixes:
        destination = fix.command.option("--destination-group")
        if not destination or not fix.resource_ids:
            manual.append(fix)
            continue
        kind = _KIND[fix.action]
        for rid in fix.resource_ids:
            group = ResourceId.parse(rid).resource_group if ResourceId.is_valid(rid) else ""
            if group.lower() != destination.lower():  # what already is in the destination stays
                moving.setdefault((kind, group, destination), {}).setdefault(rid.lower(), rid)
    by_place = sorted(moving.items(), key=lambda kv: tuple(k.lower() for k in kv[0]))
    for (kind, source_group, destination), ids in by_place:
        part = tuple(sorted(ids.values()))
        add(PlanStep(f"{kind.value}:{source_group}->{destination}".lower(), kind,
                     destination, args(destination=destination, source_group=source_group, ids=" ".join(part),
                                       count=len(part), subscription=facts.source_subscription_id)))
    return manual


def _wait_for_regrouping(facts: PlanFacts, steps: Steps, specs: Specs) -> None:
    """A step before the moves waits for the in-subscription moves it acts after: those of its group (it acts
    on what they move), or all of them (the ids it records are those after them)."""
    before = [s for s in steps.values() if s.phase == "before"]
    regroup = [s for s in before if specs[s.kind].regroups]
    for s in before:
        wanted = specs[s.kind].regrouping
        waits: list[str] = []
        if wanted is Regrouping.ITS_GROUP:
            waits = [r.key for r in regroup if r.group.lower() == s.group.lower()
                     or r.arg("source_group").lower() == s.group.lower()]
        elif wanted is Regrouping.ALL:
            waits = [r.key for r in regroup]
        steps[s.key] = waiting(s, after=waits)


def _holds(source_subscription: str, step: PlanStep) -> frozenset[str]:
    """An in-subscription move holds its two groups, as Azure does."""
    base = f"/subscriptions/{source_subscription}/resourcegroups/"
    return frozenset({(base + step.arg("source_group")).lower(), (base + step.group).lower()})


class _Regrouping(HasInventory, HasMoves, Protocol):
    pass


async def _move(azure: _Regrouping, step: PlanStep) -> None:
    """An in-subscription move, validated first, like the moves themselves. A move still running from
    before a restart holds the groups (ResourceMoveInProgress): wait for it, then see what is left."""
    subscription, source = step.arg("subscription"), step.arg("source_group")
    ids = [i for i in step.arg("ids").split() if i]
    target = str(ResourceId(subscription, step.arg("destination")))
    loop = asyncio.get_running_loop()
    since = loop.time()
    while True:
        remaining = await still_in(azure, subscription, source, ids)
        if not remaining:
            return
        try:
            check = await azure.moves.begin_validate(subscription, source, resource_ids=remaining,
                                                     target_group_id=target)
            await check.wait()
            op = await azure.moves.begin_move(subscription, source, resource_ids=remaining, target_group_id=target)
            await op.wait()
            return
        except ArmError as exc:
            if exc.code != _MOVE_IN_PROGRESS or loop.time() - since > _BUSY_LIMIT_SECONDS:
                raise
            await asyncio.sleep(_BUSY_RETRY_SECONDS)


async def _moved(azure: HasInventory, step: PlanStep) -> bool:
    ids = [i for i in step.arg("ids").split() if i]
    return not await still_in(azure, step.arg("subscription"), step.arg("source_group"), ids)


FAMILY = FixFamily(
    name="consolidation",
    actions=tuple(_KIND),
    plan=_regroup,
    together=True,
    finish=_wait_for_regrouping,
    steps=tuple(StepSpec(kind, _move, _moved, regroups=True, lasting=True, holds=_holds) for kind in _KIND.values()),
)
