"""Move requests: the persisted state machine, its authorization rules and the claims on source groups.

Every transition is get -> check -> put(etag): a compare-and-swap. When the put loses, the record is
read again and the check runs again on the fresh state, so the first decision wins and every later
click, retried invoke or concurrent approver just gets the current request back. How a request is stored
is in `stored.py`, its indexes in `indexes.py`, the runners' leases in `leases.py`, the audit in `audit.py`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from migration.execution.audit import AuditTrail
from migration.execution.indexes import RequestIndexes
from migration.execution.leases import LeaseLost, Leases
from migration.execution.stored import (
    CLAIMS,
    HOLDING,
    OPEN,
    REQUESTS,
    Clock,
    is_active,
    new_request_id,
    normalize_id,
    read,
    stored_to_json,
    utc_now,
)
from migration.model import (
    Decision,
    DryRun,
    GroupMove,
    GroupState,
    MoveRequest,
    Person,
    RequestState,
)
from migration.model.digest import plan_digest
from migration.model.plan import ChosenFix, PlanStep
from migration.model.records import Actor, AuditEntry, CardRef, ChecklistEntry, Lease, Outcome, StoredRequest
from migration.model.store import ConcurrencyError, DocumentStore

_MAX_CAS_ATTEMPTS = 50  # contention is a handful of clicks; more means something is broken


class WorkflowError(ValueError):
    """A request that cannot be created as given (no groups, an empty group...)."""


class GroupInUse(WorkflowError):
    """A group of the new request is already in another open request."""

    def __init__(self, group: str, holder: MoveRequest) -> None:
        self.group, self.holder = group, holder
        super().__init__(
            f"Resource group {group} is already in move request {holder.id} ({holder.state.value.replace('_', ' ')}"
            f", asked by {holder.requested_by.name}). A group can be in one open request at a time: wait until "
            f"{holder.id} has finished, or cancel it, then plan this move again.")


# --------------------------------------------------------------------------- the workflow


class Workflow:
    """The move-request state machine over a DocumentStore. All methods are safe to call concurrently,
    from one process or many sharing the store."""

    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._now = clock
        self._indexes = RequestIndexes(store, clock=clock)
        self._audit = AuditTrail(store, clock=clock)
        self._leases = Leases(store, clock=clock, indexes=self._indexes, audit=self._audit)

    @property
    def store(self) -> DocumentStore:
        return self._store

    def now(self) -> datetime:
        return self._now()

    # ------------------------------------------------------------------ create and read

    async def submit(
        self,
        *,
        customer_tenant_id: str,
        source_subscription_id: str,
        target_subscription_id: str,
        groups: Sequence[GroupMove],
        requester: Person,
        requester_tenant_id: str | None,
        dry_runs: Sequence[DryRun] = (),
        checklist: Sequence[ChecklistEntry] = (),
        source_name: str = "",
        target_name: str = "",
        request_id: str | None = None,
        fix_steps: Sequence[PlanStep] = (),
        manual_fixes: Sequence[ChosenFix] = (),
        authors: Sequence[str] = (),
        revision: int = 0,
    ) -> StoredRequest:
        """A new request waiting for approval (the `move` flow calls this after the dry run).
        `request_id`: keep the id the engineer saw on the plan (a fresh one is drawn if it is taken)."""
        if not groups:
            raise WorkflowError("a move request needs at least one resource group")
        names = [g.source_group.lower() for g in groups]
        if len(set(names)) != len(names):
            raise WorkflowError("each source resource group may appear only once")
        for g in groups:
            if not g.resource_ids:
                raise WorkflowError(f"resource group {g.source_group} has no resources to move")
            unknown = {a.lower() for a in g.after} - set(names)
            if unknown or g.source_group.lower() in {a.lower() for a in g.after}:
                raise WorkflowError(f"resource group {g.source_group} waits for a group this request does not "
                                    f"move first: {', '.join(sorted(unknown)) or g.source_group}")
        now = self._now()
        decision = Decision("requested", requester, now, requester_tenant_id or "")
        clean = tuple(replace(g, state=GroupState.PENDING, moved_count=0, error=None) for g in groups)
        for attempt in range(10):
            candidate = normalize_id(request_id) if request_id and attempt == 0 else new_request_id()
            if await self._store.get(REQUESTS, candidate) is not None:
                continue  # id taken: draw another before claiming anything under it
            await self._claim_groups(candidate, source_subscription_id, clean)
            request = MoveRequest(
                id=candidate,
                tenant_id=customer_tenant_id,
                source_subscription_id=source_subscription_id,
                target_subscription_id=target_subscription_id,
                requested_by=requester,
                requested_at=now,
                state=RequestState.PENDING_APPROVAL,
                groups=clean,
                decisions=(decision,),
                source_name=source_name,
                target_name=target_name,
            )
            stored = StoredRequest(request, "", dry_runs=tuple(dry_runs), checklist=tuple(checklist),
                                   fix_steps=tuple(fix_steps), manual_fixes=tuple(manual_fixes),
                                   authors=tuple(dict.fromkeys((*authors, requester.id))), revision=revision)
            entry = self._audit.entry(request.id, "requested", by=requester, tenant_id=requester_tenant_id,
                                      detail={"groups": len(clean), "resources": request.resource_count,
                                              "steps": [s.key for s in fix_steps], "revision": revision,
                                              "plan_hash": plan_digest(stored)})
            stored = replace(stored, unaudited=(entry,))  # the request and its first entry in one write
            await self._indexes.add(request)
            try:
                record = await self._store.put(REQUESTS, request.id, stored_to_json(stored), etag="")
            except ConcurrencyError:
                continue  # id collision: draw another
            return await self._chain(replace(stored, etag=record.etag))
        raise RuntimeError("could not allocate a request id")

    async def _claim_groups(self, request_id: str, subscription_id: str, groups: Sequence[GroupMove]) -> None:
        """Take each group for `request_id` (insert-only claims, so of two requests racing for a group one
        wins); a claim whose request is no longer open is stale and taken over. Raises GroupInUse, having
        given back what it took."""
        taken: list[tuple[str, str]] = []
        try:
            for g in groups:
                key = f"{subscription_id}/{g.source_group}".lower()
                while True:
                    try:
                        record = await self._store.put(CLAIMS, key, {"request_id": request_id}, etag="")
                        break
                    except ConcurrencyError:
                        current = await self._store.get(CLAIMS, key)
                        if current is None:
                            continue
                        holder = await self.get(str(current.value.get("request_id") or ""))
                        if holder is not None and holder.id != request_id and holder.state in HOLDING:
                            raise GroupInUse(g.source_group, holder.request) from None
                        try:
                            record = await self._store.put(CLAIMS, key, {"request_id": request_id},
                                                           etag=current.etag)
                            break
                        except ConcurrencyError:
                            continue
                taken.append((key, record.etag))
        except BaseException:
            for key, etag in taken:
                with contextlib.suppress(ConcurrencyError, KeyError):
                    await self._store.delete(CLAIMS, key, etag=etag)
            raise

    async def groups_in_use(self, subscription_id: str, groups: Sequence[str]) -> dict[str, MoveRequest]:
        """Which of these source groups an open request holds (group -> that request)."""
        out: dict[str, MoveRequest] = {}
        for name in groups:
            record = await self._store.get(CLAIMS, f"{subscription_id}/{name}".lower())
            holder = await self.get(str(record.value.get("request_id") or "")) if record else None
            if holder is not None and holder.state in HOLDING:
                out[name] = holder.request
        return out

    async def get(self, request_id: str) -> StoredRequest | None:
        return await read(self._store, request_id)

    async def history(self, *, limit: int = 50, requester_id: str | None = None) -> list[StoredRequest]:
        """Requests, newest first (optionally only one person's); reads requests only until it has `limit`."""
        return await self._indexes.history(limit=limit, requester_id=requester_id)

    async def history_page(self, page: int, *, per_page: int) -> tuple[list[StoredRequest], int]:
        """One page of every request, newest first, and how many there are: only that page is read."""
        return await self._indexes.history_page(page, per_page=per_page)

    # ------------------------------------------------------------------ decisions

    async def approve(self, request_id: str, actor: Actor) -> Outcome:
        return await self._decide(request_id, actor, "approved", RequestState.APPROVED)

    async def reject(self, request_id: str, actor: Actor, comment: str) -> Outcome:
        comment = comment.strip()
        stored = await self.get(request_id)
        if stored is not None and not comment and self.refusal(stored, actor, "rejected") is None:
            # Not a refusal of the person: the card asks for the reason again.
            return Outcome(stored, note="Say why you reject the move.")
        return await self._decide(request_id, actor, "rejected", RequestState.REJECTED, comment=comment)

    async def cancel(self, request_id: str, actor: Actor) -> Outcome:
        return await self._decide(request_id, actor, "cancelled", RequestState.CANCELLED)

    def refusal(self, stored: StoredRequest, actor: Actor, action: str) -> str | None:
        """Why `actor` may not take `action` on this request (None: allowed). Checked on every attempt,
        whatever the state, so a stranger learns nothing and a refusal is always audited."""
        if not actor.tenant_allowed:
            return "Your organisation may not use this bot."
        requester = stored.request.requested_by
        if action == "cancelled":
            if actor.person.id != requester.id:
                return "Only the person who asked for this move can cancel it."
            return None
        if not actor.may_approve:
            return "Only approvers can approve or reject moves."
        if actor.person.id == requester.id:
            return "You asked for this move, so another approver must decide."
        if actor.person.id in stored.authors:
            return "You made or changed this plan, so another approver must decide."
        return None

    async def _decide(
        self, request_id: str, actor: Actor, action: str, to: RequestState, *, comment: str | None = None
    ) -> Outcome:
        stored = await self.get(request_id)
        if stored is None:
            return Outcome(None, note="There is no move request with this id.")
        stored = await self.complete_audit(stored)
        refusal = self.refusal(stored, actor, action)
        if refusal is not None:
            await self.audit(stored.id, "refused", by=actor.person, tenant_id=actor.tenant_id,
                             detail={"attempted": action, "reason": refusal, "state": stored.state.value})
            return Outcome(stored, refusal=refusal)
        allowed_from = OPEN if action == "cancelled" else frozenset({RequestState.PENDING_APPROVAL})
        for _ in range(_MAX_CAS_ATTEMPTS):
            if stored.state not in allowed_from:
                return Outcome(stored, note=_already(stored, actor))
            decision = Decision(action, actor.person, self._now(), actor.tenant_id or "", comment or None)
            request = replace(stored.request, state=to, decisions=(*stored.request.decisions, decision))
            if to is RequestState.CANCELLED or to is RequestState.REJECTED:
                groups = tuple(replace(g, state=GroupState.SKIPPED) for g in request.groups)
                request = replace(request, groups=groups)
            changed = replace(stored, request=request, finished_at=None if to is RequestState.APPROVED else
                              decision.at)
            detail: dict[str, Any] = {"from": stored.state.value, "to": to.value}
            if to is RequestState.APPROVED:  # the approval names exactly what it approves
                changed = replace(changed, approved_hash=plan_digest(stored))
                detail["plan_hash"] = changed.approved_hash
            if comment:
                detail["comment"] = comment
            entry = self._audit.entry(stored.id, action, by=actor.person, tenant_id=actor.tenant_id, detail=detail)
            changed = replace(changed, unaudited=(*changed.unaudited, entry))  # one write: decision and audit
            if is_active(changed):
                # Indexed before the write: the runner may see an entry too many (it checks), never one too few.
                await self._indexes.mark_active(stored.id)
            try:
                record = await self._store.put(REQUESTS, stored.id, stored_to_json(changed), etag=stored.etag)
            except ConcurrencyError:
                fresh = await self.get(stored.id)
                if fresh is None:
                    return Outcome(None, note="There is no move request with this id.")
                stored = fresh
                continue
            return Outcome(await self._chain(replace(changed, etag=record.etag)), changed=True)
        raise RuntimeError(f"{stored.id}: too much contention")

    # ------------------------------------------------------------------ the runner's side

    async def claimable(self) -> list[str]:
        """Approved requests, and started ones whose runner's lease lapsed (see leases.py)."""
        return await self._leases.claimable()

    async def stalled(self, *, within: float) -> list[StoredRequest]:
        """Running requests whose runner stopped renewing its lease, lapsing within `within` seconds."""
        return await self._leases.stalled(within=within)

    async def claim(self, request_id: str, owner: str, *, lease_seconds: float) -> StoredRequest | None:
        """Take the request for `owner` (None when it is not claimable or someone else got it first). An
        approval's entry a crash left unchained is chained first."""
        stored = await self.get(request_id)
        if stored is not None and stored.unaudited:
            await self.complete_audit(stored)
        return await self._leases.claim(request_id, owner, lease_seconds=lease_seconds)

    async def update(
        self,
        request_id: str,
        change: Callable[[StoredRequest], StoredRequest | None],
        *,
        owner: str | None = None,
        lease_seconds: float | None = None,
    ) -> StoredRequest:
        """Apply `change` to the current request with compare-and-swap, retrying on conflicts.

        With `owner`, the write is fenced: it only happens while `owner` holds a live lease (which
        `lease_seconds` also extends), otherwise LeaseLost. `change` returns None for "no change".
        """
        for _ in range(_MAX_CAS_ATTEMPTS):
            stored = await self.get(request_id)
            if stored is None:
                raise KeyError(request_id)
            now = self._now()
            if owner is not None and (stored.lease is None or not stored.lease.held_by(owner, now)):
                raise LeaseLost(request_id)
            changed = change(stored)
            if changed is None:
                if lease_seconds is None:
                    return stored
                changed = stored
            if owner is not None and lease_seconds is not None:
                changed = replace(changed, lease=Lease(owner, now + timedelta(seconds=lease_seconds)))
            try:
                record = await self._store.put(REQUESTS, stored.id, stored_to_json(changed), etag=stored.etag)
            except ConcurrencyError:
                continue
            if is_active(stored) and not is_active(changed):
                await self._indexes.reindex(changed)
            return replace(changed, etag=record.etag)
        raise RuntimeError(f"{request_id}: too much contention")

    async def set_card(self, request_id: str, card: CardRef) -> StoredRequest:
        return await self.update(request_id, lambda s: replace(s, card=card))

    async def set_requester_conversation(self, request_id: str, reference: Mapping[str, Any]) -> StoredRequest:
        return await self.update(request_id, lambda s: replace(s, requester_conversation=dict(reference)))

    # ------------------------------------------------------------------ audit trail

    async def audit(
        self,
        request_id: str,
        action: str,
        *,
        by: Person | None,
        tenant_id: str | None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry. The key is unique and the write is insert-only, so nothing is overwritten."""
        return await self._audit.append(request_id, action, by=by, tenant_id=tenant_id, detail=detail)

    async def audit_trail(self, request_id: str) -> list[AuditEntry]:
        return await self._audit.entries(request_id)

    @property
    def trail(self) -> AuditTrail:
        return self._audit

    async def _chain(self, stored: StoredRequest) -> StoredRequest:
        """Right after a decision's write: its entries into the chain (once: a concurrent reader of the request
        may be completing them as well), then off the request."""
        for entry in stored.unaudited:
            await self._audit.append_once(entry)
        return await self._chained(stored)

    async def complete_audit(self, stored: StoredRequest) -> StoredRequest:
        """Entries a crash left between the decision's write and the chain: chained once (the chain is read
        for each, since it may have got there before the crash)."""
        if not stored.unaudited:
            return stored
        for entry in stored.unaudited:
            await self._audit.append_once(entry)
        return await self._chained(stored)

    async def _chained(self, stored: StoredRequest) -> StoredRequest:
        done = {e.event for e in stored.unaudited}
        if not done:
            return stored
        return await self.update(stored.id, lambda s: replace(
            s, unaudited=tuple(e for e in s.unaudited if e.event not in done)) if s.unaudited else None)


def _already(stored: StoredRequest, actor: Actor) -> str:
    """Why a decision changed nothing: the request had moved on. Said to the person who decided it in their
    own words ("You approved this at ..."), to anyone else with who did."""
    request = stored.request
    last = next((d for d in reversed(request.decisions) if d.action != "requested"), None)
    if last is not None and last.by.id == actor.person.id and last.action in ("approved", "rejected", "cancelled"):
        moment = last.at if last.at.tzinfo else last.at.replace(tzinfo=UTC)
        at = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"You {last.action} this request at {at}; nothing else changed."
    who = f" by {last.by.name}" if last else ""
    labels = {
        RequestState.APPROVED: f"already approved{who}",
        RequestState.VALIDATING: f"already approved{who} and running",
        RequestState.MOVING: f"already approved{who} and moving",
        RequestState.REJECTED: f"already rejected{who}",
        RequestState.CANCELLED: f"already cancelled{who}",
        RequestState.SUCCEEDED: "already finished",
        RequestState.PARTIALLY_SUCCEEDED: "already finished",
        RequestState.FAILED: "already finished",
        RequestState.DRAFT: "not submitted for approval yet",
    }
    return f"This request was {labels.get(request.state, request.state.value)}."
