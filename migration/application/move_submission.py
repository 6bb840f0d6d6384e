"""Submitting a move plan for approval, or cancelling it.

"Ask for approval" submits exactly the plan on the card clicked: three compare-and-swaps, in order, each of
which only one of two racing clicks (or a click and a re-plan) wins:
1. the fix draft is taken at the card's revision, fully planned (`FixDrafts.take`);
2. the draft is taken as read (`Drafts.take`): a cancel meanwhile wins;
3. the request is created under the plan's id, claiming its source groups (`Workflow.submit`): a group
   another open request holds refuses it.
A click that loses any of them changes nothing; the edge then shows the plan as it stands.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from migration.application.move_plans import MovePlans
from migration.execution.workflow import GroupInUse, Workflow, WorkflowError
from migration.model import GroupMove, MoveRequest, Person
from migration.model.plan import PlanStep
from migration.model.records import StoredRequest
from migration.planning.drafts import DraftGone, Drafts
from migration.planning.revisions import FixDrafts, PlanChanged
from migration.reports.checklist import post_move_checklist


class NotSubmitted(enum.Enum):
    GONE = "gone"  # no such draft: submitted already (a second click) or cancelled
    CHANGED = "changed"  # the card's revision is not the plan as it stands, or it is being planned again
    NOTHING_TO_MOVE = "nothing_to_move"  # the plan moves no group (each picked one is left out, with its reason)
    NOT_THE_PLANNER = "not_the_planner"  # the draft is another engineer's


@dataclass(frozen=True, slots=True)
class Refused:
    """The workflow would not create the request."""

    reason: str
    in_use: Mapping[str, MoveRequest] | None = None  # group -> the open request holding it


class DraftCancel(enum.Enum):
    CANCELLED = "cancelled"
    NO_DRAFT = "no_draft"  # no draft under that id (it may be a request)
    NOT_THE_PLANNER = "not_the_planner"


class MoveSubmission:
    def __init__(self, *, plans: MovePlans, workflow: Workflow, drafts: Drafts, fix_drafts: FixDrafts) -> None:
        self._plans = plans
        self._workflow = workflow
        self._drafts = drafts
        self._fixes = fix_drafts

    async def submit(self, request_id: object, *, revision: int | None, by: Person,
                     tenant_id: str | None) -> StoredRequest | NotSubmitted | Refused:
        """The plan at `revision` (the card's) becomes a request waiting for approval, asked for by `by` (the
        person who clicked, who must be the draft's planner)."""
        draft = await self._plans.find_draft(request_id)
        if draft is None:
            return NotSubmitted.GONE
        request = draft.request
        if request.requested_by.id != by.id:
            return NotSubmitted.NOT_THE_PLANNER
        fixes, etag = await self._plans.fix_draft(draft)
        if etag is None or not fixes.ready or revision != fixes.revision:
            return NotSubmitted.CHANGED
        groups = fixes.groups  # what the plan moves (migration.planning.scope), Azure validates each again first
        if not groups:
            return NotSubmitted.NOTHING_TO_MOVE
        try:
            await self._fixes.take(request.id, fixes.revision)
        except PlanChanged:
            return NotSubmitted.CHANGED
        try:
            await self._drafts.take(draft)
        except DraftGone:  # cancelled meanwhile
            return NotSubmitted.GONE
        try:
            return await self._workflow.submit(
                customer_tenant_id=request.tenant_id,
                source_subscription_id=request.source_subscription_id,
                target_subscription_id=request.target_subscription_id,
                groups=groups,
                requester=replace(by, mri=by.mri or request.requested_by.mri),
                requester_tenant_id=tenant_id,
                authors=_authors(request.requested_by.id, *fixes.edited_by, by.id),
                revision=fixes.revision,
                dry_runs=fixes.dry_runs,
                checklist=post_move_checklist(),
                source_name=request.source_name,
                target_name=request.target_name,
                request_id=request.id,  # the id the engineer saw on the plan
                fix_steps=steps_for(fixes.steps, groups, joined=[j.group for j in fixes.joined]),
                manual_fixes=fixes.manual,
            )
        except GroupInUse as error:
            return Refused(str(error), in_use={error.group: error.holder})
        except WorkflowError as error:
            return Refused(str(error))

    async def cancel_draft(self, request_id: object, *, by: Person) -> DraftCancel:
        """Only its planner cancels a draft; whatever planning was running for it stores nothing after."""
        draft = await self._plans.find_draft(request_id)
        if draft is None:
            return DraftCancel.NO_DRAFT
        if draft.request.requested_by.id != by.id:
            return DraftCancel.NOT_THE_PLANNER
        await self._drafts.discard(draft.request.id)
        await self._fixes.discard(draft.request.id)
        return DraftCancel.CANCELLED


def _authors(*ids: str) -> tuple[str, ...]:
    """Who made, changed or submitted the plan (each once, in order): none of them may approve it."""
    return tuple(dict.fromkeys(ids))


def steps_for(steps: Sequence[PlanStep], groups: Sequence[GroupMove], *,
              joined: Sequence[str] = ()) -> tuple[PlanStep, ...]:
    """The steps of the groups that go to approval (a group Azure refused takes its steps with it). A group the
    fixes empty into one of them (`joined`) keeps its steps: they run before its resources move with that one
    (a peering of a VNet brought into another group must still be removed first)."""
    names = {g.source_group.lower() for g in groups} | {name.lower() for name in joined}
    return tuple(s for s in steps if not s.group or s.group.lower() in names
                 or s.arg("source_group").lower() in names)
