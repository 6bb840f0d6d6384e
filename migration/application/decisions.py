"""Deciding on a move request: approve, reject, cancel, check access again; and the requests as people
look them up (one, the newest of theirs, a page of the history).

Each decision is one compare-and-swap in the workflow (the first decision wins; a later click gets the
request as it now stands). What an approval or a re-check means for the move is said to the runner
through `RunnerSignal`, so it acts at once instead of at its next scan.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from migration.application.ports import RunnerSignal
from migration.execution.stored import normalize_id
from migration.execution.workflow import Workflow
from migration.model import Person
from migration.model.records import Actor, Outcome, StoredRequest


class Recheck(enum.Enum):
    NOT_WAITING = "not_waiting"  # the move does not wait for access (any more)
    NOW = "now"  # this instance's runner checks again at once
    BY_ITSELF = "by_itself"  # another instance runs the move: it checks at the time its card shows


class RequestDecisions:
    def __init__(self, workflow: Workflow, *, runner: RunnerSignal) -> None:
        self._workflow = workflow
        self._runner = runner

    def refusal(self, stored: StoredRequest, actor: Actor, action: str) -> str | None:
        """Why `actor` may not take `action` ("approved", "rejected", "cancelled") on the request; None: may."""
        return self._workflow.refusal(stored, actor, action)

    async def approve(self, request_id: str, actor: Actor) -> Outcome:
        outcome = await self._workflow.approve(request_id, actor)
        if outcome.changed and outcome.stored is not None:
            self._runner.approved(outcome.stored.id)
        return outcome

    async def reject(self, request_id: str, actor: Actor, comment: str) -> Outcome:
        return await self._workflow.reject(request_id, actor, comment[:500])

    async def cancel(self, request_id: str, actor: Actor) -> Outcome:
        return await self._workflow.cancel(request_id, actor)

    async def recheck(self, stored: StoredRequest, *, by: Person, tenant_id: str | None) -> Recheck:
        """"Check again" on a move waiting for access: audited, then the runner tries its step now."""
        if stored.access_wait is None or stored.state.is_final:
            return Recheck.NOT_WAITING
        await self._workflow.audit(stored.id, "access_recheck", by=by, tenant_id=tenant_id, detail={})
        return Recheck.NOW if self._runner.recheck(stored.id) else Recheck.BY_ITSELF

    async def refused(self, request_id: str, *, by: Person, tenant_id: str | None,
                      detail: Mapping[str, Any]) -> None:
        """A refused attempt, audited on the request it names; a forged id is not (nobody fills the trail
        with noise)."""
        stored = await self.find(request_id)
        if stored is not None:
            await self._workflow.audit(stored.id, "refused", by=by, tenant_id=tenant_id, detail=dict(detail))

    async def audit(self, request_id: str, action: str, *, by: Person, tenant_id: str | None,
                    detail: Mapping[str, Any]) -> None:
        await self._workflow.audit(request_id, action, by=by, tenant_id=tenant_id, detail=dict(detail))

    # ------------------------------------------------------------------ looking requests up

    async def find(self, request_id: str | None) -> StoredRequest | None:
        if not isinstance(request_id, str) or not request_id.strip():
            return None
        return await self._workflow.get(normalize_id(request_id))

    async def named_or_newest(self, named: str | None, *, requester_id: str | None,
                              wanted: Callable[[StoredRequest], bool]) -> StoredRequest | None:
        """The request named (whatever it is), else the requester's newest one that is `wanted`."""
        if named:
            return await self._workflow.get(named)
        if requester_id is None:
            return None
        mine = await self._workflow.history(limit=200, requester_id=requester_id)
        return next((s for s in mine if wanted(s)), None)

    async def history_page(self, page: int, *, per_page: int) -> tuple[list[StoredRequest], int]:
        return await self._workflow.history_page(page, per_page=per_page)
