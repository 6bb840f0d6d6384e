"""Planning a move: the source and target chosen (access checked, the source assessed against the target),
the groups picked (a draft, with the target groups it creates), then Azure's dry run and the fixes around
the moves, one revision of the plan per planning.

A draft is one engineer's plan until they ask for approval (`move_submission`). Every planning starts a
new revision of its fix draft; a planning whose revision is no longer the latest stores nothing, so the
plan shown is always the one a card's revision names (`migration.planning.revisions`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from migration.application.assessments import SubscriptionAssessments
from migration.application.ports import Clock, utc_now
from migration.application.tenant_access import MoveAccess, TenantAccess
from migration.assessment.dryrun import planned_target_groups, run_dry_run, top_level_ids
from migration.azure.ports import AzureGateway
from migration.execution.stored import new_request_id
from migration.execution.workflow import Workflow
from migration.fixes.choice import offered_actions, pick_with_fixes
from migration.model import Assessment, DryRun, GroupMove, MoveRequest, Person, RequestState
from migration.model.records import StoredRequest
from migration.planning.drafts import Draft, Drafts
from migration.planning.plan import plan_with_fixes
from migration.planning.revisions import FixDraft, FixDrafts
from migration.planning.scope import choose, settle

_SUBMITTING_POLLS = 8  # a click that lost to another one waits this long for the request the other submits
_SUBMITTING_POLL_SECONDS = 0.25


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class DraftMade:
    request: MoveRequest
    new_groups: tuple[GroupMove, ...]  # the target groups that do not exist yet (the dry run creates them)


@dataclass(frozen=True, slots=True)
class GroupsRefused:
    """The pick cannot become a plan: groups the source does not have, groups that cannot move, or groups
    already in another open request."""

    unknown: tuple[str, ...] = ()
    not_ready: tuple[str, ...] = ()
    in_use: Mapping[str, MoveRequest] | None = None


@dataclass(frozen=True, slots=True)
class PlanShown:
    """The plan at its latest revision, fully planned: the request with its groups as they will stand once
    the in-subscription fixes ran, and the fix draft."""

    request: MoveRequest
    fixes: FixDraft


@dataclass(frozen=True, slots=True)
class PlanUpdating:
    """A planning of a newer revision is running."""

    request: MoveRequest
    fixes: FixDraft


@dataclass(frozen=True, slots=True)
class PlanSubmitted:
    stored: StoredRequest


@dataclass(frozen=True, slots=True)
class PlanNotChecked:
    """The draft exists but was never through Azure's dry run."""

    request_id: str


@dataclass(frozen=True, slots=True)
class PlanGone:
    """Submitted or cancelled, and no request under that id (or the assessment it was planned on is gone)."""


PlanState = PlanShown | PlanUpdating | PlanSubmitted | PlanNotChecked | PlanGone


# --------------------------------------------------------------------------- the service


class MovePlans:
    def __init__(self, *, gateway: AzureGateway, workflow: Workflow, drafts: Drafts, fix_drafts: FixDrafts,
                 assessments: SubscriptionAssessments, access: TenantAccess, clock: Clock = utc_now) -> None:
        self._gateway = gateway
        self._workflow = workflow
        self._drafts = drafts
        self._fixes = fix_drafts
        self._assessments = assessments
        self._access = access
        self._clock = clock

    async def prepare(self, tenant_id: str, source_id: str, target_id: str, *, by: str) -> MoveAccess | Assessment:
        """Source and target chosen: what the bot may not do there (checked before anything is read at
        length or created), else the source assessed against the target, in the worker pool."""
        if blocked := await self._access.move_blockers(tenant_id, source_id, target_id):
            return blocked
        assessed = await self._assessments.assess(tenant_id, source_id, by=by, target_subscription_id=target_id,
                                                  with_report=False)
        return assessed.assessment

    async def assessment_for(self, tenant_id: str, source_id: str, target_id: str) -> Assessment | None:
        """The latest assessment of the source, if it was made against this target (what the group picker
        pages and the pick are read from)."""
        latest = await self._assessments.latest(tenant_id, source_id.lower())
        if latest is None or latest.assessment.target is None:
            return None
        return latest.assessment if latest.assessment.target.id.lower() == target_id.lower() else None

    async def draft(self, assessment: Assessment, names: Sequence[str], *, requester: Person) -> DraftMade | \
            GroupsRefused:
        """The groups picked -> a draft. A group whose only problems are fixes the bot makes is movable; the
        groups those fixes move resources into join the plan. Raises the gateway's errors when the target's
        groups cannot be read."""
        by_name = {g.name.lower(): g for g in assessment.groups}
        found = [by_name.get(n.strip().lower()) for n in names]
        unknown = tuple(n.strip() for n, g in zip(names, found, strict=True) if g is None)
        if unknown:
            return GroupsRefused(unknown=unknown)
        groups, _, not_ready = pick_with_fixes(assessment.groups, [g for g in found if g is not None])
        if not_ready:
            return GroupsRefused(not_ready=tuple(not_ready))
        assert assessment.target is not None, "a move's assessment is made against its target"
        chosen = [g.name for g in groups]
        in_use = await self._workflow.groups_in_use(assessment.source.id, chosen)
        if in_use:
            return GroupsRefused(in_use=in_use)
        plans = {p.name.lower(): p for p in planned_target_groups(assessment, groups=chosen)}
        request = MoveRequest(
            id=new_request_id(), tenant_id=assessment.tenant_id, source_subscription_id=assessment.source.id,
            target_subscription_id=assessment.target.id, requested_by=requester, requested_at=self._clock(),
            state=RequestState.DRAFT,
            groups=tuple(GroupMove(source_group=g.name, target_group_id=plans[g.name.lower()].id,
                                   location=plans[g.name.lower()].location, resource_ids=tuple(top_level_ids(g)))
                         for g in groups),
            source_name=assessment.source.display_name, target_name=assessment.target.display_name)
        await self._drafts.create(request)
        existing = {g.name.lower() for g in
                    await self._gateway.for_tenant(assessment.tenant_id).groups.list_groups(assessment.target.id)}
        return DraftMade(request, tuple(g for g in request.groups if g.source_group.lower() not in existing))

    async def find_draft(self, request_id: object) -> Draft | None:
        return await self._drafts.get(request_id) if isinstance(request_id, str) else None

    async def stranger(self, request_id: object, *, by: Person, tenant_id: str | None,
                       attempted: str) -> Person | None:
        """The draft's planner when `by` is someone else (the attempt then audited on the draft's id, which the
        request keeps); None when `by` made it, or there is no such draft. A draft is one engineer's plan:
        nobody else edits, plans, shows or submits it, so an approval is always a second person's."""
        draft = await self.find_draft(request_id)
        if draft is None or draft.request.requested_by.id == by.id:
            return None
        await self._workflow.audit(draft.request.id, "refused", by=by, tenant_id=tenant_id,
                                   detail={"attempted": attempted, "reason": "not the plan's engineer",
                                           "state": RequestState.DRAFT.value})
        return draft.request.requested_by

    async def begin(self, request_id: str, *, by: Person, seen: int | None = None,
                    keep: set[str] | None = None) -> FixDraft:
        """Start a new revision: to plan the first time or again (any planning still running becomes stale),
        or, with the revision `seen` on the card and the fixes it `keep`s, to plan with another choice of
        fixes. Raises PlanChanged when the card's revision is not the latest planned one. `by` is kept as an
        editor of the plan (who may not approve it)."""
        if keep is None:
            return await self._fixes.begin(request_id, by=by.id)
        current = await self._fixes.get(request_id)
        return await self._fixes.begin(request_id, seen=seen, skip=tuple(a for a in current.offered if a not in keep),
                                       by=by.id)

    async def offered(self, request_id: str) -> tuple[str, ...]:
        """The fixes the plan offers to leave out."""
        return (await self._fixes.get(request_id)).offered

    async def plan(self, request: MoveRequest, revision: int) -> PlanState:
        """Create the target groups, run Azure's dry run, and plan the fixes before and the follow-through
        after the moves from what Azure says now; stored as the plan of `revision` unless a newer planning
        started (then the plan as it stands)."""
        assessment = await self._assessments.latest(request.tenant_id, request.source_subscription_id)
        if assessment is None:
            return PlanGone()
        names = {g.source_group for g in request.groups}
        checked = await run_dry_run(self._gateway.for_tenant(request.tenant_id), assessment.assessment,
                                    groups=sorted(names), create_target_groups=True)
        await self._assessments.replace(checked)
        dry_runs = tuple(g.dry_run for g in checked.groups if g.dry_run is not None and g.name in names)
        # The draft keeps the groups as picked (the engineer may tick a fix again); the card and the
        # submission use the groups as they will stand once the in-subscription fixes ran.
        fixes = await self._plan_fixes(assessment.assessment, request, revision, dry_runs)
        if fixes is None:  # planned again, submitted or cancelled meanwhile: show what stands now
            return await self.as_it_stands(request.id)
        return PlanShown(replace(request, groups=fixes.groups), fixes)

    async def _plan_fixes(self, assessment: Assessment, request: MoveRequest, revision: int,
                          dry_runs: tuple[DryRun, ...]) -> FixDraft | None:
        """The plan of `revision` from the engineer's choices (`migration.planning.scope`): the groups that
        can move with the fixes kept, the steps around their moves, and every other picked group with its
        reason; None when a newer planning started."""
        draft = await self._fixes.get(request.id)
        if draft.revision != revision:
            return None
        choice = choose(assessment.groups, request.groups, skip=draft.skip, dry_runs=dry_runs)
        groups, plan = await plan_with_fixes(
            self._gateway.for_tenant(request.tenant_id), source_subscription_id=request.source_subscription_id,
            target_subscription_id=request.target_subscription_id, groups=choice.groups,
            chosen=choice.fixes, plan_id=request.id)
        # Groups a fix the bot cannot make now held back (plan_with_fixes planned without them).
        held = {m.group for m in plan.manual if m.holds}
        scope = settle(choice, planned=groups, held=held, steps=plan.steps)
        by_name = {g.name.lower(): g for g in assessment.groups}
        picked = [by_name[g.source_group.lower()] for g in request.groups if g.source_group.lower() in by_name]
        planned = replace(draft, steps=plan.steps, manual=plan.manual, offered=tuple(offered_actions(picked)),
                          excluded=scope.left_out, joined=scope.joined, groups=scope.groups, dry_runs=dry_runs,
                          planned=revision)
        return planned if await self._fixes.finish(request.id, planned) else None

    async def as_it_stands(self, request_id: str) -> PlanState:
        """The plan as it now stands: being planned again, planned (at its revision), or the request it
        became (another click may be submitting it right now: it waits a moment for it)."""
        draft = await self._drafts.get(request_id)
        if draft is not None:
            fixes, etag = await self.fix_draft(draft)
            if etag is not None:
                if not fixes.ready:
                    return PlanUpdating(draft.request, fixes)
                return PlanShown(replace(draft.request, groups=fixes.groups), fixes)
        for _ in range(_SUBMITTING_POLLS if request_id else 0):
            stored = await self._workflow.get(request_id)
            if stored is not None:
                return PlanSubmitted(stored)
            await asyncio.sleep(_SUBMITTING_POLL_SECONDS)
        if request_id and await self._drafts.get(request_id) is not None:
            return PlanNotChecked(request_id)
        return PlanGone()

    async def fix_draft(self, draft: Draft) -> tuple[FixDraft, str | None]:
        fixes, etag = await self._fixes.read(draft.request.id)
        if not fixes.dry_runs and draft.dry_runs:  # planned by an earlier version, which kept them on the draft
            fixes = replace(fixes, dry_runs=draft.dry_runs)
        return fixes, etag
