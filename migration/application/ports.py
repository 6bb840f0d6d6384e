"""What the application services are given from outside: the worker pool that assesses, the latest
assessments and the report links (both kept by `storage/`), the runner's wake-up, and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from migration.model import Assessment
from migration.model.links import ReportLink
from migration.reports.move import MoveReport

Clock = Callable[[], datetime]
Progress = Callable[[int, int | None], Awaitable[None]]  # resources read so far, of how many (None: unknown)


def utc_now() -> datetime:
    return datetime.now(UTC)


class AssessmentPool(Protocol):
    """Assessments in worker processes (`workers/assessment.py`): each builds its own gateway and store."""

    async def assess(self, *, tenant_id: str, source_subscription_id: str, target_subscription_id: str | None = None,
                     on_progress: Progress | None = None, with_report: bool = True) -> ReportLink | None:
        """Assess and store the compact assessment as the latest (with its export behind a new link when
        `with_report`, the link returned). Azure's refusals are raised as the domain's errors."""


class LatestAssessments(Protocol):
    """The latest assessment of each subscription, without its per-resource inventory."""

    async def save(self, assessment: Assessment, *, report: ReportLink | None = None) -> None: ...

    async def load(self, tenant_id: str, subscription_id: str) -> Assessment | None: ...

    async def report(self, tenant_id: str, subscription_id: str) -> ReportLink | None:
        """The export link stored with the latest assessment (it may have expired)."""


class ReportArchive(Protocol):
    """Documents behind unguessable links that expire (`storage/reports.py`)."""

    async def create(self, assessment: Assessment) -> ReportLink: ...

    async def create_move(self, report: MoveReport) -> ReportLink: ...

    async def create_document(self, name: str, text: str) -> ReportLink: ...

    async def create_audit(self, name: str, text: str, *, chain: str) -> ReportLink:
        """An audit export (JSON Lines)."""


class RunnerSignal(Protocol):
    """What the move runner is told by a decision, so it acts now instead of at its next scan."""

    def approved(self, request_id: str) -> None:
        """An approved request is ready to be claimed."""

    def recheck(self, request_id: str) -> bool:
        """Check access again now for a move waiting for it; False when this runner is not working on it."""
