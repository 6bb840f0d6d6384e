"""Move requests: the persisted state machine, its authorization rules and the audit trail.

Every transition is get -> check -> put(etag): a compare-and-swap. When the put loses, the record is
read again and the check runs again on the fresh state, so the first decision wins and every later
click, retried invoke or concurrent approver just gets the current request back.

Collections in the document store:
- `requests`: key = request id; the MoveRequest plus what the runner and the notifier keep with it.
- `trail` and `audithead`: the audit trail, append-only and hash-chained per request (migration.execution.audit);
  a decision's entry is written in the same compare-and-swap as the decision (`unaudited`), then chained.
- `settings`: small shared values, e.g. the approvals conversation (written by the notifier).
- `claims`: which open request holds a source group; `active` and `timeline`: indexes by state and by time.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from migration.execution.audit import AuditTrail
from migration.model import (
    Decision,
    DryRun,
    GroupMove,
    GroupState,
    MoveRequest,
    Person,
    RequestState,
)
from migration.model.codec import decode, to_json
from migration.model.digest import plan_digest
from migration.model.plan import ChosenFix, PlanStep
from migration.model.records import Actor, AuditEntry, CardRef, ChecklistEntry, Lease, Outcome, StoredRequest
from migration.model.store import ConcurrencyError, DocumentStore

REQUESTS = "requests"
SETTINGS = "settings"
CLAIMS = "claims"  # key = "{source subscription}/{group}" (lower case) -> the request holding the group
# Indexes, so neither the runner nor `history` reads every request ever stored:
ACTIVE = "active"  # key = request id: approved, running, or finished with its report not sent yet
TIMELINE = "timeline"  # key = newest-first time + request id: every request, for paging the history
_INDEXED = "request_indexes"  # settings key: the indexes above cover every stored request

ID_PREFIX = "MR-"
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # base32 without I, O, 0, 1: easy to read and type
# Hyphens a copied id may carry (cards show ids with a non-breaking one, so they never wrap mid-word).
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})
_OPEN = frozenset({RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.APPROVED})
_RUNNING = frozenset({RequestState.VALIDATING, RequestState.MOVING})
_RUN_FINAL = frozenset({RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})
# A group in a request in one of these states is taken: it cannot be put in another request.
_HOLDING = frozenset({RequestState.PENDING_APPROVAL, RequestState.APPROVED, RequestState.VALIDATING,
                      RequestState.MOVING})
_MAX_CAS_ATTEMPTS = 50  # contention is a handful of clicks; more means something is broken

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def normalize_id(value: str) -> str:
    """What people type or copy from a card (`mr-ab12cd`, `AB12CD`, `MR‑AB12CD` with the cards' non-breaking
    hyphen) -> the stored id (`MR-AB12CD`)."""
    value = value.strip().upper().translate(_DASHES)
    return value if value.startswith(ID_PREFIX) else ID_PREFIX + value


def new_request_id() -> str:
    return ID_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


class LeaseLost(Exception):
    """The runner no longer holds the request's lease: another runner took it over; stop at once."""


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
        self._indexed = False
        self._trail = AuditTrail(store)

    @property
    def trail(self) -> AuditTrail:
        return self._trail

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
            entry = self._entry(request.id, "requested", by=requester, tenant_id=requester_tenant_id,
                                detail={"groups": len(clean), "resources": request.resource_count,
                                        "steps": [s.key for s in fix_steps], "revision": revision,
                                        "plan_hash": plan_digest(stored)})
            stored = replace(stored, unaudited=(entry,))
            await self._store.put(TIMELINE, _timeline_key(request), {"request_id": request.id})
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
                        if holder is not None and holder.id != request_id and holder.state in _HOLDING:
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
            if holder is not None and holder.state in _HOLDING:
                out[name] = holder.request
        return out

    async def get(self, request_id: str) -> StoredRequest | None:
        record = await self._store.get(REQUESTS, normalize_id(request_id))
        return stored_from_json(record.value, record.etag) if record else None

    async def history(self, *, limit: int = 50, requester_id: str | None = None) -> list[StoredRequest]:
        """Requests, newest first (optionally only one person's); reads requests only until it has `limit`."""
        out: list[StoredRequest] = []
        for request_id in await self._timeline():
            stored = await self.get(request_id)
            if stored is not None and (not requester_id or stored.request.requested_by.id == requester_id):
                out.append(stored)
                if len(out) >= limit:
                    break
        return out

    async def history_page(self, page: int, *, per_page: int) -> tuple[list[StoredRequest], int]:
        """One page of every request, newest first, and how many there are: only that page is read."""
        ids = await self._timeline()
        pages = max(1, -(-len(ids) // per_page))
        page = min(max(1, page), pages)
        chunk = ids[(page - 1) * per_page: page * per_page]
        found = [await self.get(i) for i in chunk]
        return [s for s in found if s is not None], len(ids)

    async def _timeline(self) -> list[str]:
        await self._ensure_indexes()
        seen: set[str] = set()
        out: list[str] = []
        for record in await self._store.list(TIMELINE):
            request_id = str(record.value.get("request_id") or "")
            if request_id and request_id not in seen:  # an id drawn twice (a collision) is listed once
                seen.add(request_id)
                out.append(request_id)
        return out

    async def _ensure_indexes(self) -> None:
        """Requests stored before the indexes existed are indexed once."""
        if self._indexed:
            return
        if await self._store.get(SETTINGS, _INDEXED) is None:
            records = await self._store.list(REQUESTS)
            for record in records:
                stored = stored_from_json(record.value, record.etag)
                await self._store.put(TIMELINE, _timeline_key(stored.request), {"request_id": stored.id})
                if _active(stored):
                    await self._store.put(ACTIVE, stored.id, {})
            if records:  # an empty store has nothing to index, and stays empty until someone uses the bot
                await self._store.put(SETTINGS, _INDEXED, {"at": self._now().isoformat()})
        self._indexed = True

    async def _reindex(self, stored: StoredRequest) -> None:
        """After a write: a request the runner has nothing more to do for leaves the active index."""
        if not _active(stored):
            with contextlib.suppress(ConcurrencyError):
                await self._store.delete(ACTIVE, stored.id)

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
        allowed_from = _OPEN if action == "cancelled" else frozenset({RequestState.PENDING_APPROVAL})
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
            if to is RequestState.APPROVED:  # the approval names exactly what it approves
                changed = replace(changed, approved_hash=plan_digest(stored))
            detail: dict[str, Any] = {"from": stored.state.value, "to": to.value}
            if changed.approved_hash:
                detail["plan_hash"] = changed.approved_hash
            if comment:
                detail["comment"] = comment
            entry = self._entry(stored.id, action, by=actor.person, tenant_id=actor.tenant_id, detail=detail)
            changed = replace(changed, unaudited=(*changed.unaudited, entry))  # one write: decision and audit
            if _active(changed):
                # Indexed before the write: the runner may see an entry too many (it checks), never one too few.
                await self._store.put(ACTIVE, stored.id, {})
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
        """Approved requests, and started ones whose runner's lease lapsed (it died or hung), including
        finished moves whose final report was not sent yet."""
        await self._ensure_indexes()
        out: list[str] = []
        for entry in await self._store.list(ACTIVE):
            stored = await self.get(entry.key)
            if stored is None:  # never written (a failed submit), or gone: tidy the index
                with contextlib.suppress(ConcurrencyError):
                    await self._store.delete(ACTIVE, entry.key)
                continue
            if not _active(stored):  # e.g. cancelled after approval, before the runner saw it
                if stored.state is not RequestState.PENDING_APPROVAL:  # else an approval is writing it now
                    await self._reindex(stored)
                continue
            if _claimable(stored, self._now()):
                out.append(stored.id)
        return out

    async def stalled(self, *, within: float) -> list[StoredRequest]:
        """Running requests whose runner stopped renewing its lease (it died or hangs): the lease lapses within
        `within` seconds, closer than a live runner ever lets it come, and then another runner resumes them."""
        now = self._now()
        out: list[StoredRequest] = []
        for entry in await self._store.list(ACTIVE):
            stored = await self.get(entry.key)
            lease = stored.lease if stored is not None else None
            if stored is not None and lease is not None and stored.state in _RUNNING \
                    and now < lease.expires_at <= now + timedelta(seconds=within):
                out.append(stored)
        return out

    async def claim(self, request_id: str, owner: str, *, lease_seconds: float) -> StoredRequest | None:
        """Take the request for `owner` (None when it is not claimable or someone else got it first)."""
        stored = await self.get(request_id)
        if stored is not None:
            stored = await self.complete_audit(stored)  # an approval's entry a crash left unchained
        while stored is not None:
            now = self._now()
            if not _claimable(stored, now):
                return None
            resumed = stored.state is not RequestState.APPROVED
            request = stored.request if resumed else replace(stored.request, state=RequestState.VALIDATING)
            previous = stored.lease.owner if stored.lease else None
            changed = replace(stored, request=request, lease=Lease(owner, now + timedelta(seconds=lease_seconds)))
            try:
                record = await self._store.put(REQUESTS, stored.id, stored_to_json(changed), etag=stored.etag)
            except ConcurrencyError:
                stored = await self.get(request_id)
                continue
            await self.audit(stored.id, "resumed" if resumed else "claimed", by=None, tenant_id=None,
                             detail={"runner": owner, "previous_runner": previous, "state": request.state.value})
            return replace(changed, etag=record.etag)
        return None

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
            if _active(stored) and not _active(changed):
                await self._reindex(changed)
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
        """Append one entry to the request's chain (insert-only: nothing is overwritten)."""
        entry = self._entry(request_id, action, by=by, tenant_id=tenant_id, detail=detail)
        await self._trail.append(entry)
        return entry

    def _entry(self, request_id: str, action: str, *, by: Person | None, tenant_id: str | None,
               detail: Mapping[str, Any] | None) -> AuditEntry:
        return AuditEntry(request_id, action, self._now(), by, tenant_id, dict(detail or {}), event=uuid.uuid4().hex)

    async def audit_trail(self, request_id: str) -> list[AuditEntry]:
        return await self._trail.entries(normalize_id(request_id))

    async def _chain(self, stored: StoredRequest) -> StoredRequest:
        """Right after a decision's write: its entries into the chain, then off the request."""
        for entry in stored.unaudited:
            await self._trail.append(entry)
        return await self._chained(stored)

    async def complete_audit(self, stored: StoredRequest) -> StoredRequest:
        """Entries a crash left between the decision's write and the chain: chained once (the chain is read
        for each, since it may have got there before the crash)."""
        if not stored.unaudited:
            return stored
        for entry in stored.unaudited:
            await self._trail.append_once(entry)
        return await self._chained(stored)

    async def _chained(self, stored: StoredRequest) -> StoredRequest:
        done = {e.event for e in stored.unaudited}
        if not done:
            return stored
        return await self.update(stored.id, lambda s: replace(
            s, unaudited=tuple(e for e in s.unaudited if e.event not in done)) if s.unaudited else None)


def _active(stored: StoredRequest) -> bool:
    """The runner still has something to do (or to report) for this request."""
    return stored.state in _RUNNING or stored.state is RequestState.APPROVED or (
        stored.state in _RUN_FINAL and not stored.report_sent)


def _timeline_key(request: MoveRequest) -> str:
    newest_first = 10**11 - int(request.requested_at.timestamp() * 10)  # tenths of a second, inverted
    return f"{newest_first:012d}-{request.id}"


def _claimable(stored: StoredRequest, now: datetime) -> bool:
    if stored.state is RequestState.APPROVED:
        return True
    lapsed = stored.lease is None or stored.lease.expires_at <= now
    if stored.state in _RUNNING:
        return lapsed
    return stored.state in _RUN_FINAL and not stored.report_sent and lapsed


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


# --------------------------------------------------------------------------- (de)serialization
# The generic codec (snake_case keys, ISO 8601 datetimes); the etag lives in the record, not the value.


def stored_to_json(s: StoredRequest) -> dict[str, Any]:
    value: dict[str, Any] = to_json(s)
    value.pop("etag", None)
    return value


def stored_from_json(d: Mapping[str, Any], etag: str) -> StoredRequest:
    return decode(StoredRequest, {**d, "etag": etag})

