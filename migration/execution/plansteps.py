"""A move request as the move engine's steps: the fixes before the moves, each group validated then moved,
the follow-through; which of them a previous run finished; and the changes a step makes to the request's
record (a group's state, a batch's)."""

from __future__ import annotations

from dataclasses import replace

from migration.execution.engine import Step
from migration.execution.fixstep import finished_steps
from migration.fixes.families import holds as fix_holds
from migration.model import GroupMove, GroupState, ResourceId
from migration.model.plan import PlanStep
from migration.model.records import BatchRecord, StepStatus, StoredRequest

FINAL_GROUP = frozenset({GroupState.SUCCEEDED, GroupState.FAILED, GroupState.SKIPPED})


def top_level(resource_id: str) -> bool:
    """A top-level resource of a group (what a move request names; its children follow it)."""
    try:
        found = ResourceId.parse(resource_id)
    except ValueError:
        return False
    return found.is_top_level and bool(found.resource_group)


def replace_group(stored: StoredRequest, name: str, **changes: object) -> StoredRequest:
    # `changes` are GroupMove fields, checked by `replace` at run time.
    groups = tuple(replace(g, **changes)  # type: ignore[arg-type]
                   if g.source_group == name else g for g in stored.request.groups)
    return replace(stored, request=replace(stored.request, groups=groups))


def replace_batch(stored: StoredRequest, batch: BatchRecord) -> StoredRequest:
    batches = tuple(
        batch if (b.group, b.index) == (batch.group, batch.index) else b for b in stored.batches
    )
    moved = sum(b.moved for b in batches if b.group == batch.group)
    return replace_group(replace(stored, batches=batches), batch.group, moved_count=moved)


def _holds(request_source: str, group: GroupMove) -> frozenset[str]:
    source = f"/subscriptions/{request_source}/resourceGroups/{group.source_group}".lower()
    return frozenset({source, group.target_group_id.rstrip("/").lower()})


def _fixes_before(stored: StoredRequest, group: str) -> tuple[str, ...]:
    """The fix steps a group's validation waits for: those serving it, or every group."""
    low = group.lower()
    return tuple(s.key for s in stored.fix_steps if s.phase == "before"
                 and (s.group.lower() in ("", low) or s.arg("source_group").lower() == low))


def engine_steps(stored: StoredRequest) -> list[Step]:
    """The request's plan as steps: the fixes before the moves, then each group validated and moved (a
    group chained to another (`after`) waits for that group's move; both steps hold the group's source and
    target groups), then the follow-through. A group's validation waits for the fixes that serve it."""
    request = stored.request
    names = {g.source_group.lower(): g.source_group for g in request.groups}
    keys = {f"move:{g.source_group}" for g in request.groups} | {s.key for s in stored.fix_steps}
    fixes = {
        # A reference to a move the plan no longer has (a group emptied by a fix) is dropped.
        s.key: Step(s.key, after=tuple(a for a in s.after if a in keys), ended=tuple(e for e in s.ended if e in keys),
                    holds=fix_holds(request.source_subscription_id, s))
        for s in stored.fix_steps
    }
    # In the order they depend on each other: fixes before, the moves, the follow-through.
    out: list[Step] = [fixes[s.key] for s in stored.fix_steps if s.phase == "before"]
    for g in request.groups:
        holds = _holds(request.source_subscription_id, g)
        out.append(Step(f"validate:{g.source_group}", after=_fixes_before(stored, g.source_group), holds=holds))
        out.append(Step(f"move:{g.source_group}", after=(f"validate:{g.source_group}", *(
            f"move:{names.get(a.lower(), a)}" for a in g.after)), holds=holds))
    return out + [fixes[s.key] for s in stored.fix_steps if s.phase == "after"]


def finished(stored: StoredRequest) -> dict[str, bool]:
    """Steps a previous run finished (a resumed request goes on from there)."""
    done: dict[str, bool] = finished_steps(stored)
    for g in stored.request.groups:
        name = g.source_group
        if name in stored.validated:
            done[f"validate:{name}"] = True
        elif g.state in FINAL_GROUP:
            done[f"validate:{name}"] = False
        if g.state in FINAL_GROUP:
            done[f"move:{name}"] = g.state is GroupState.SUCCEEDED
    return done


def first_failed(stored: StoredRequest, step: PlanStep) -> PlanStep:
    """The step that failed, for a step skipped because a step it waits for did not succeed (the group's
    message names the cause, not the link of the chain next to it)."""
    by_key = {s.key: s for s in stored.fix_steps}
    seen = {step.key}
    while (record := stored.step_record(step.key)) is not None and record.status is StepStatus.SKIPPED:
        waited = next((by_key[k] for k in step.after if k in by_key and k not in seen
                       and (r := stored.step_record(k)) is not None
                       and r.status in (StepStatus.FAILED, StepStatus.SKIPPED)), None)
        if waited is None:
            break
        seen.add(waited.key)
        step = waited
    return step
