"""A move waiting for access to its customer's tenant (`TenantAccessDenied`: consent withdrawn, role removed,
secret expired): nothing is marked failed. The request records why it waits and people are told what to fix
(once per wait); each waiting step then pauses with a bounded backoff, or until "Check again", and is tried
again; the first call that goes through ends the wait for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from migration.execution.fixstep import Save
from migration.execution.workflow import Workflow
from migration.model import TenantAccessDenied
from migration.model.records import AccessWait, StoredRequest

log = logging.getLogger(__name__)


class AccessAlerts(Protocol):
    """Told once per wait that a move waits for access (the requester and the approvers are told the fix)."""

    async def access_lost(self, stored: StoredRequest) -> None: ...


class AccessWaits:
    def __init__(self, workflow: Workflow, *, save: Save, notify: Callable[[StoredRequest], Awaitable[bool]],
                 alerts: AccessAlerts | None, retry_seconds: float, retry_max_seconds: float) -> None:
        self._workflow = workflow
        self._save = save
        self._notify = notify
        self._alerts = alerts
        self._retry_seconds = retry_seconds  # first re-check after access failed; doubles each time...
        self._retry_max_seconds = retry_max_seconds  # ...up to this
        self._events: dict[str, asyncio.Event] = {}  # per request waiting for access: "Check again"

    def recheck(self, request_id: str) -> None:
        """Check again now (a click that comes while the wait is still being recorded is kept for it)."""
        self._events.setdefault(request_id, asyncio.Event()).set()

    def forget(self, request_id: str) -> None:
        self._events.pop(request_id, None)

    async def lost(self, stored: StoredRequest, exc: TenantAccessDenied) -> StoredRequest:
        """Record why the move waits, tell people (once per wait), then pause with a bounded backoff or
        until "Check again". The caller then tries the same step again."""
        now = self._workflow.now()

        before: AccessWait | None = None
        seen = stored.access_wait  # the wait this step last saw (None: it was not waiting)

        def wait(s: StoredRequest) -> StoredRequest:
            nonlocal before
            prev = before = s.access_wait
            if prev is not None and prev.cause == exc.cause.value and (seen is None or seen.checks != prev.checks):
                return s  # another step of this request is already waiting for this check: wait with it
            checks = 0 if prev is None else prev.checks + 1
            delay = min(self._retry_seconds * 2 ** min(checks, 16), self._retry_max_seconds)
            return replace(s, access_wait=AccessWait(
                cause=exc.cause.value, code=exc.code, message=exc.error.message, fix=exc.fix,
                since=prev.since if prev else now, checks=checks, next_check_at=now + timedelta(seconds=delay),
                action=exc.action, scope=exc.scope))

        event = self._events.setdefault(stored.id, asyncio.Event())  # before the write: a click meanwhile counts
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
            if stored.access_wait.next_check_at else self._retry_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), delay)
        event.clear()
        return stored

    async def back(self, stored: StoredRequest) -> StoredRequest:
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
        self._events.pop(stored.id, None)
        await self._workflow.audit(stored.id, "access_restored", by=None, tenant_id=None, detail={
            "cause": waited.cause, "checks": waited.checks + 1})
        await self._notify(stored)
        return stored
