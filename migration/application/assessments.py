"""Assessing a subscription: always in the worker pool (parsing, rules and the export never hold the web
process's event loop), through its fair, bounded queue (`assessment_queue.py`: a second ask for the same
subscription joins the first), the latest assessment of each subscription kept with its export's link.

Azure's refusals (the tenant's access, a subscription it cannot see) are raised as the domain's errors;
the chat edge words them.
"""

from __future__ import annotations

from dataclasses import dataclass

from migration.application.assessment_queue import FairQueue, QueueLimits
from migration.application.ports import AssessmentPool, Clock, LatestAssessments, Progress, utc_now
from migration.model import Assessment
from migration.model.links import ReportLink


@dataclass(frozen=True, slots=True)
class Assessed:
    assessment: Assessment
    report: ReportLink | None  # the export with every resource; None when not made or expired


class SubscriptionAssessments:
    def __init__(self, *, pool: AssessmentPool, latest: LatestAssessments, clock: Clock = utc_now,
                 limits: QueueLimits | None = None) -> None:
        self._pool = pool
        self._latest = latest
        self._clock = clock
        self._queue: FairQueue[ReportLink | None] = FairQueue(limits or QueueLimits())

    async def assess(self, tenant_id: str, subscription_id: str, *, by: str, target_subscription_id: str | None = None,
                     on_progress: Progress | None = None, with_report: bool = True) -> Assessed:
        """Assess in a worker, which stores the result as the latest; it is read back from there. Against a
        target (a move being planned) the export is not made: the plan needs the groups only. `by` is the
        person asking (their Entra object id). Raises AssessmentsBusy when a limit is reached."""
        async def work(progress: Progress) -> ReportLink | None:
            return await self._pool.assess(tenant_id=tenant_id, source_subscription_id=subscription_id,
                                           target_subscription_id=target_subscription_id, on_progress=progress,
                                           with_report=with_report)

        key = (tenant_id.lower(), subscription_id.lower(), (target_subscription_id or "").lower(), with_report)
        link = await self._queue.run(key, work, customer=tenant_id.lower(), user=by, on_progress=on_progress)
        assessment = await self._latest.load(tenant_id, subscription_id)
        if assessment is None:
            raise RuntimeError("the assessment worker stored no assessment")
        return Assessed(assessment, self._live(link))

    async def latest(self, tenant_id: str, subscription_id: str) -> Assessed | None:
        assessment = await self._latest.load(tenant_id, subscription_id)
        if assessment is None:
            return None
        return Assessed(assessment, self._live(await self._latest.report(tenant_id, subscription_id)))

    async def replace(self, assessment: Assessment) -> None:
        """Keep `assessment` as the latest (after Azure's dry run added its answers); its export is not
        the same any more, so the old link goes."""
        await self._latest.save(assessment)

    def _live(self, link: ReportLink | None) -> ReportLink | None:
        return link if link is not None and link.expires_at > self._clock() else None
