"""One group's validation and move as units of the move engine.

Validation makes the target group when it is missing, then asks Azure's dry run about every batch. The move
sends the group's batches one after the other, and nothing runs twice and nothing is lost: each batch is
recorded as `started` before its moveResources POST and its continuation token is saved the moment the POST
returns; a restarted run resumes a batch with a token by polling it (never re-posting), and a batch `started`
without a token (the process died between the POST and saving) is reconciled by listing the source:
resources already gone were moved, only the remainder is sent. Lost access to the tenant is not the group's
failure: the caller's wait for access runs and the call is tried again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from migration.assessment.dryrun import validate_move
from migration.azure.explain import explain
from migration.azure.ports import Gateway, HasGroups, HasInventory, HasMoves
from migration.execution.fixstep import AccessBack, AccessLost, Save
from migration.execution.plansteps import replace_batch, replace_group, top_level
from migration.execution.workflow import Workflow
from migration.model import (
    ArmError,
    ArmErrorDetail,
    GroupMove,
    GroupState,
    MoveRequest,
    NotFound,
    RequestState,
    ResourceId,
    TenantAccessDenied,
)
from migration.model.records import BatchRecord, BatchStatus, StoredRequest
from migration.planning.batches import plan_batches

log = logging.getLogger(__name__)

DONE_BATCH = frozenset({BatchStatus.SUCCEEDED, BatchStatus.FAILED})
_MOVE_IN_PROGRESS = "ResourceMoveInProgress"
_BUSY_LIMIT_SECONDS = 5 * 3600  # Azure holds groups for up to 4 hours; beyond that something is stuck


class GroupMoveAzure(HasGroups, HasMoves, HasInventory, Protocol):
    """What a group's move uses: its target group, Azure's dry run and move, the source's inventory."""


class GroupMoveRunner:
    def __init__(self, workflow: Workflow, gateway: Gateway[GroupMoveAzure], *, batch_size: int,
                 retry_seconds: float, save: Save, access_lost: AccessLost, access_back: AccessBack,
                 changed: Callable[[StoredRequest], None]) -> None:
        self._workflow = workflow
        self._gateway = gateway
        self._batch_size = batch_size
        self._retry_seconds = retry_seconds  # wait before re-trying a group held by another move / a lost answer
        self._save = save
        self._access_lost = access_lost
        self._access_back = access_back
        self._changed = changed

    async def validate(self, stored: StoredRequest, name: str) -> bool:
        group = stored.group(name)
        stored = await self._save(stored.id, lambda s: replace_group(s, name, state=GroupState.VALIDATING))
        while True:
            try:
                error = await self._validate_group(stored, group)
            except TenantAccessDenied as exc:
                stored = await self._access_lost(stored, exc)
                continue
            break
        stored = await self._access_back(stored)
        if error is not None:
            stored = await self._save(stored.id, lambda s: replace_group(
                s, name, state=GroupState.FAILED, error=explain(error)))
            await self._workflow.audit(stored.id, "group_failed", by=None, tenant_id=None,
                                       detail={"group": name, "phase": "validate", "code": error.code})
            self._changed(stored)
            return False
        started_moving = False

        def passed(s: StoredRequest) -> StoredRequest:
            nonlocal started_moving
            s = replace_group(replace(s, validated=(*s.validated, name)), name, state=GroupState.PENDING)
            started_moving = s.state is RequestState.VALIDATING
            return replace(s, request=replace(s.request, state=RequestState.MOVING)) if started_moving else s

        stored = await self._save(stored.id, passed)
        if started_moving:
            await self._workflow.audit(stored.id, "moving", by=None, tenant_id=None,
                                       detail={"first_validated_group": name})
            self._changed(stored)
        return True

    async def _validate_group(self, stored: StoredRequest, group: GroupMove) -> ArmErrorDetail | None:
        """Create the target group if needed, then Azure's dry run for every batch (None: all accepted)."""
        request = stored.request
        azure = self._gateway.for_tenant(request.tenant_id)
        try:
            await azure.groups.ensure_group(request.target_subscription_id,
                                            ResourceId.parse(group.target_group_id).resource_group,
                                            location=group.location)
            for batch in plan_batches(group.source_group, group.resource_ids, max_size=self._batch_size):
                await validate_move(azure.moves, request.source_subscription_id, group.source_group,
                                    resource_ids=batch.resource_ids, target_group_id=group.target_group_id)
        except TenantAccessDenied:
            raise  # not the move's fault: the caller waits for access
        except ArmError as exc:
            return exc.error
        return None

    async def move(self, stored: StoredRequest, name: str) -> StoredRequest:
        group = stored.group(name)
        if not stored.batches_of(name):
            # The plan is saved before the first call, so a restart continues the same batches.
            plan = plan_batches(name, group.resource_ids, max_size=self._batch_size)
            records = tuple(BatchRecord(name, b.index, b.resource_ids, BatchStatus.PLANNED) for b in plan)
            stored = await self._save(stored.id, lambda s: replace_group(
                replace(s, batches=(*s.batches, *records)), name, state=GroupState.MOVING))
        elif group.state is not GroupState.MOVING:
            stored = await self._save(stored.id, lambda s: replace_group(s, name, state=GroupState.MOVING))
        for batch in stored.batches_of(name):
            if batch.status not in DONE_BATCH:
                stored = await self._run_batch(stored, batch)
        batches = stored.batches_of(name)
        failed = [b for b in batches if b.status is BatchStatus.FAILED]
        state = GroupState.FAILED if failed else GroupState.SUCCEEDED
        error = explain(failed[0].error) if failed and failed[0].error else None
        return await self._save(stored.id, lambda s: replace_group(s, name, state=state, error=error))

    async def _run_batch(self, stored: StoredRequest, batch: BatchRecord) -> StoredRequest:
        request = stored.request
        group = stored.group(batch.group)
        moves = self._gateway.for_tenant(request.tenant_id).moves
        busy_since: float | None = None
        loop = asyncio.get_running_loop()
        op = None

        async def save(b: BatchRecord) -> StoredRequest:
            return await self._save(request.id, lambda s: replace_batch(s, b))

        while batch.status not in DONE_BATCH:
            if batch.status is BatchStatus.RUNNING and batch.token:
                try:
                    if op is None:
                        op = await moves.resume(batch.token)
                    await op.wait()
                except TenantAccessDenied as exc:
                    op = None  # the job runs on in Azure; it is polled again once access is back
                    stored = await self._access_lost(stored, exc)
                    continue
                except ArmError as exc:
                    op = None
                    if exc.status is None or (exc.status or 0) >= 500:
                        await asyncio.sleep(self._retry_seconds)  # polling is a read: safe to try again
                        continue
                    if isinstance(exc, NotFound) or exc.code == "InvalidContinuationToken":
                        # Azure forgot the job: find out from the inventory what it did.
                        batch = replace(batch, status=BatchStatus.STARTED, token=None)
                        stored = await save(batch)
                        continue
                    gone = len(batch.resource_ids) - len(batch.sent_ids or batch.resource_ids)
                    batch = replace(batch, status=BatchStatus.FAILED, error=exc.error, moved=gone,
                                    finished_at=self._workflow.now())
                    stored = await save(batch)
                    break
                stored = await self._access_back(stored)
                batch = replace(batch, status=BatchStatus.SUCCEEDED, moved=len(batch.resource_ids),
                                finished_at=self._workflow.now())
                stored = await save(batch)
                break
            if batch.status is BatchStatus.STARTED:
                try:
                    remaining = await self._still_in_source(request.source_subscription_id, request.tenant_id,
                                                            batch.resource_ids)
                except TenantAccessDenied as exc:
                    stored = await self._access_lost(stored, exc)
                    continue
                except ArmError as exc:  # throttled or unreachable: never guess, ask again later
                    log.warning("move %s: cannot read the source inventory yet: %r", request.id, str(exc))
                    await asyncio.sleep(self._retry_seconds)
                    continue
                stored = await self._access_back(stored)
                if not remaining:
                    batch = replace(batch, status=BatchStatus.SUCCEEDED, moved=len(batch.resource_ids),
                                    finished_at=self._workflow.now())
                    stored = await save(batch)
                    break
            else:
                remaining = list(batch.resource_ids)
            batch = replace(batch, status=BatchStatus.STARTED, token=None, sent_ids=tuple(remaining),
                            posts=batch.posts + 1, started_at=batch.started_at or self._workflow.now())
            stored = await save(batch)  # recorded before the POST: a crash from here on is reconciled
            try:
                op = await moves.begin_move(request.source_subscription_id, batch.group, resource_ids=remaining,
                                            target_group_id=group.target_group_id)
            except TenantAccessDenied as exc:
                # Refused before anything started (no token, or no role): wait, then reconcile and send again.
                batch = replace(batch, posts=batch.posts - 1)
                stored = await save(batch)
                stored = await self._access_lost(stored, exc)
                continue
            except ArmError as exc:
                if exc.status is not None and exc.status < 500:
                    batch = replace(batch, posts=batch.posts - 1)  # refused outright: no move started
                if exc.status is None or exc.code == _MOVE_IN_PROGRESS or (exc.status or 0) >= 500:
                    # The answer was lost, or a move (maybe our own lost one) holds the group: wait,
                    # then reconcile from the inventory instead of re-sending blindly.
                    busy_since = busy_since or loop.time()
                    if loop.time() - busy_since < _BUSY_LIMIT_SECONDS:
                        stored = await save(batch)
                        await asyncio.sleep(self._retry_seconds)
                        continue
                gone = len(batch.resource_ids) - len(remaining)
                batch = replace(batch, status=BatchStatus.FAILED, error=exc.error, moved=gone,
                                finished_at=self._workflow.now())
                stored = await save(batch)
                break
            batch = replace(batch, status=BatchStatus.RUNNING, token=op.continuation_token())
            stored = await save(batch)
            stored = await self._access_back(stored)
        await self._workflow.audit(request.id, "batch", by=None, tenant_id=None, detail={
            "group": batch.group, "index": batch.index, "status": batch.status.value, "resources":
            len(batch.resource_ids), "moved": batch.moved, "posts": batch.posts,
            "code": batch.error.code if batch.error else None})
        return stored

    async def _still_in_source(self, subscription_id: str, tenant_id: str, ids: Sequence[str]) -> list[str]:
        inventory = {r.id.lower() for r in await self._gateway.for_tenant(tenant_id).inventory.list_resources(
            subscription_id)}
        return [i for i in ids if i.lower() in inventory]


async def confirm_moved(azure: HasInventory, request: MoveRequest) -> tuple[dict[str, int], tuple[str, ...]]:
    """What both inventories say now: each group's resources found at their new ids in the target, and the
    top-level resources still in the source."""
    source = await azure.inventory.list_resources(request.source_subscription_id)
    in_target = {r.id.lower() for r in await azure.inventory.list_resources(request.target_subscription_id)}
    confirmed = {}
    for g in request.groups:
        target_group = ResourceId.parse(g.target_group_id)
        confirmed[g.source_group] = sum(ResourceId.parse(i).in_group(target_group).key in in_target
                                        for i in g.resource_ids)
    return confirmed, tuple(sorted(r.id for r in source if top_level(r.id)))
