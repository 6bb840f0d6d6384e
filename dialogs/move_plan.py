"""A move plan from its draft to the request for approval: create the target groups and run Azure's dry run
(in the background), change which fixes the bot makes (planned again), show the plan as it stands, and ask
for approval of exactly the revision on the card.

The planning and the submission, with their compare-and-swaps, are the application's
(`migration.application.move_plans`, `move_submission`); this module renders what they answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.access import person_of
from bot.notifier import Notifier
from bot.port import Card, ConversationReference, Turn
from cards import verbs
from cards.approval import approval_card
from cards.messages import error_card
from cards.plan import move_plan_card, plan_updating_card
from dialogs.move import groups_in_use_card
from dialogs.replies import bad_click_card, progress, revision_of
from dialogs.slow_work import SlowWork
from migration.application.move_plans import (
    MovePlans,
    PlanGone,
    PlanNotChecked,
    PlanShown,
    PlanState,
    PlanSubmitted,
    PlanUpdating,
    going,
)
from migration.application.move_submission import MoveSubmission, NotSubmitted, Refused
from migration.model import MoveRequest
from migration.model.digest import plan_digest
from migration.model.records import StoredRequest
from migration.planning.revisions import FixDraft, PlanChanged

CHANGED = ("The plan changed after that card was shown: this is the plan as it stands now. Check it, then ask "
           "for approval again.")


class MovePlanFlow:
    def __init__(self, *, plans: MovePlans, submission: MoveSubmission, notifier: Notifier, slow: SlowWork) -> None:
        self._plans = plans
        self._submission = submission
        self._notifier = notifier
        self._slow = slow

    @property
    def plans(self) -> MovePlans:
        return self._plans

    async def create_groups_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        """Create the target groups and plan (the first time, or again: Run again, Plan again)."""
        draft = await self._plans.find_draft(data.get("requestId"))
        if draft is None:
            return await self._as_it_stands(str(data.get("requestId") or ""))
        try:
            # A new revision: a planning still running is stale.
            started = await self._plans.begin(draft.request.id, by=person_of(turn.caller))
        except PlanChanged:
            return await self._as_it_stands(draft.request.id)
        self._plan_later(turn, draft.request, started.revision, name=f"dry run {draft.request.id}")
        return progress(f"Move plan {draft.request.id}", "Creating target groups and running Azure's dry run")

    async def fixes_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        """The engineer changed which fixes the bot makes on the plan they see: plan again (Azure's dry run
        included). A click on a plan that changed since, or is being planned again, changes nothing."""
        draft = await self._plans.find_draft(data.get("requestId"))
        if draft is None:
            return await self._as_it_stands(str(data.get("requestId") or ""))
        request = draft.request
        kept_raw = data.get("fixes")
        kept = {a for a in kept_raw.split(",") if a.strip()} if isinstance(kept_raw, str) else set()
        if kept - set(await self._plans.offered(request.id)):
            return error_card("That choice of fixes is not one this plan offers.", "Type move to plan again.")
        seen = revision_of(data)
        try:
            if seen is None:
                raise PlanChanged(request.id)
            started = await self._plans.begin(request.id, by=person_of(turn.caller), seen=seen, keep=kept)
        except PlanChanged:
            return await self._as_it_stands(request.id, notice=CHANGED)
        self._plan_later(turn, request, started.revision, name=f"replan {request.id}")
        return progress(f"Move plan {request.id}", "Planning again with the fixes you kept")

    def _plan_later(self, turn: Turn, request: MoveRequest, revision: int, *, name: str) -> None:
        card_id = turn.click.card_id if turn.click else None
        if card_id:
            self._dry_run(turn.reference, card_id, request, revision, name=name)

    def _dry_run(self, reference: ConversationReference, card_id: str, request: MoveRequest, revision: int, *,
                 name: str) -> None:
        async def work() -> Card:
            return await self.render(await self._plans.plan(request, revision))

        self._slow.start(reference, card_id, work, name=name, tenant=request.tenant_id,
                         subscription_id=request.source_subscription_id,
                         what=f"Azure's dry run for move plan {request.id}",
                         again={"verb": verbs.REQUEST_CREATE_GROUPS, "data": {"requestId": request.id}})

    async def plan_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        """Show the plan: the new one once planning again has ended, else say it is being updated."""
        request_id = data.get("requestId")
        if not isinstance(request_id, str) or not request_id.strip():
            return bad_click_card()
        return await self._as_it_stands(request_id.strip().upper())

    async def submit_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        """Ask for approval of exactly the plan on the card clicked (its revision), or change nothing."""
        request_id = str(data.get("requestId") or "")
        submitted = await self._submission.submit(data.get("requestId"), revision=revision_of(data),
                                                  by=person_of(turn.caller), tenant_id=turn.caller.tenant_id)
        if submitted is NotSubmitted.GONE:
            # Submitted already (a second click or a retried invoke): show where the request stands.
            return await self._as_it_stands(request_id)
        if submitted is NotSubmitted.CHANGED:
            return await self._as_it_stands(request_id.strip().upper(), notice=CHANGED)
        if submitted is NotSubmitted.NOT_THE_PLANNER:
            return error_card(not_yours(), "Ask the engineer who planned it to ask for approval.")
        if submitted is NotSubmitted.NOTHING_TO_MOVE:
            return error_card("Azure's dry run accepted none of the groups, so there is nothing to approve.",
                              "Fix what the dry run reported, then plan the move again.", title="Nothing to move")
        if isinstance(submitted, Refused):
            if submitted.in_use:
                return groups_in_use_card(submitted.in_use)
            return error_card(submitted.reason, "Plan the move again.")
        assert isinstance(submitted, StoredRequest)
        return _requester_card(await self._notifier.announce(submitted.id, turn.reference))

    # ------------------------------------------------------------------ rendering

    async def _as_it_stands(self, request_id: str, *, notice: str = "") -> Card:
        return await self.render(await self._plans.as_it_stands(request_id), notice=notice)

    @staticmethod
    async def render(state: PlanState, *, notice: str = "") -> Card:
        """The card of a plan as it stands: the plan (with its revision), being updated, or the request
        it became."""
        if isinstance(state, PlanShown):
            return plan_card(state.request, state.fixes, notice=notice)
        if isinstance(state, PlanUpdating):
            return plan_updating_card(state.request, kept=[a for a in state.fixes.offered if a not in
                                                           state.fixes.skip], offered=state.fixes.offered)
        if isinstance(state, PlanSubmitted):
            return _requester_card(state.stored)
        if isinstance(state, PlanNotChecked):
            return error_card(f"Move plan {state.request_id} has not been through Azure's dry run yet.",
                              "Click Run the dry run, then check the plan and ask for approval.",
                              title="Plan not checked yet", retry_verb=verbs.REQUEST_CREATE_GROUPS,
                              retry_data={"requestId": state.request_id}, retry_title="Run the dry run")
        assert isinstance(state, PlanGone)
        return draft_gone_card()


def plan_card(request: MoveRequest, fixes: FixDraft, *, notice: str = "") -> Card:
    refused = {d.resource_group.lower() for d in fixes.dry_runs if not d.valid}
    return move_plan_card(request, dry_runs=fixes.dry_runs, steps=fixes.steps, manual=fixes.manual,
                          offered=fixes.offered, kept=[a for a in fixes.offered if a not in fixes.skip],
                          left_out=fixes.left_out, held=fixes.held, revision=fixes.revision, notice=notice,
                          after_fixes=[g.source_group for g in going(fixes, request)
                                       if g.source_group.lower() in refused])


def _requester_card(stored: StoredRequest) -> Card:
    return approval_card(stored.request, view="requester", approver_mris=[], checklist=stored.checklist,
                         dry_runs=stored.dry_runs, steps=stored.fix_steps, manual=stored.manual_fixes,
                         plan_hash=plan_digest(stored))


def not_yours(planner: str = "another engineer") -> str:
    return (f"This move plan is {planner}'s: only the engineer who planned a move changes, shows or submits it, "
            "so that its approval is a second person's. Nothing was changed.")


def draft_gone_card() -> Card:
    return error_card(
        "That move plan no longer exists. It was submitted or cancelled.",
        "Type history to see your requests, or move to plan another one.",
        title="Plan not found",
    )
