"""What the store keeps of a move request besides the request itself: its lease, batches, step records,
access waits, cards, checklist, and the audit trail's entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from migration.model import (
    ArmErrorDetail,
    DryRun,
    GroupMove,
    MoveRequest,
    Person,
    RequestState,
)
from migration.model.plan import ChosenFix, PlanStep

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
    done: bool = False  # ticked: the bot did it and checked it
    kinds: tuple[str, ...] = ()  # the step kinds whose success ticks it (fixplan.StepKind values)


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


class StepStatus(StrEnum):
    STARTED = "started"  # recorded before the step's first call to Azure
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # a step it waited for failed


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One fix or follow-through step's outcome (the moves have their own records, `BatchRecord`)."""

    key: str
    status: StepStatus
    error: ArmErrorDetail | None = None
    at: datetime | None = None


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
class AccessWait:
    """A running move paused because the bot's identity lost access to the customer's tenant.

    Nothing is marked failed meanwhile; the runner checks again with a bounded backoff (or when someone
    clicks Check again) and carries on where it stopped once access is back."""

    cause: str  # migration.model.AccessCause value
    code: str  # Azure's or Entra's code (AuthorizationFailed, AADSTS7000222, ...)
    message: str  # what Azure said
    fix: str  # what to do, in plain words
    since: datetime
    checks: int = 0  # how many times access was checked again without success
    next_check_at: datetime | None = None
    action: str | None = None  # the refused Azure action, when Azure named it
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class CardRef:
    """Where a card the bot posted lives: the conversation reference (JSON, as the Bot Framework
    serializes it; opaque here) and the id of the message to update in place."""

    conversation: Mapping[str, Any]
    activity_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    request_id: str
    action: str  # requested, approved, rejected, cancelled, refused, claimed, resumed, batch, finished...
    at: datetime
    by: Person | None
    tenant_id: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)
    event: str = ""  # unique per event: a write a crash interrupted is completed once, never twice


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
    access_wait: AccessWait | None = None  # set while the move waits for access to the tenant
    fix_steps: tuple[PlanStep, ...] = ()  # the approved fixes before the moves and follow-through after them
    manual_fixes: tuple[ChosenFix, ...] = ()  # fixes the bot cannot do: on the checklist with their commands
    step_records: tuple[StepRecord, ...] = ()  # how far each fix step got
    authors: tuple[str, ...] = ()  # who made, changed or submitted the plan (person ids): none may approve it
    revision: int = 0  # the plan's revision that was submitted
    approved_hash: str | None = None  # the digest of the plan as approved (migration.model.digest): all that runs
    # Audit entries written with the decision in the same compare-and-swap, until they are in the chain: a
    # crash between the two leaves them here, and the next reader of the request completes them.
    unaudited: tuple[AuditEntry, ...] = ()

    def step_record(self, key: str) -> StepRecord | None:
        return next((r for r in self.step_records if r.key == key), None)

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
