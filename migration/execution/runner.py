"""The background move runner: claims approved requests with a lease and moves their groups side by side.

A request is a plan of steps (`migration.execution.engine`): each group is validated, then moved; groups run
concurrently (Azure locks only each call's source and target groups), a group chained to another waits for
it, and a failed group stops only what waits for it. The lease, compare-and-swap and resume logic below is
written once for every step.

Nothing runs twice and nothing is lost:
- a request is worked on only by the runner holding its lease (compare-and-swap in the store), and
  every write the runner makes is fenced by that lease, so a runner that lost it stops at once;
- a group's batches are recorded before they are sent and resumed from their continuation tokens
  (`migration.execution.groupmove`), the fix steps before their first call (`migration.execution.fixstep`).

When the bot's identity loses access to the customer's tenant mid-way, nothing is marked failed: the
request waits for access (`migration.execution.access`) and carries on where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from migration.azure.ports import Gateway
from migration.execution.access import AccessAlerts, AccessWaits
from migration.execution.engine import Step, run_steps
from migration.execution.fixstep import FixStepRunner, verify
from migration.execution.groupmove import GroupMoveRunner, confirm_moved
from migration.execution.leases import LeaseLost
from migration.execution.plansteps import engine_steps, finished, first_failed, replace_group
from migration.execution.workflow import Workflow
from migration.fixes.carry import FixAzure
from migration.model import (
    ArmError,
    ArmErrorDetail,
    GroupState,
    RequestState,
)
from migration.model.digest import plan_digest, short
from migration.model.plan import message
from migration.model.records import StoredRequest
from migration.planning.batches import MAX_BATCH
from migration.reports.checklist import tick

log = logging.getLogger(__name__)

_RUN_FINAL = frozenset({RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})


_tracer = trace.get_tracer("cspbot")


class ProgressListener(Protocol):
    """Told when a request changes in a way people should see (a group finished, the move ended)."""

    async def request_changed(self, stored: StoredRequest, *, final: bool) -> None: ...


class ResumeAlerts(Protocol):
    """Told when a running move's runner stopped (a crash, a restart) and when another resumes it."""

    async def resuming(self, stored: StoredRequest, *, at: datetime) -> None: ...


class MoveTelemetry(Protocol):
    """Told of every change the listener is told of, to count steps and moves (`telemetry.py`)."""

    def request_changed(self, stored: StoredRequest, *, final: bool) -> None: ...


# --------------------------------------------------------------------------- helpers


def as_approved(stored: StoredRequest) -> bool:
    """The plan stored is exactly the one approved (its digest is the approval's); no approval digest: not."""
    return stored.approved_hash is not None and hmac.compare_digest(stored.approved_hash, plan_digest(stored))


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
    # A dead runner's requests are resumed this long after it stopped; a live one renews its lease every
    # sixth of it, so a lease not renewed twice in a row says its runner stopped (the cards then say when
    # the move resumes).
    lease_seconds: float = 30.0
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
        gateway: Gateway[FixAzure],
        *,
        listener: ProgressListener | None = None,
        alerts: AccessAlerts | None = None,
        resumes: ResumeAlerts | None = None,
        telemetry: MoveTelemetry | None = None,
        config: RunnerConfig = RunnerConfig(),
        owner: str | None = None,
    ) -> None:
        self._workflow = workflow
        self._gateway = gateway
        self._listener = listener
        self._resumes = resumes
        self._announced: dict[str, datetime] = {}  # request -> the lapse of the lease its cards were told of
        self._options = config
        self.owner = owner or f"runner-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._work: dict[str, asyncio.Task[None]] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}  # per source subscription
        self._queued: dict[str, list[_Change]] = {}  # per request: changes waiting for the next write
        self._writers: dict[str, asyncio.Task[None]] = {}
        self._latest: dict[str, StoredRequest] = {}  # per request: the record as this runner last wrote it
        self._progress: dict[str, _Coalesced] = {}
        self._telemetry = telemetry
        self._access = AccessWaits(workflow, save=self._save, notify=self._notify, alerts=alerts,
                                   retry_seconds=config.access_retry_seconds,
                                   retry_max_seconds=config.access_retry_max_seconds)

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
        self._access.recheck(request_id)
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
                await self._announce_stalled()
            except Exception:  # noqa: BLE001 - the store may be briefly unreachable; try again later
                log.exception("move runner: scanning for work failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._options.poll_seconds)
            self._wake.clear()

    async def run_once(self, *, wait: bool = True) -> list[str]:
        """Claim everything claimable now and work on it; with `wait`, return when it is done."""
        started: list[str] = []
        for request_id in await self._workflow.claimable():
            if request_id in self._work:
                continue
            stored = await self._workflow.claim(request_id, self.owner, lease_seconds=self._options.lease_seconds)
            if stored is None:
                continue  # another runner was faster
            self._announced.pop(request_id, None)
            task = asyncio.create_task(self._guarded(stored), name=f"move {request_id}")
            self._work[request_id] = task
            task.add_done_callback(functools.partial(self._ended, request_id))
            started.append(request_id)
        if wait:
            await asyncio.gather(*(self._work[r] for r in started if r in self._work), return_exceptions=True)
        return started

    def _ended(self, request_id: str, _task: asyncio.Task[None]) -> None:
        self._work.pop(request_id, None)
        self._access.forget(request_id)

    async def _announce_stalled(self) -> None:
        """Moves whose runner stopped: their cards say they resume, and when (once per lapse)."""
        if self._resumes is None:
            return
        for stored in await self._workflow.stalled(within=self._options.lease_seconds * 2 / 3):
            lapse = stored.lease.expires_at if stored.lease else None
            if lapse is None or stored.id in self._work or self._announced.get(stored.id) == lapse:
                continue
            self._announced[stored.id] = lapse
            try:
                await self._resumes.resuming(stored, at=lapse)
            except Exception as error:  # noqa: BLE001 - telling people must never stop or repeat the move
                log.warning("move %s: could not say that it resumes (%s)", stored.id, type(error).__name__)

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
            await asyncio.sleep(self._options.lease_seconds / 6)
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
                                                     lease_seconds=self._options.lease_seconds)
            except Exception as exc:  # noqa: BLE001 - every waiting step gets the error (LeaseLost...)
                for _, future in queued:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self._latest[request_id] = stored
            for _, future in queued:
                if not future.done():
                    future.set_result(stored)

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
        if stored.state in (RequestState.VALIDATING, RequestState.MOVING) and not as_approved(stored):
            stored = await self._refuse_unapproved(stored)
        if stored.state in (RequestState.VALIDATING, RequestState.MOVING):
            progress = _Coalesced(lambda s: self._notify(s))
            self._progress[rid] = progress
            self._latest[rid] = stored
            try:
                await self._notify(stored)
                await run_steps(engine_steps(stored), lambda step: self._run_step(rid, step),
                                skip=lambda step, failed: self._skip(rid, step, failed),
                                finished=finished(stored), limit=self._options.max_parallel)
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

    async def _refuse_unapproved(self, stored: StoredRequest) -> StoredRequest:
        """The stored plan is not the one approved (changed in the store since): nothing more is carried out.
        What is not done yet is marked so, with why and what to do; checked at every claim, so a plan
        changed while a move was interrupted stops there too."""
        found = plan_digest(stored)
        approved = stored.approved_hash or "none"
        error = ArmErrorDetail(code="PlanNotAsApproved", message=message(
            "plan_not_as_approved", found=short(found), approved=short(approved)))

        def refuse(s: StoredRequest) -> StoredRequest:
            groups = tuple(g if g.state is GroupState.SUCCEEDED else replace(g, state=GroupState.SKIPPED, error=error)
                           for g in s.request.groups)
            state = RequestState.PARTIALLY_SUCCEEDED if any(g.moved_count for g in groups) else RequestState.FAILED
            return replace(s, request=replace(s.request, groups=groups, state=state),
                           finished_at=self._workflow_now())

        log.warning("move %s: the stored plan is not the approved one; carrying out nothing", stored.id)
        await self._workflow.audit(stored.id, "refused_to_run", by=None, tenant_id=None,
                                   detail={"reason": "plan not as approved", "approved_hash": approved,
                                           "plan_hash": found})
        return await self._save(stored.id, refuse)

    def _changed(self, stored: StoredRequest) -> None:
        """Progress people should see; updates are coalesced, so a burst of groups is one card update."""
        progress = self._progress.get(stored.id)
        if progress is not None:
            progress.push(stored)

    def _fix_runner(self) -> FixStepRunner:
        return FixStepRunner(self._workflow, self._gateway, save=self._save, access_lost=self._access.lost,
                             access_back=self._access.back)

    def _group_runner(self) -> GroupMoveRunner:
        return GroupMoveRunner(self._workflow, self._gateway, batch_size=self._options.batch_size,
                               retry_seconds=self._options.retry_seconds, save=self._save,
                               access_lost=self._access.lost, access_back=self._access.back, changed=self._changed)

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
                return await self._group_runner().validate(stored, name)
            stored = await self._group_runner().move(stored, name)
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
                "group_waits_for_fix", step=first_failed(stored, waited_fix).text))
            stored = await self._save(rid, lambda s: replace_group(s, name, state=GroupState.SKIPPED, error=error))
            self._changed(stored)
            return
        waited = failed.split(":", 1)[1]
        if kind != "move" or waited == name:
            return  # a group whose own validation failed is marked failed by that step
        error = ArmErrorDetail(code="DependencyFailed", message=message("group_waits_for_group", waited=waited))
        stored = await self._save(rid, lambda s: replace_group(s, name, state=GroupState.SKIPPED, error=error))
        self._changed(stored)

    def _slots(self, subscription_id: str) -> asyncio.Semaphore:
        gate = self._gates.get(subscription_id.lower())
        if gate is None:
            gate = self._gates[subscription_id.lower()] = asyncio.Semaphore(self._options.max_parallel)
        return gate

    def _workflow_now(self) -> datetime:
        return self._workflow.now()

    async def _conclude(self, stored: StoredRequest) -> StoredRequest:
        """Read both subscriptions again to confirm what moved, then set the final state."""
        request = stored.request
        confirmed: dict[str, int] | None = None
        leftovers: tuple[str, ...] = stored.leftovers
        azure = self._gateway.for_tenant(request.tenant_id)
        try:
            confirmed, leftovers = await confirm_moved(azure, request)
        except ArmError as exc:
            log.warning("move %s: could not read the inventories to confirm the move: %r", request.id, str(exc))

        try:
            verified: frozenset[str] = await verify(azure, stored)
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
