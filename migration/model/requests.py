"""Move requests: their states, groups, decisions and the people behind them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from migration.model.errors import ArmErrorDetail

# --------------------------------------------------------------------------- move requests


class RequestState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    VALIDATING = "validating"
    MOVING = "moving"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATES


_FINAL_STATES = frozenset(
    {
        RequestState.SUCCEEDED,
        RequestState.PARTIALLY_SUCCEEDED,
        RequestState.FAILED,
        RequestState.REJECTED,
        RequestState.CANCELLED,
    }
)


@dataclass(frozen=True, slots=True)
class Person:
    id: str  # Entra object id (aadObjectId): what authorization and the audit trail use
    name: str
    mri: str | None = None  # Teams user id (29:...), what refresh.userIds takes


class GroupState(StrEnum):
    PENDING = "pending"
    VALIDATING = "validating"
    MOVING = "moving"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class GroupMove:
    """One source resource group's part of a move request and how far it got."""

    source_group: str
    target_group_id: str
    location: str
    resource_ids: tuple[str, ...]  # top-level resources only; children follow their parent
    state: GroupState = GroupState.PENDING
    moved_count: int = 0
    error: ArmErrorDetail | None = None
    after: tuple[str, ...] = ()  # source groups whose move must finish first (a consolidation chain)

    @property
    def resources(self) -> int:
        return len(self.resource_ids)

    @property
    def moved(self) -> int:
        return self.moved_count


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # requested, approved, rejected, cancelled, refused
    by: Person
    at: datetime
    tenant_id: str
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class MoveRequest:
    id: str  # short, human-typable (status <id>)
    tenant_id: str
    source_subscription_id: str
    target_subscription_id: str
    requested_by: Person
    requested_at: datetime
    state: RequestState
    groups: tuple[GroupMove, ...]
    decisions: tuple[Decision, ...] = ()
    source_name: str = ""
    target_name: str = ""

    @property
    def resource_count(self) -> int:
        return sum(len(g.resource_ids) for g in self.groups)

    @property
    def moved_count(self) -> int:
        return sum(g.moved_count for g in self.groups)
