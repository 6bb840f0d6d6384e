"""In-subscription moves before the moves: split dependencies brought into one group, App Service resources
moved back to the group they were created in. Azure's dry run of all of them comes first, so a part it refuses
stops every one before anything moves; each is validated again just before it moves, and holds its two groups
while it runs, as Azure does.

The resources they move change group before the moves: the steps that act on those groups wait for them
(`Regrouping` on each step kind), and `choice.regroup` gives the request's groups as they then stand.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

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


def _validate_first(facts: PlanFacts, steps: Steps, regroup: Sequence[PlanStep]) -> None:
    """Azure's dry run of the whole regrouping before any of its moves: when it refuses one part, none is
    made (each move waits for it) and the step's error says why. It waits for what the moves wait for (the
    locks lifted in their groups)."""
    if not regroup:
        return
    parts = [{"source_group": s.arg("source_group"), "destination": s.group, "ids": s.arg("ids").split()}
             for s in regroup]
    first = tuple(dict.fromkeys(k for s in regroup for k in s.after))
    key = f"{StepKind.VALIDATE_REGROUPING.value}:{facts.source_subscription_id}".lower()
    # It serves the groups of the regrouping through their moves, which wait for it: not every group.
    check = PlanStep(key, StepKind.VALIDATE_REGROUPING, regroup[0].group,
                     args(parts=json.dumps(parts), count=len(parts), subscription=facts.source_subscription_id),
                     after=first)
    planned = list(steps.items())
    steps.clear()
    for k, s in planned:  # listed just before the first of them, as it runs
        if k == regroup[0].key:
            steps[key] = check
        steps[k] = waiting(s, after=(key,)) if s in regroup else s


def _wait_for_regrouping(facts: PlanFacts, steps: Steps, specs: Specs) -> None:
    """A step before the moves waits for the in-subscription moves it acts after: those of its group (it acts
    on what they move), or all of them (the ids it records are those after them); the moves wait for the dry
    run of all of them."""
    before = [s for s in steps.values() if s.phase == "before"]
    regroup = [s for s in before if specs[s.kind].regroups]
    _validate_first(facts, steps, regroup)
    before = [steps[s.key] for s in before]
    for s in before:
        wanted = specs[s.kind].regrouping
        waits: list[str] = []
        if wanted is Regrouping.ITS_GROUP:
            waits = [r.key for r in regroup if r.group.lower() == s.group.lower()
                     or r.arg("source_group").lower() == s.group.lower()]
        elif wanted is Regrouping.ALL:
            waits = [r.key for r in regroup]
        steps[s.key] = waiting(s, after=waits)


def _parts(step: PlanStep) -> list[dict[str, Any]]:
    """The whole regrouping's moves: source group, destination, ids."""
    return list(json.loads(step.arg("parts") or "[]"))


def _holds(source_subscription: str, step: PlanStep) -> frozenset[str]:
    """An in-subscription move, or its dry run, holds its two groups, as Azure does (the dry run of the whole
    regrouping holds every group of it)."""
    base = f"/subscriptions/{source_subscription}/resourcegroups/"
    pairs = [(p["source_group"], p["destination"]) for p in _parts(step)] if step.kind is \
        StepKind.VALIDATE_REGROUPING else [(step.arg("source_group"), step.group)]
    return frozenset((base + g).lower() for pair in pairs for g in pair)


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


async def _validate(azure: _Regrouping, step: PlanStep) -> None:
    """Azure's dry run of each part still to move (a part a run before a restart moved is not asked again)."""
    subscription = step.arg("subscription")
    for part in _parts(step):
        remaining = await still_in(azure, subscription, part["source_group"], part["ids"])
        if remaining:
            check = await azure.moves.begin_validate(subscription, part["source_group"], resource_ids=remaining,
                                                     target_group_id=str(ResourceId(subscription,
                                                                                    part["destination"])))
            await check.wait()


async def _never_done(azure: _Regrouping, step: PlanStep) -> bool:
    return False  # a dry run changes nothing: after a restart it is simply asked again


def _command_values(step: PlanStep) -> Mapping[str, Any]:
    """Each part's dry run by hand: Azure's validateMoveResources for its source group."""
    subscription = step.arg("subscription")
    return {"checks": [{"url": f"https://management.azure.com/subscriptions/{subscription}/resourceGroups/"
                               f"{p['source_group']}/validateMoveResources?api-version=2021-04-01",
                        "body": json.dumps({"resources": p["ids"],
                                            "targetResourceGroup": str(ResourceId(subscription, p["destination"]))})}
                       for p in _parts(step)]}


async def _moved(azure: HasInventory, step: PlanStep) -> bool:
    ids = [i for i in step.arg("ids").split() if i]
    return not await still_in(azure, step.arg("subscription"), step.arg("source_group"), ids)


FAMILY = FixFamily(
    name="consolidation",
    actions=tuple(_KIND),
    plan=_regroup,
    together=True,
    finish=_wait_for_regrouping,
    steps=(*(StepSpec(kind, _move, _moved, regroups=True, lasting=True, holds=_holds) for kind in _KIND.values()),
           StepSpec(StepKind.VALIDATE_REGROUPING, _validate, _never_done, writes_scopes=False, holds=_holds,
                    command_values=_command_values)),
)
