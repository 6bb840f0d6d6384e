"""Azure's own dry run: validateMoveResources for each chosen group into a same-named group of the CSP
subscription. Azure's answer is the verdict; where it disagrees with our rules the disagreement is recorded."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from migration.assessment.dependencies import parent_id
from migration.azure.ports import HasGroups, HasMoves, Moves
from migration.azure.together import together
from migration.model import (
    ArmError,
    ArmErrorDetail,
    Assessment,
    DryRun,
    GroupAssessment,
    ResourceGroup,
    TenantAccessDenied,
    Verdict,
)

DEFAULT_CONCURRENCY = 20  # validations in flight: their polls stay under ARM's 25 reads/s per subscription
# ARM's write bucket per subscription and principal
# (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
ARM_WRITE_BURST = 200
ARM_WRITES_PER_SECOND = 10.0


PACER_HEADROOM = 3  # tokens: what ARM's full bucket cannot bank while the first writes are on their way


class WritePacer:
    """A client-side token bucket mirroring ARM's write limit, so a large dry run does not earn 429s.

    A token is spent here some time before ARM charges it. While ARM's bucket is still full it loses the
    refills this one counts, so a pacer started full runs ahead of ARM for the whole run (about one write
    in three was answered 429). Hence a bucket `headroom` tokens smaller than ARM's, and `answered()`: the
    first answer after a start from full bounds how long ARM sat full, and those refills are taken back.
    """

    def __init__(self, capacity: int = ARM_WRITE_BURST, per_second: float = ARM_WRITES_PER_SECOND,
                 headroom: float = PACER_HEADROOM) -> None:
        self._capacity = max(1.0, capacity - headroom)
        self._rate = per_second
        self._tokens = self._capacity
        self._stamp = time.monotonic()
        self._left_full: float | None = None  # when the first token was spent from a full bucket

    def _refill(self) -> float:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        return now

    async def acquire(self) -> None:
        while True:
            now = self._refill()
            if self._tokens >= 1:
                if self._tokens >= self._capacity:
                    self._left_full = now
                self._tokens -= 1  # no await between the check and the spend: safe on one event loop
                return
            await asyncio.sleep((1 - self._tokens) / self._rate)

    def answered(self) -> None:
        """A paced write got its answer, so ARM has charged it: ARM's bucket left full by now at the latest."""
        if self._left_full is not None:
            now = self._refill()
            self._tokens -= (now - self._left_full) * self._rate
            self._left_full = None


class DryRunAzure(HasGroups, HasMoves, Protocol):
    """What the dry run uses: it creates the empty target groups, then asks Azure to validate each move."""


async def validate_move(moves: Moves, subscription_id: str, resource_group: str, *,
                        resource_ids: Sequence[str], target_group_id: str) -> None:
    """Azure's dry run of one move; raises ArmError when Azure refuses it. validateMoveResources changes
    nothing in Azure, so the gateway's retry policy sends it again when its answer was lost or failed on
    Azure's side: a lost answer is not Azure's verdict."""
    op = await moves.begin_validate(subscription_id, resource_group, resource_ids=resource_ids,
                                    target_group_id=target_group_id)
    await op.wait()


class NoTargetError(ValueError):
    """The assessment has no target subscription to validate against."""


@dataclass(frozen=True, slots=True)
class TargetGroupPlan:
    """An empty group the dry run needs in the CSP subscription (what the confirmation card lists)."""

    subscription_id: str
    name: str
    location: str
    resource_count: int

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


def _target(assessment: Assessment) -> str:
    if assessment.target is None:
        raise NoTargetError("Pick the target CSP subscription before running Azure's dry run.")
    return assessment.target.id


# Groups a dry run checks when none are named: the ready ones, and those only Azure can decide.
DRY_RUN_BY_DEFAULT = (Verdict.READY, Verdict.AZURE_DECIDES)


def _chosen(assessment: Assessment, groups: Sequence[str] | None) -> list[GroupAssessment]:
    if groups is None:
        return [g for g in assessment.groups if g.verdict in DRY_RUN_BY_DEFAULT]
    wanted = {n.lower() for n in groups}
    found = [g for g in assessment.groups if g.name.lower() in wanted]
    missing = wanted - {g.name.lower() for g in found}
    if missing:
        raise KeyError(f"not in the assessment: {', '.join(sorted(missing))}")
    return found


_Positions = dict[str, list[tuple[int, str]]]  # resource id (lower) -> (index in assessment.resources, location)


def _positions(assessment: Assessment) -> _Positions:
    """One pass over the inventory, so each group's location is found from its own members only (scanning
    every resource per group made a 500-group dry run spend seconds here)."""
    out: _Positions = {}
    for index, r in enumerate(assessment.resources):
        out.setdefault(r.id.lower(), []).append((index, r.location))
    return out


def _location(assessment: Assessment, group: GroupAssessment, positions: _Positions | None = None) -> str:
    """The group's most common resource location (global resources do not count)."""
    positions = _positions(assessment) if positions is None else positions
    members = {i.lower() for i in group.resource_ids}
    # In inventory order, so a tie goes to the location seen first, as a scan of the inventory would.
    found = sorted(entry for m in members for entry in positions.get(m, ()))
    counts = Counter(loc.lower() for _, loc in found if loc and loc.lower() != "global")
    return counts.most_common(1)[0][0] if counts else "westeurope"


def planned_target_groups(assessment: Assessment, *, groups: Sequence[str] | None = None) -> list[TargetGroupPlan]:
    """What the dry run will create in the CSP subscription; default: the ready groups and those Azure decides."""
    target = _target(assessment)
    positions = _positions(assessment)
    return [TargetGroupPlan(target, g.name, _location(assessment, g, positions), g.resource_count)
            for g in _chosen(assessment, groups)]


async def ensure_target_groups(azure: HasGroups, assessment: Assessment, *,
                               groups: Sequence[str]) -> list[ResourceGroup]:
    """Create the (empty) target groups, after the engineer confirmed. Existing groups are left as they are."""
    plans = planned_target_groups(assessment, groups=groups)
    return list(await together(*(azure.groups.ensure_group(p.subscription_id, p.name, location=p.location)
                                 for p in plans)))


def top_level_ids(group: GroupAssessment) -> list[str]:
    """What a move request carries: top-level resources only (children follow their parent)."""
    return [i for i in group.resource_ids if parent_id(i) is None]


def expand(detail: ArmErrorDetail) -> ArmErrorDetail:
    """Some providers serialise their error tree inside `message` (Azure's answer to a failed dependency
    check): unfold it."""
    nested: tuple[ArmErrorDetail, ...] = ()
    text = detail.message.strip()
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        inner = body.get("error", body) if isinstance(body, dict) else None
        if isinstance(inner, dict):
            nested = tuple(_detail(d) for d in inner.get("details") or () if isinstance(d, dict))
    return replace(detail, details=tuple(expand(d) for d in detail.details) + nested)


def _detail(node: dict[str, Any]) -> ArmErrorDetail:
    children = node.get("details")
    return ArmErrorDetail(code=str(node.get("code") or ""), message=str(node.get("message") or ""),
                          target=str(node["target"]) if node.get("target") else None,
                          details=tuple(_detail(d) for d in children if isinstance(d, dict))
                          if isinstance(children, list) else ())


def _leaves(error: ArmErrorDetail) -> list[ArmErrorDetail]:
    return [d for d in error.walk() if not d.details] or [error]


def disagreement(group: GroupAssessment, valid: bool, errors: Sequence[ArmErrorDetail]) -> str | None:
    """How Azure's answer differs from our verdict, in a sentence; None when they agree (or only Azure could say)."""
    if group.verdict is Verdict.AZURE_DECIDES:
        return None
    if not valid and group.verdict is Verdict.READY:
        reasons = "; ".join(sorted({f"{d.code}: {d.message}" for e in errors for d in _leaves(e)}))
        return f"Azure refuses group {group.name} although our rules found nothing blocking: {reasons}"
    if valid and group.verdict is not Verdict.READY:  # Azure accepts the group as it is today
        rules = ", ".join(sorted({f.rule_id for f in group.findings
                                  if f.severity.value in ("blocker", "fix_first")}))
        return f"Azure accepts group {group.name} although our rules flag it ({rules}); Azure's answer stands."
    return None


async def _validate(azure: DryRunAzure, assessment: Assessment, group: GroupAssessment, *,
                    gate: asyncio.Semaphore, pacers: dict[str, WritePacer], create_target: bool,
                    positions: _Positions) -> DryRun:
    target = _target(assessment)
    target_group = f"/subscriptions/{target}/resourceGroups/{group.name}"
    async with gate:
        try:
            if create_target:
                await pacers[target].acquire()
                try:
                    await azure.groups.ensure_group(target, group.name,
                                                    location=_location(assessment, group, positions))
                finally:
                    # A get, then the put: ARM charges the token long after it was spent here.
                    pacers[target].answered()
            await pacers[assessment.source.id].acquire()
            await validate_move(azure.moves, assessment.source.id, group.name, resource_ids=top_level_ids(group),
                                target_group_id=target_group)
            valid, errors = True, tuple[ArmErrorDetail, ...]()
        except TenantAccessDenied:
            raise  # the bot may not act here: not the group's verdict; the flow names the cause and its fix
        except ArmError as exc:  # refused at the front door (400/403/409) or by the providers (409)
            valid, errors = False, (expand(exc.error),)
    return DryRun(group.name, target_group, valid, errors, disagreement(group, valid, errors))


async def run_dry_run(azure: DryRunAzure, assessment: Assessment, *, groups: Sequence[str] | None = None,
                      concurrency: int = DEFAULT_CONCURRENCY,
                      create_target_groups: bool = False) -> Assessment:
    """Validate the chosen groups concurrently (default: the ready ones); a copy with `dry_run` filled in.

    With `create_target_groups` (only after the engineer confirmed `planned_target_groups`), each empty target
    group is created just before its validation, so creations and validations overlap.
    """
    chosen = _chosen(assessment, groups)
    gate = asyncio.Semaphore(max(1, concurrency))
    pacers = {assessment.source.id: WritePacer(), _target(assessment): WritePacer()}
    positions = _positions(assessment) if create_target_groups else {}
    results = await together(*(_validate(azure, assessment, g, gate=gate, pacers=pacers,
                                         create_target=create_target_groups, positions=positions)
                               for g in chosen))
    by_name = {r.resource_group.lower(): r for r in results}
    return replace(assessment, groups=tuple(replace(g, dry_run=by_name.get(g.name.lower(), g.dry_run))
                                            for g in assessment.groups))


def azure_verdict(group: GroupAssessment) -> Verdict:
    """Azure's answer when there is one, else ours (see GroupAssessment.final_verdict)."""
    return group.final_verdict
