"""The background move runner: claims approved requests with a lease and moves their groups side by side.

A request is a plan of steps (`migration.execution.engine`): each group is validated, then moved; groups run
concurrently (Azure locks only each call's source and target groups), a group chained to another waits for
it, and a failed group stops only what waits for it. The lease, compare-and-swap and resume logic below is
written once for every step.

Nothing runs twice and nothing is lost:
- a request is worked on only by the runner holding its lease (compare-and-swap in the store), and
  every write the runner makes is fenced by that lease, so a runner that lost it stops at once;
- each batch is recorded as `started` before its moveResources POST and its continuation token is saved
  the moment the POST returns; a restarted runner resumes a batch with a token by polling it (never
  re-posting), and a batch `started` without a token (the process died between the POST and saving)
  is reconciled by listing the source: resources already gone were moved, only the remainder is sent.

When the bot's identity loses access to the customer's tenant mid-way (`TenantAccessDenied`: consent
withdrawn, role removed, secret expired), nothing is marked failed: the request records why it waits,
people are told what to fix, and the runner checks again with a bounded backoff (or at once on
"Check again"), carrying on where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from migration.assessment.dryrun import validate_move
from migration.azure.explain import explain
from migration.azure.ports import AzureGateway
from migration.execution.engine import Step, run_steps
from migration.execution.fixstep import FixStepRunner, finished_steps, verify
from migration.execution.workflow import LeaseLost, Workflow
from migration.model import (
    ArmError,
    ArmErrorDetail,
    GroupMove,
    GroupState,
    NotFound,
    RequestState,
    TenantAccessDenied,
)
from migration.model.plan import PlanStep, StepKind, message
from migration.model.records import AccessWait, BatchRecord, BatchStatus, StoredRequest
from migration.planning.batches import MAX_BATCH, plan_batches
from migration.reports.checklist import tick

log = logging.getLogger(__name__)

_FINAL_GROUP = frozenset({GroupState.SUCCEEDED, GroupState.FAILED, GroupState.SKIPPED})
_DONE_BATCH = frozenset({BatchStatus.SUCCEEDED, BatchStatus.FAILED})
_RUN_FINAL = frozenset({RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})
_MOVE_IN_PROGRESS = "ResourceMoveInProgress"
_BUSY_LIMIT_SECONDS = 5 * 3600  # Azure holds groups for up to 4 hours; beyond that something is stuck


_tracer = trace.get_tracer("cspbot")


class ProgressListener(Protocol):
    """Told when a request changes in a way people should see (a group finished, the move ended)."""

    async def request_changed(self, stored: StoredRequest, *, final: bool) -> None: ...


class AccessAlerts(Protocol):
    """Told once per wait that a move waits for access (the requester and the approvers are told the fix)."""

    async def access_lost(self, stored: StoredRequest) -> None: ...


class MoveTelemetry(Protocol):
    """Told of every change the listener is told of, to count steps and moves (`telemetry.py`)."""

    def request_changed(self, stored: StoredRequest, *, final: bool) -> None: ...


# --------------------------------------------------------------------------- helpers


def _group_name(group_id: str) -> str:
    return group_id.rstrip("/").rsplit("/", 1)[-1]


def _moved_id(resource_id: str, target_subscription: str, target_group: str) -> str:
    """The id a resource has after the move (subscription and group change, the rest stays)."""
    parts = resource_id.strip("/").split("/")
    parts[1], parts[3] = target_subscription, target_group
    return "/" + "/".join(parts)


def _top_level(resource_id: str) -> bool:
    return len(resource_id.strip("/").split("/")) == 8


def _replace_group(stored: StoredRequest, name: str, **changes: object) -> StoredRequest:
    groups = tuple(replace(g, **changes) if g.source_group == name else g for g in stored.request.groups)  # type: ignore[arg-type]
    return replace(stored, request=replace(stored.request, groups=groups))


def _replace_batch(stored: StoredRequest, batch: BatchRecord) -> StoredRequest:
    batches = tuple(
        batch if (b.group, b.index) == (batch.group, batch.index) else b for b in stored.batches
    )
    moved = sum(b.moved for b in batches if b.group == batch.group)
    return _replace_group(replace(stored, batches=batches), batch.group, moved_count=moved)


def _holds(request_source: str, group: GroupMove) -> frozenset[str]:
    source = f"/subscriptions/{request_source}/resourceGroups/{group.source_group}".lower()
    return frozenset({source, group.target_group_id.rstrip("/").lower()})


def _fix_holds(request_source: str, step: PlanStep) -> frozenset[str]:
    """An in-subscription move holds its two groups, as Azure does; the other fixes hold nothing."""
    if step.kind not in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK):
        return frozenset()
    base = f"/subscriptions/{request_source}/resourcegroups/"
    return frozenset({(base + step.arg("source_group")).lower(), (base + step.group).lower()})


def _fixes_before(stored: StoredRequest, group: str) -> tuple[str, ...]:
    """The fix steps a group's validation waits for: those serving it, or every group."""
    low = group.lower()
    return tuple(s.key for s in stored.fix_steps if s.phase == "before"
                 and (s.group.lower() in ("", low) or s.arg("source_group").lower() == low))


def _steps(stored: StoredRequest) -> list[Step]:
    """The request's plan as steps: the fixes before the moves, then each group validated and moved (a
    group chained to another (`after`) waits for that group's move; both steps hold the group's source and
    target groups), then the follow-through. A group's validation waits for the fixes that serve it."""
    request = stored.request
    names = {g.source_group.lower(): g.source_group for g in request.groups}
    keys = {f"move:{g.source_group}" for g in request.groups} | {s.key for s in stored.fix_steps}
    fixes = {
        # A reference to a move the plan no longer has (a group emptied by a fix) is dropped.
        s.key: Step(s.key, after=tuple(a for a in s.after if a in keys), ended=tuple(e for e in s.ended if e in keys),
                    holds=_fix_holds(request.source_subscription_id, s))
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


def _finished(stored: StoredRequest) -> dict[str, bool]:
    """Steps a previous run finished (a resumed request goes on from there)."""
    done: dict[str, bool] = finished_steps(stored)
    for g in stored.request.groups:
        name = g.source_group
        if name in stored.validated:
            done[f"validate:{name}"] = True
        elif g.state in _FINAL_GROUP:
            done[f"validate:{name}"] = False
        if g.state in _FINAL_GROUP:
            done[f"move:{name}"] = g.state is GroupState.SUCCEEDED
    return done


_Change = tuple[Callable[[StoredRequest], "StoredRequest | None"], "asyncio.Future[StoredRequest]"]


class _Coalesced:
    """Progress updates, at most one in flight: a burst collapses into the latest state, and `close`
    returns only when nothing is in flight any more (so no update can land after the final card)."""

    def __init__(self, send: Callable[[StoredRequest], Awaitable[object]]) -> None:
        self._send = send
        self._latest: StoredRequest | None = None
        self._task: asyncio.Task[None] | None = None

    def push(self, stored: StoredRequest) -> None:
        self._latest = stored
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._latest is not None:
            stored, self._latest = self._latest, None
            await self._send(stored)

    async def close(self) -> None:
        self._latest = None
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    lease_seconds: float = 120.0  # a dead runner's requests are resumed this long after it stopped
    poll_seconds: float = 5.0  # how often the store is scanned for work without a wake-up
    batch_size: int = MAX_BATCH
    retry_seconds: float = 15.0  # wait before re-trying a group held by another move / a lost answer
    # Groups validated or moved at once per source subscription. Azure locks only the groups of each move;
    # what paces the calls is the throttle budget Azure reports (migration.azure.pacing), not this bound.
    max_parallel: int = 250
    access_retry_seconds: float = 30.0  # first re-check of access after it failed; doubles each time...
    access_retry_max_seconds: float = 600.0  # ...up to this


# --------------------------------------------------------------------------- the runner


class MoveRunner:
    def __init__(
        self,
        workflow: Workflow,
        gateway: AzureGateway,
        *,
        listener: ProgressListener | None = None,
        alerts: AccessAlerts | None = None,
        telemetry: MoveTelemetry | None = None,
        config: RunnerConfig = RunnerConfig(),
        owner: str | None = None,
    ) -> None:
        self._workflow = workflow
        self._gateway = gateway
        self._listener = listener
        self._alerts = alerts
        self._telemetry = telemetry
        self._config = config
        self.owner = owner or f"runner-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._work: dict[str, asyncio.Task[None]] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}  # per source subscription
        self._queued: dict[str, list[_Change]] = {}  # per request: changes waiting for the next write
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._latest: dict[str, StoredRequest] = {}  # per request: the record as this runner last wrote it
        self._progress: dict[str, _Coalesced] = {}
        self._recheck: dict[str, asyncio.Event] = {}  # per request waiting for access: "Check again"

    def set_listener(self, listener: ProgressListener | None) -> None:
        self._listener = listener

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Scan for work now and every `poll_seconds` (and on `wake()`), until `stop()`."""
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop(), name=f"move-runner {self.owner}")

    def wake(self) -> None:
        """Look for work now instead of at the next scan."""
        self._wake.set()

    def approved(self, request_id: str) -> None:
        """A request was approved (the decisions' `RunnerSignal`): claim it now."""
        self.wake()

    def recheck(self, request_id: str) -> bool:
        """Check access again now for a move waiting for it (False: this runner is not working on it). A click
        that comes while the wait is still being recorded is kept for it, not lost."""
        if request_id not in self._work:
            return False
        self._recheck.setdefault(request_id, asyncio.Event()).set()
        return True

    async def stop(self, *, release: bool = True) -> None:
        """Stop working. With `release`, leases are handed back so another process resumes at once;
        without, they lapse after `lease_seconds` (what a crash leaves behind)."""
        tasks = [t for t in (self._loop_task, *self._work.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        held = list(self._work)
        self._work.clear()
        if release:
            for request_id in held:
                with contextlib.suppress(LeaseLost, KeyError):
                    await self._workflow.update(request_id, lambda s: replace(s, lease=None), owner=self.owner)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once(wait=False)
            except Exception:  # noqa: BLE001 - the store may be briefly unreachable; try again later
                log.exception("move runner: scanning for work failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_seconds)
            self._wake.clear()

    async def run_once(self, *, wait: bool = True) -> list[str]:
        """Claim everything claimable now and work on it; with `wait`, return when it is done."""
        started: list[str] = []
        for request_id in await self._workflow.claimable():
            if request_id in self._work:
                continue
            stored = await self._workflow.claim(request_id, self.owner, lease_seconds=self._config.lease_seconds)
            if stored is None:
                continue  # another runner was faster
            task = asyncio.create_task(self._guarded(stored), name=f"move {request_id}")
            self._work[request_id] = task
            task.add_done_callback(lambda _t, rid=request_id: (self._work.pop(rid, None),
                                                               self._recheck.pop(rid, None)))
            started.append(request_id)
        if wait:
            await asyncio.gather(*(self._work[r] for r in started if r in self._work), return_exceptions=True)
        return started

    async def _guarded(self, stored: StoredRequest) -> None:
        main = asyncio.current_task()
        assert main is not None
        renewer = asyncio.create_task(self._renew(stored.id, main))
        # One trace per run of a request (OpenTelemetry's API: a no-op unless telemetry is configured). Only a
        # real failure marks it failed, by its type: a lost lease or a shutdown is not one.
        with _tracer.start_as_current_span(
            "job move", context=otel_context.Context(), record_exception=False, set_status_on_exception=False,
            attributes={"cspbot.source": "job", "cspbot.job": "move", "cspbot.request.id": stored.id},
        ) as span:
            try:
                await self._execute(stored)
            except LeaseLost:
                log.warning("move %s: lease lost to another runner; stopping here", stored.id)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the lease lapses and a runner resumes the request later
                span.set_status(StatusCode.ERROR, type(error).__name__)
                log.exception("move %s: runner failed; it will be resumed when the lease lapses", stored.id)
            finally:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer

    async def _renew(self, request_id: str, main: asyncio.Task[None]) -> None:
        while True:
            await asyncio.sleep(self._config.lease_seconds / 3)
            try:
                await self._save(request_id, lambda s: None)
            except LeaseLost:
                main.cancel()  # someone else owns it now: stop before touching Azure again
                return
            except Exception:  # noqa: BLE001 - a failed renewal is retried at the next beat
                log.exception("move %s: lease renewal failed", request_id)

    async def _save(self, request_id: str, change: Callable[[StoredRequest], StoredRequest | None]) -> StoredRequest:
        """Apply `change` under the lease. The steps of a request run side by side and their changes are
        committed together: while one write is on its way, the next ones queue and go as one write (each
        change applied in turn to the fresh record), so steps never race each other's compare-and-swap
        and 200 groups do not mean 200 rewrites of the request a second. A click elsewhere may still race
        a write; the workflow's compare-and-swap retries that."""
        future: asyncio.Future[StoredRequest] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # a caller may have gone away
        self._queued.setdefault(request_id, []).append((change, future))
        writer = self._writers.get(request_id)
        if writer is None or writer.done():
            self._writers[request_id] = asyncio.create_task(self._commit(request_id), name=f"save {request_id}")
        return await future

    async def _commit(self, request_id: str) -> None:
        while queued := self._queued.pop(request_id, None):

            def combined(stored: StoredRequest, changes: list[_Change] = queued) -> StoredRequest:
                for change, _ in changes:
                    stored = change(stored) or stored
                return stored

            try:
                stored = await self._workflow.update(request_id, combined, owner=self.owner,
                                                     lease_seconds=self._config.lease_seconds)
            except Exception as exc:  # noqa: BLE001 - every waiting step gets the error (LeaseLost...)
                for _, future in queued:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self._latest[request_id] = stored
            for _, future in queued:
                if not future.done():
                    future.set_result(stored)

    # ------------------------------------------------------------------ access lost and back

    async def _access_lost(self, stored: StoredRequest, exc: TenantAccessDenied) -> StoredRequest:
        """Record why the move waits, tell people (once per wait), then pause with a bounded backoff or
        until "Check again". The caller then tries the same step again."""
        now = self._workflow_now()
        cfg = self._config

        before: AccessWait | None = None
        seen = stored.access_wait  # the wait this step last saw (None: it was not waiting)

        def wait(s: StoredRequest) -> StoredRequest:
            nonlocal before
            prev = before = s.access_wait
            if prev is not None and prev.cause == exc.cause.value and (seen is None or seen.checks != prev.checks):
                return s  # another step of this request is already waiting for this check: wait with it
            checks = 0 if prev is None else prev.checks + 1
            delay = min(cfg.access_retry_seconds * 2 ** min(checks, 16), cfg.access_retry_max_seconds)
            return replace(s, access_wait=AccessWait(
                cause=exc.cause.value, code=exc.code, message=exc.error.message, fix=exc.fix,
                since=prev.since if prev else now, checks=checks, next_check_at=now + timedelta(seconds=delay),
                action=exc.action, scope=exc.scope))

        event = self._recheck.setdefault(stored.id, asyncio.Event())  # before the write: a click meanwhile counts
        stored = await self._save(stored.id, wait)
        assert stored.access_wait is not None
        if before is None or before.cause != stored.access_wait.cause:
            log.warning("move %s: waiting for access to tenant %s (%s)", stored.id, stored.request.tenant_id,
                        exc.code)
            await self._workflow.audit(stored.id, "access_lost", by=None, tenant_id=None, detail={
                "cause": exc.cause.value, "code": exc.code, "action": exc.action})
            await self._notify(stored)
            if self._alerts is not None:
                try:
                    await self._alerts.access_lost(stored)
                except Exception:  # noqa: BLE001 - telling people must never stop the move
                    log.exception("move %s: could not tell people about the lost access", stored.id)
        delay = max(0.0, (stored.access_wait.next_check_at - now).total_seconds()) \
            if stored.access_wait.next_check_at else cfg.access_retry_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), delay)
        event.clear()
        return stored

    async def _access_back(self, stored: StoredRequest) -> StoredRequest:
        """A call went through again: the wait is over."""
        if stored.access_wait is None:
            return stored
        waited: AccessWait | None = None

        def clear(s: StoredRequest) -> StoredRequest:
            nonlocal waited
            waited = s.access_wait  # of several steps coming back together, the first ends the wait
            return replace(s, access_wait=None) if waited is not None else s

        stored = await self._save(stored.id, clear)
        if waited is None:
            return stored
        self._recheck.pop(stored.id, None)
        await self._workflow.audit(stored.id, "access_restored", by=None, tenant_id=None, detail={
            "cause": waited.cause, "checks": waited.checks + 1})
        await self._notify(stored)
        return stored

    async def _notify(self, stored: StoredRequest, *, final: bool = False) -> bool:
        if self._telemetry is not None:
            self._telemetry.request_changed(stored, final=final)
        if self._listener is None:
            return True
        try:
            await self._listener.request_changed(stored, final=final)
            return True
        except Exception:  # noqa: BLE001 - telling people must never stop or repeat the move
            log.exception("move %s: could not update the cards", stored.id)
            return False

    # ------------------------------------------------------------------ one request

    async def _execute(self, stored: StoredRequest) -> None:
        rid = stored.id
        if stored.state in (RequestState.VALIDATING, RequestState.MOVING):
            progress = _Coalesced(lambda s: self._notify(s))
            self._progress[rid] = progress
            self._latest[rid] = stored
            try:
                await self._notify(stored)
                await run_steps(_steps(stored), lambda step: self._run_step(rid, step),
                                skip=lambda step, failed: self._skip(rid, step, failed),
                                finished=_finished(stored), limit=self._config.max_parallel)
            finally:
                # Every progress update lands before the conclusion, never after the final card.
                self._progress.pop(rid, None)
                self._latest.pop(rid, None)
                await progress.close()
            stored = await self._conclude(await self._save(rid, lambda s: None))
        if stored.state in _RUN_FINAL and not stored.report_sent:
            if await self._notify(stored, final=True):
                await self._workflow.update(rid, lambda s: replace(s, report_sent=True, lease=None), owner=self.owner)
            # Otherwise the lease is kept and lapses: a later scan sends the report again.

    def _changed(self, stored: StoredRequest) -> None:
        """Progress people should see; updates are coalesced, so a burst of groups is one card update."""
        progress = self._progress.get(stored.id)
        if progress is not None:
            progress.push(stored)

    def _fix_runner(self) -> FixStepRunner:
        return FixStepRunner(self._workflow, self._gateway, save=self._save, access_lost=self._access_lost,
                             access_back=self._access_back)

    async def _run_step(self, rid: str, step: Step) -> bool:
        kind, name = step.key.split(":", 1)
        stored = self._latest[rid]  # fresh enough: a step reads only its own group, which only it changes
        fix = next((s for s in stored.fix_steps if s.key == step.key), None)
        if fix is not None:
            async with self._slots(stored.request.source_subscription_id):
                ok = await self._fix_runner().run(stored, fix)
            self._changed(self._latest[rid])
            return ok
        async with self._slots(stored.request.source_subscription_id):
            if kind == "validate":
                return await self._validate_step(stored, name)
            stored = await self._move_group(stored, name)
        self._changed(stored)
        return stored.group(name).state is GroupState.SUCCEEDED

    async def _skip(self, rid: str, step: Step, failed: str) -> None:
        kind, name = step.key.split(":", 1)
        stored = self._latest[rid]
        fix = next((s for s in stored.fix_steps if s.key == step.key), None)
        if fix is not None:
            await self._fix_runner().skip(stored, fix, failed)
            self._changed(self._latest[rid])
            return
        waited_fix = next((s for s in stored.fix_steps if s.key == failed), None)
        if waited_fix is not None and kind == "validate":
            error = ArmErrorDetail(code="FixFailed", message=message(
                "group_waits_for_fix", step=waited_fix.text))
            stored = await self._save(rid, lambda s: _replace_group(s, name, state=GroupState.SKIPPED, error=error))
            self._changed(stored)
            return
        waited = failed.split(":", 1)[1]
        if kind != "move" or waited == name:
            return  # a group whose own validation failed is marked failed by that step
        error = ArmErrorDetail(code="DependencyFailed", message=message("group_waits_for_group", waited=waited))
        stored = await self._save(rid, lambda s: _replace_group(s, name, state=GroupState.SKIPPED, error=error))
        self._changed(stored)

    def _slots(self, subscription_id: str) -> asyncio.Semaphore:
        gate = self._gates.get(subscription_id.lower())
        if gate is None:
            gate = self._gates[subscription_id.lower()] = asyncio.Semaphore(self._config.max_parallel)
        return gate

    async def _validate_step(self, stored: StoredRequest, name: str) -> bool:
        group = stored.group(name)
        stored = await self._save(stored.id, lambda s: _replace_group(s, name, state=GroupState.VALIDATING))
        while True:
            try:
                error = await self._validate_group(stored, group)
            except TenantAccessDenied as exc:
                stored = await self._access_lost(stored, exc)
                continue
            break
        stored = await self._access_back(stored)
        if error is not None:
            stored = await self._save(stored.id, lambda s: _replace_group(
                s, name, state=GroupState.FAILED, error=explain(error)))
            await self._workflow.audit(stored.id, "group_failed", by=None, tenant_id=None,
                                       detail={"group": name, "phase": "validate", "code": error.code})
            self._changed(stored)
            return False
        started_moving = False

        def passed(s: StoredRequest) -> StoredRequest:
            nonlocal started_moving
            s = _replace_group(replace(s, validated=(*s.validated, name)), name, state=GroupState.PENDING)
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
        try:
            await self._gateway.ensure_resource_group(
                request.target_subscription_id, _group_name(group.target_group_id),
                location=group.location, tenant_id=request.tenant_id,
            )
            for batch in plan_batches(group.source_group, group.resource_ids, max_size=self._config.batch_size):
                await validate_move(
                    self._gateway, request.source_subscription_id, group.source_group,
                    resource_ids=batch.resource_ids, target_resource_group_id=group.target_group_id,
                    tenant_id=request.tenant_id,
                )
        except TenantAccessDenied:
            raise  # not the move's fault: the caller waits for access
        except ArmError as exc:
            return exc.error
        return None

    async def _move_group(self, stored: StoredRequest, name: str) -> StoredRequest:
        group = stored.group(name)
        if not stored.batches_of(name):
            # The plan is saved before the first call, so a restart continues the same batches.
            plan = plan_batches(name, group.resource_ids, max_size=self._config.batch_size)
            records = tuple(BatchRecord(name, b.index, b.resource_ids, BatchStatus.PLANNED) for b in plan)
            stored = await self._save(stored.id, lambda s: _replace_group(
                replace(s, batches=(*s.batches, *records)), name, state=GroupState.MOVING))
        elif group.state is not GroupState.MOVING:
            stored = await self._save(stored.id, lambda s: _replace_group(s, name, state=GroupState.MOVING))
        for batch in stored.batches_of(name):
            if batch.status not in _DONE_BATCH:
                stored = await self._run_batch(stored, batch)
        batches = stored.batches_of(name)
        failed = [b for b in batches if b.status is BatchStatus.FAILED]
        state = GroupState.FAILED if failed else GroupState.SUCCEEDED
        error = explain(failed[0].error) if failed and failed[0].error else None
        return await self._save(stored.id, lambda s: _replace_group(s, name, state=state, error=error))

    async def _run_batch(self, stored: StoredRequest, batch: BatchRecord) -> StoredRequest:
        request = stored.request
        group = stored.group(batch.group)
        gw, cfg = self._gateway, self._config
        busy_since: float | None = None
        loop = asyncio.get_running_loop()
        op = None

        async def save(b: BatchRecord) -> StoredRequest:
            return await self._save(request.id, lambda s: _replace_batch(s, b))

        while batch.status not in _DONE_BATCH:
            if batch.status is BatchStatus.RUNNING and batch.token:
                try:
                    if op is None:
                        op = await gw.resume_move(batch.token, tenant_id=request.tenant_id)
                    await op.wait()
                except TenantAccessDenied as exc:
                    op = None  # the job runs on in Azure; it is polled again once access is back
                    stored = await self._access_lost(stored, exc)
                    continue
                except ArmError as exc:
                    op = None
                    if exc.status is None or (exc.status or 0) >= 500:
                        await asyncio.sleep(cfg.retry_seconds)  # polling is a read: safe to try again
                        continue
                    if isinstance(exc, NotFound) or exc.code == "InvalidContinuationToken":
                        # Azure forgot the job: find out from the inventory what it did.
                        batch = replace(batch, status=BatchStatus.STARTED, token=None)
                        stored = await save(batch)
                        continue
                    gone = len(batch.resource_ids) - len(batch.sent_ids or batch.resource_ids)
                    batch = replace(batch, status=BatchStatus.FAILED, error=exc.error, moved=gone,
                                    finished_at=self._workflow_now())
                    stored = await save(batch)
                    break
                stored = await self._access_back(stored)
                batch = replace(batch, status=BatchStatus.SUCCEEDED, moved=len(batch.resource_ids),
                                finished_at=self._workflow_now())
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
                    await asyncio.sleep(cfg.retry_seconds)
                    continue
                stored = await self._access_back(stored)
                if not remaining:
                    batch = replace(batch, status=BatchStatus.SUCCEEDED, moved=len(batch.resource_ids),
                                    finished_at=self._workflow_now())
                    stored = await save(batch)
                    break
            else:
                remaining = batch.resource_ids
            batch = replace(batch, status=BatchStatus.STARTED, token=None, sent_ids=tuple(remaining),
                            posts=batch.posts + 1, started_at=batch.started_at or self._workflow_now())
            stored = await save(batch)  # recorded before the POST: a crash from here on is reconciled
            try:
                op = await gw.begin_move(
                    request.source_subscription_id, batch.group, resource_ids=remaining,
                    target_resource_group_id=group.target_group_id, tenant_id=request.tenant_id,
                )
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
                        await asyncio.sleep(cfg.retry_seconds)
                        continue
                gone = len(batch.resource_ids) - len(remaining)
                batch = replace(batch, status=BatchStatus.FAILED, error=exc.error, moved=gone,
                                finished_at=self._workflow_now())
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

    def _workflow_now(self) -> datetime:
        return self._workflow.now()

    async def _still_in_source(self, subscription_id: str, tenant_id: str, ids: Sequence[str]) -> list[str]:
        inventory = {r.id.lower() for r in await self._gateway.list_resources(subscription_id, tenant_id=tenant_id)}
        return [i for i in ids if i.lower() in inventory]

    async def _conclude(self, stored: StoredRequest) -> StoredRequest:
        """Read both subscriptions again to confirm what moved, then set the final state."""
        request = stored.request
        confirmed: dict[str, int] | None = None
        leftovers: tuple[str, ...] = stored.leftovers
        try:
            source = await self._gateway.list_resources(request.source_subscription_id, tenant_id=request.tenant_id)
            target = await self._gateway.list_resources(request.target_subscription_id, tenant_id=request.tenant_id)
        except ArmError as exc:
            log.warning("move %s: could not read the inventories to confirm the move: %r", request.id, str(exc))
        else:
            in_target = {r.id.lower() for r in target}
            confirmed = {}
            for g in request.groups:
                tgt = _group_name(g.target_group_id)
                confirmed[g.source_group] = sum(
                    _moved_id(i, request.target_subscription_id, tgt).lower() in in_target for i in g.resource_ids
                )
            leftovers = tuple(sorted(r.id for r in source if _top_level(r.id)))

        try:
            verified: frozenset[str] = await verify(self._gateway, stored)
        except ArmError as exc:  # access lost meanwhile: nothing is ticked, the engineer checks by hand
            log.warning("move %s: could not confirm the follow-through: %r", request.id, str(exc))
            verified = frozenset()

        def finish(s: StoredRequest) -> StoredRequest:
            s = replace(s, checklist=tick(s.checklist, s.fix_steps, s.step_records, verified))
            groups = s.request.groups
            if confirmed is not None:
                groups = tuple(
                    replace(g, moved_count=confirmed.get(g.source_group, g.moved_count)) for g in groups
                )
            if all(g.state is GroupState.SUCCEEDED for g in groups):
                state = RequestState.SUCCEEDED
            elif any(g.moved_count for g in groups):
                state = RequestState.PARTIALLY_SUCCEEDED
            else:
                state = RequestState.FAILED
            return replace(s, request=replace(s.request, groups=groups, state=state), leftovers=leftovers,
                           finished_at=self._workflow_now())

        stored = await self._save(stored.id, finish)
        await self._workflow.audit(stored.id, "finished", by=None, tenant_id=None, detail={
            "state": stored.state.value, "moved": stored.request.moved_count,
            "resources": stored.request.resource_count, "confirmed_by_inventory": confirmed is not None})
        return stored
