"""Move requests: the persisted state machine, its authorization rules and the audit trail.

Every transition is get -> check -> put(etag): a compare-and-swap. When the put loses, the record is
read again and the check runs again on the fresh state, so the first decision wins and every later
click, retried invoke or concurrent approver just gets the current request back.

Collections in the document store:
- `requests`: key = request id; the MoveRequest plus what the runner and the notifier keep with it.
- `audit`: append-only, key = "{request id}/{iso time}/{uuid}", written with etag="" (never replaced).
- `settings`: small shared values, e.g. the approvals conversation (written by the notifier).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from migration.model import (
    ArmErrorDetail,
    Decision,
    DryRun,
    GroupMove,
    GroupState,
    MoveRequest,
    Person,
    RequestState,
)
from migration.ports import ConcurrencyError, DocumentStore

REQUESTS = "requests"
AUDIT = "audit"
SETTINGS = "settings"

ID_PREFIX = "MR-"
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # base32 without I, O, 0, 1: easy to read and type
_OPEN = frozenset({RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.APPROVED})
_RUNNING = frozenset({RequestState.VALIDATING, RequestState.MOVING})
_RUN_FINAL = frozenset({RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})
_MAX_CAS_ATTEMPTS = 50  # contention is a handful of clicks; more means something is broken

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def normalize_id(value: str) -> str:
    """What people type (`mr-ab12cd`, `AB12CD`) -> the stored id (`MR-AB12CD`)."""
    value = value.strip().upper()
    return value if value.startswith(ID_PREFIX) else ID_PREFIX + value


def new_request_id() -> str:
    return ID_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


class LeaseLost(Exception):
    """The runner no longer holds the request's lease: another runner took it over; stop at once."""


class WorkflowError(ValueError):
    """A request that cannot be created as given (no groups, an empty group...)."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Actor:
    """Who clicks or types, as the Teams edge established it (AccessPolicy decides the flags)."""

    person: Person
    tenant_id: str | None  # the Teams tenant the activity came from
    may_approve: bool = False  # listed in APPROVER_IDS
    tenant_allowed: bool = True  # in ALLOWED_TENANT_IDS


@dataclass(frozen=True, slots=True)
class ChecklistEntry:
    """One thing to do by hand after the move (role assignments, reservations, ...)."""

    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class Lease:
    owner: str
    expires_at: datetime

    def held_by(self, owner: str, now: datetime) -> bool:
        return self.owner == owner and self.expires_at > now


class BatchStatus(StrEnum):
    PLANNED = "planned"  # part of the group's saved plan; nothing sent yet
    STARTED = "started"  # recorded before the POST; no continuation token saved yet
    RUNNING = "running"  # the POST returned; its continuation token is saved
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One moveResources call (at most 800 top-level resources of one source group)."""

    group: str
    index: int
    resource_ids: tuple[str, ...]
    status: BatchStatus
    token: str | None = None
    sent_ids: tuple[str, ...] = ()  # what the last POST carried (the remainder after a reconcile)
    posts: int = 0  # how many moveResources POSTs this batch took
    moved: int = 0
    error: ArmErrorDetail | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CardRef:
    """Where a card the bot posted lives: the conversation reference (JSON, as the Bot Framework
    serializes it; opaque here) and the id of the message to update in place."""

    conversation: Mapping[str, Any]
    activity_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoredRequest:
    request: MoveRequest
    etag: str
    dry_runs: tuple[DryRun, ...] = ()
    checklist: tuple[ChecklistEntry, ...] = ()
    lease: Lease | None = None
    validated: tuple[str, ...] = ()  # source groups Azure's dry run accepted just before moving
    batches: tuple[BatchRecord, ...] = ()
    card: CardRef | None = None  # the approval card, updated in place as the move goes
    requester_conversation: Mapping[str, Any] | None = None  # where the final report also goes
    leftovers: tuple[str, ...] = ()  # top-level resources still in the source subscription afterwards
    finished_at: datetime | None = None
    report_sent: bool = False

    @property
    def id(self) -> str:
        return self.request.id

    @property
    def state(self) -> RequestState:
        return self.request.state

    def batches_of(self, group: str) -> tuple[BatchRecord, ...]:
        return tuple(b for b in self.batches if b.group == group)

    def group(self, name: str) -> GroupMove:
        return next(g for g in self.request.groups if g.source_group == name)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to a decision: the request as it now stands and what happened to the attempt."""

    stored: StoredRequest | None  # None: no such request
    changed: bool = False
    refusal: str | None = None  # the actor may not do this; nothing changed, the attempt is audited
    note: str | None = None  # nothing changed because the request had moved on (first decision won)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    request_id: str
    action: str  # requested, approved, rejected, cancelled, refused, claimed, resumed, batch, finished...
    at: datetime
    by: Person | None
    tenant_id: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- the workflow


class Workflow:
    """The move-request state machine over a DocumentStore. All methods are safe to call concurrently,
    from one process or many sharing the store."""

    def __init__(self, store: DocumentStore, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._now = clock

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
    ) -> StoredRequest:
        """A new request waiting for approval (the `move` flow calls this after the dry run)."""
        if not groups:
            raise WorkflowError("a move request needs at least one resource group")
        names = [g.source_group.lower() for g in groups]
        if len(set(names)) != len(names):
            raise WorkflowError("each source resource group may appear only once")
        for g in groups:
            if not g.resource_ids:
                raise WorkflowError(f"resource group {g.source_group} has no resources to move")
        now = self._now()
        decision = Decision("requested", requester, now, requester_tenant_id or "")
        clean = tuple(replace(g, state=GroupState.PENDING, moved_count=0, error=None) for g in groups)
        for _ in range(10):
            request = MoveRequest(
                id=new_request_id(),
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
            stored = StoredRequest(request, "", dry_runs=tuple(dry_runs), checklist=tuple(checklist))
            try:
                record = await self._store.put(REQUESTS, request.id, stored_to_json(stored), etag="")
            except ConcurrencyError:
                continue  # id collision: draw another
            await self.audit(request.id, "requested", by=requester, tenant_id=requester_tenant_id,
                             detail={"groups": len(clean), "resources": request.resource_count})
            return replace(stored, etag=record.etag)
        raise RuntimeError("could not allocate a request id")

    async def get(self, request_id: str) -> StoredRequest | None:
        record = await self._store.get(REQUESTS, normalize_id(request_id))
        return stored_from_json(record.value, record.etag) if record else None

    async def history(self, *, limit: int = 50, requester_id: str | None = None) -> list[StoredRequest]:
        """Requests, newest first (optionally only one person's)."""
        records = await self._store.list(REQUESTS)
        out = [stored_from_json(r.value, r.etag) for r in records]
        if requester_id:
            out = [s for s in out if s.request.requested_by.id == requester_id]
        out.sort(key=lambda s: s.request.requested_at, reverse=True)
        return out[:limit]

    # ------------------------------------------------------------------ decisions

    async def approve(self, request_id: str, actor: Actor) -> Outcome:
        return await self._decide(request_id, actor, "approved", RequestState.APPROVED)

    async def reject(self, request_id: str, actor: Actor, comment: str) -> Outcome:
        comment = comment.strip()
        stored = await self.get(request_id)
        if stored is not None and not comment and self._refusal(stored, actor, "rejected") is None:
            # Not a refusal of the person: the card asks for the reason again.
            return Outcome(stored, note="Say why you reject the move.")
        return await self._decide(request_id, actor, "rejected", RequestState.REJECTED, comment=comment)

    async def cancel(self, request_id: str, actor: Actor) -> Outcome:
        return await self._decide(request_id, actor, "cancelled", RequestState.CANCELLED)

    def _refusal(self, stored: StoredRequest, actor: Actor, action: str) -> str | None:
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
        return None

    async def _decide(
        self, request_id: str, actor: Actor, action: str, to: RequestState, *, comment: str | None = None
    ) -> Outcome:
        stored = await self.get(request_id)
        if stored is None:
            return Outcome(None, note="There is no move request with this id.")
        refusal = self._refusal(stored, actor, action)
        if refusal is not None:
            await self.audit(stored.id, "refused", by=actor.person, tenant_id=actor.tenant_id,
                             detail={"attempted": action, "reason": refusal, "state": stored.state.value})
            return Outcome(stored, refusal=refusal)
        allowed_from = _OPEN if action == "cancelled" else frozenset({RequestState.PENDING_APPROVAL})
        for _ in range(_MAX_CAS_ATTEMPTS):
            if stored.state not in allowed_from:
                return Outcome(stored, note=_already(stored))
            decision = Decision(action, actor.person, self._now(), actor.tenant_id or "", comment or None)
            request = replace(stored.request, state=to, decisions=(*stored.request.decisions, decision))
            if to is RequestState.CANCELLED or to is RequestState.REJECTED:
                groups = tuple(replace(g, state=GroupState.SKIPPED) for g in request.groups)
                request = replace(request, groups=groups)
            changed = replace(stored, request=request, finished_at=None if to is RequestState.APPROVED else
                              decision.at)
            try:
                record = await self._store.put(REQUESTS, stored.id, stored_to_json(changed), etag=stored.etag)
            except ConcurrencyError:
                fresh = await self.get(stored.id)
                if fresh is None:
                    return Outcome(None, note="There is no move request with this id.")
                stored = fresh
                continue
            detail: dict[str, Any] = {"from": stored.state.value, "to": to.value}
            if comment:
                detail["comment"] = comment
            await self.audit(stored.id, action, by=actor.person, tenant_id=actor.tenant_id, detail=detail)
            return Outcome(replace(changed, etag=record.etag), changed=True)
        raise RuntimeError(f"{stored.id}: too much contention")

    # ------------------------------------------------------------------ the runner's side

    async def claimable(self) -> list[str]:
        """Approved requests, and started ones whose runner's lease lapsed (it died or hung), including
        finished moves whose final report was not sent yet."""
        now = self._now()
        records = await self._store.list(REQUESTS)
        return [r.key for r in records if _claimable(stored_from_json(r.value, r.etag), now)]

    async def claim(self, request_id: str, owner: str, *, lease_seconds: float) -> StoredRequest | None:
        """Take the request for `owner` (None when it is not claimable or someone else got it first)."""
        stored = await self.get(request_id)
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
        entry = AuditEntry(request_id, action, self._now(), by, tenant_id, dict(detail or {}))
        key = f"{request_id}/{entry.at.isoformat()}/{uuid.uuid4().hex}"
        await self._store.put(AUDIT, key, _audit_to_json(entry), etag="")
        return entry

    async def audit_trail(self, request_id: str) -> list[AuditEntry]:
        records = await self._store.list(AUDIT, prefix=normalize_id(request_id) + "/")
        return [_audit_from_json(r.value) for r in records]


def _claimable(stored: StoredRequest, now: datetime) -> bool:
    if stored.state is RequestState.APPROVED:
        return True
    lapsed = stored.lease is None or stored.lease.expires_at <= now
    if stored.state in _RUNNING:
        return lapsed
    return stored.state in _RUN_FINAL and not stored.report_sent and lapsed


def _already(stored: StoredRequest) -> str:
    request = stored.request
    last = next((d for d in reversed(request.decisions) if d.action != "requested"), None)
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
# Plain JSON with camelCase-free snake_case keys; datetimes as ISO 8601 with offset.


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _person_to_json(p: Person) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "mri": p.mri}


def _person_from_json(d: Mapping[str, Any]) -> Person:
    return Person(d["id"], d["name"], d.get("mri"))


def error_to_json(e: ArmErrorDetail | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"code": e.code, "message": e.message, "target": e.target, "details": [error_to_json(d) for d in e.details]}


def error_from_json(d: Mapping[str, Any] | None) -> ArmErrorDetail | None:
    if not d:
        return None
    details = tuple(x for x in (error_from_json(i) for i in d.get("details") or ()) if x is not None)
    return ArmErrorDetail(d["code"], d["message"], d.get("target"), details)


def _group_to_json(g: GroupMove) -> dict[str, Any]:
    return {
        "source_group": g.source_group,
        "target_group_id": g.target_group_id,
        "location": g.location,
        "resource_ids": list(g.resource_ids),
        "state": g.state.value,
        "moved_count": g.moved_count,
        "error": error_to_json(g.error),
    }


def _group_from_json(d: Mapping[str, Any]) -> GroupMove:
    return GroupMove(
        d["source_group"], d["target_group_id"], d["location"], tuple(d["resource_ids"]),
        GroupState(d["state"]), int(d["moved_count"]), error_from_json(d.get("error")),
    )


def request_to_json(r: MoveRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "tenant_id": r.tenant_id,
        "source_subscription_id": r.source_subscription_id,
        "target_subscription_id": r.target_subscription_id,
        "requested_by": _person_to_json(r.requested_by),
        "requested_at": _dt(r.requested_at),
        "state": r.state.value,
        "groups": [_group_to_json(g) for g in r.groups],
        "decisions": [
            {"action": d.action, "by": _person_to_json(d.by), "at": _dt(d.at), "tenant_id": d.tenant_id,
             "comment": d.comment}
            for d in r.decisions
        ],
        "source_name": r.source_name,
        "target_name": r.target_name,
    }


def request_from_json(d: Mapping[str, Any]) -> MoveRequest:
    return MoveRequest(
        id=d["id"],
        tenant_id=d["tenant_id"],
        source_subscription_id=d["source_subscription_id"],
        target_subscription_id=d["target_subscription_id"],
        requested_by=_person_from_json(d["requested_by"]),
        requested_at=_parse_dt(d["requested_at"]) or utc_now(),
        state=RequestState(d["state"]),
        groups=tuple(_group_from_json(g) for g in d["groups"]),
        decisions=tuple(
            Decision(x["action"], _person_from_json(x["by"]), _parse_dt(x["at"]) or utc_now(), x["tenant_id"],
                     x.get("comment"))
            for x in d.get("decisions") or ()
        ),
        source_name=d.get("source_name", ""),
        target_name=d.get("target_name", ""),
    )


def _dry_run_to_json(r: DryRun) -> dict[str, Any]:
    return {"resource_group": r.resource_group, "target_group_id": r.target_group_id, "valid": r.valid,
            "errors": [error_to_json(e) for e in r.errors], "disagreement": r.disagreement}


def _dry_run_from_json(d: Mapping[str, Any]) -> DryRun:
    errors = tuple(x for x in (error_from_json(e) for e in d.get("errors") or ()) if x is not None)
    return DryRun(d["resource_group"], d["target_group_id"], bool(d["valid"]), errors, d.get("disagreement"))


def _batch_to_json(b: BatchRecord) -> dict[str, Any]:
    return {
        "group": b.group, "index": b.index, "resource_ids": list(b.resource_ids), "status": b.status.value,
        "token": b.token, "sent_ids": list(b.sent_ids), "posts": b.posts, "moved": b.moved,
        "error": error_to_json(b.error), "started_at": _dt(b.started_at), "finished_at": _dt(b.finished_at),
    }


def _batch_from_json(d: Mapping[str, Any]) -> BatchRecord:
    return BatchRecord(
        d["group"], int(d["index"]), tuple(d["resource_ids"]), BatchStatus(d["status"]), d.get("token"),
        tuple(d.get("sent_ids") or ()), int(d.get("posts", 0)), int(d.get("moved", 0)),
        error_from_json(d.get("error")), _parse_dt(d.get("started_at")), _parse_dt(d.get("finished_at")),
    )


def stored_to_json(s: StoredRequest) -> dict[str, Any]:
    return {
        "request": request_to_json(s.request),
        "dry_runs": [_dry_run_to_json(r) for r in s.dry_runs],
        "checklist": [{"title": c.title, "detail": c.detail} for c in s.checklist],
        "lease": {"owner": s.lease.owner, "expires_at": _dt(s.lease.expires_at)} if s.lease else None,
        "validated": list(s.validated),
        "batches": [_batch_to_json(b) for b in s.batches],
        "card": {"conversation": dict(s.card.conversation), "activity_id": s.card.activity_id} if s.card else None,
        "requester_conversation": dict(s.requester_conversation) if s.requester_conversation else None,
        "leftovers": list(s.leftovers),
        "finished_at": _dt(s.finished_at),
        "report_sent": s.report_sent,
    }


def stored_from_json(d: Mapping[str, Any], etag: str) -> StoredRequest:
    lease = d.get("lease")
    card = d.get("card")
    return StoredRequest(
        request=request_from_json(d["request"]),
        etag=etag,
        dry_runs=tuple(_dry_run_from_json(x) for x in d.get("dry_runs") or ()),
        checklist=tuple(ChecklistEntry(c["title"], c["detail"]) for c in d.get("checklist") or ()),
        lease=Lease(lease["owner"], _parse_dt(lease["expires_at"]) or utc_now()) if lease else None,
        validated=tuple(d.get("validated") or ()),
        batches=tuple(_batch_from_json(b) for b in d.get("batches") or ()),
        card=CardRef(card["conversation"], card.get("activity_id")) if card else None,
        requester_conversation=d.get("requester_conversation"),
        leftovers=tuple(d.get("leftovers") or ()),
        finished_at=_parse_dt(d.get("finished_at")),
        report_sent=bool(d.get("report_sent")),
    )


def _audit_to_json(e: AuditEntry) -> dict[str, Any]:
    return {"request_id": e.request_id, "action": e.action, "at": _dt(e.at),
            "by": _person_to_json(e.by) if e.by else None, "tenant_id": e.tenant_id, "detail": dict(e.detail)}


def _audit_from_json(d: Mapping[str, Any]) -> AuditEntry:
    return AuditEntry(d["request_id"], d["action"], _parse_dt(d["at"]) or utc_now(),
                      _person_from_json(d["by"]) if d.get("by") else None, d.get("tenant_id"),
                      d.get("detail") or {})

