"""The `move` flow: source and target subscriptions, the ready groups, the confirmation to create the
empty target groups, Azure's dry run, and the request for approval.

Until it is submitted, a plan is a draft (`migration.planning.drafts`); submitting hands it to the workflow,
which owns approvals and the move itself. Who may plan moves is checked once, where the routes are built.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference

from bot.access import Caller
from bot.approvals import person_of
from bot.commands import Command
from bot.handler import card_reply
from bot.notifier import Notifier, reference_of
from cards import verbs
from cards._kit import unbroken_id
from cards.messages import error_card
from cards.move import approval_card, create_groups_card, move_plan_card, plan_updating_card
from cards.pickers import group_picker_card, target_picker_card
from cards.progress import Step, work_progress_card
from dialogs.flows import TENANT_QUESTION, ChatFlows, azure_error_card, tenant_not_found_card
from dialogs.inputs import subscription_problem, tenant_problem
from migration.assessment.assess import assess
from migration.assessment.dryrun import planned_target_groups, run_dry_run, top_level_ids
from migration.execution.workflow import GroupInUse, Workflow, WorkflowError, new_request_id
from migration.fixes.choice import offered_actions, pick_with_fixes
from migration.model import (
    ArmError,
    Assessment,
    DryRun,
    GroupMove,
    MoveRequest,
    NotFound,
    Person,
    RequestState,
    TenantAccessDenied,
)
from migration.model.plan import PlanStep
from migration.planning.drafts import Draft, DraftGone, Drafts
from migration.planning.plan import plan_with_fixes
from migration.planning.revisions import FixDraft, FixDrafts, PlanChanged
from migration.reports.checklist import post_move_checklist

log = logging.getLogger(__name__)

_CHANGED = ("The plan changed after that card was shown: this is the plan as it stands now. Check it, then ask "
            "for approval again.")
_SUBMITTING_POLLS = 8  # a click that lost to another one waits this long for the request the other submits
_SUBMITTING_POLL_SECONDS = 0.25

VerbFallback = Callable[[TurnContext, Caller, Mapping[str, Any]], Awaitable[dict[str, Any]]]
VerbHandler = VerbFallback
CommandHandler = Callable[[TurnContext, Caller, Command], Awaitable[None]]


class MoveFlow:
    def __init__(
        self, flows: ChatFlows, *, workflow: Workflow, notifier: Notifier, cancel_request: VerbFallback
    ) -> None:
        self.f = flows
        self.d = flows.d
        self._workflow = workflow
        self._notifier = notifier
        self._cancel_request = cancel_request
        self._drafts = Drafts(flows.d.store)
        self._fixes = FixDrafts(flows.d.store)

    @property
    def commands(self) -> dict[str, Any]:
        return {"move": self._engineers_only_command(self.move_command)}

    @property
    def verbs(self) -> dict[str, Any]:
        guarded = {
            verbs.MOVE_START: self.start_verb,
            verbs.MOVE_SOURCE: self.source_verb,
            verbs.MOVE_TARGET: self.target_verb,
            verbs.MOVE_GROUPS: self.groups_verb,
            verbs.MOVE_GROUPS_PAGE: self.groups_page_verb,
            verbs.REQUEST_CREATE_GROUPS: self.create_groups_verb,
            verbs.REQUEST_SUBMIT: self.submit_verb,
            verbs.REQUEST_FIXES: self.fixes_verb,
            verbs.REQUEST_PLAN: self.plan_verb,
        }
        # Cancelling is checked against the plan's (or request's) own requester, not the engineer list.
        return {**{verb: self._engineers_only(handler) for verb, handler in guarded.items()},
                verbs.REQUEST_CANCEL: self.cancel_verb}

    def _engineers_only(self, handler: VerbHandler) -> VerbHandler:
        """Who may plan moves is checked here, once, before any of the flow's clicks."""

        async def guarded(ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
            return self.f.denied(caller) or await handler(ctx, caller, data)

        return guarded

    def _engineers_only_command(self, handler: CommandHandler) -> CommandHandler:
        async def guarded(ctx: TurnContext, caller: Caller, command: Command) -> None:
            if denied := self.f.denied(caller):
                await self.f.send(ctx, denied)
                return
            await handler(ctx, caller, command)

        return guarded

    # ------------------------------------------------------------------ command

    async def move_command(self, ctx: TurnContext, caller: Caller, command: Command) -> None:
        args = command.args
        if not args:
            await self.f.ask(ctx, "move", "Which customer tenant? " + TENANT_QUESTION)
            return
        if problem := tenant_problem(args[0]):
            await self.f.ask(ctx, "move", problem)
            return
        for value in args[1:3]:
            if problem := subscription_problem(value):
                await ctx.send_activity(problem + f" Type `move {args[0]}` to pick from a list.")
                return
        await ctx.send_activity(Activity(type=ActivityTypes.typing))
        if len(args) == 1:
            await self.f.send(ctx, await self.f.picker_card(ctx, args[0], verb=verbs.MOVE_SOURCE))
            return
        try:
            tenant_id = await self.d.gateway.resolve_tenant(args[0])
        except NotFound:
            await self.f.send(ctx, tenant_not_found_card(args[0]))
            return
        except ArmError as error:
            await self.f.send(ctx, azure_error_card(error))
            return
        if len(args) == 2:
            await self.f.send(ctx, await self._target_picker(tenant_id, args[1].lower()))
            return
        groups = [g for g in ",".join(args[3:]).split(",") if g.strip()] if len(args) > 3 else None
        response = await ctx.send_activity(card_reply(_progress("Preparing the move", "Reading resources")))
        if response is not None and response.id:
            self.d.proactive.spawn(
                self._plan(
                    TurnContext.get_conversation_reference(ctx.activity),
                    response.id,
                    tenant_id,
                    args[1].lower(),
                    args[2].lower(),
                    groups=groups,
                    requester=person_of(caller),
                ),
                name=f"plan {args[1]}",
            )

    async def start_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        tenant_id, source = data.get("tenantId"), data.get("sourceSubscriptionId")
        if not _ok_tenant(tenant_id) or not _ok_subscription(source):
            return _bad_click()
        return await self._target_picker(str(tenant_id), str(source).lower())

    # ------------------------------------------------------------------ pickers

    async def source_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        tenant_id, source = data.get("tenantId"), data.get("subscriptionId")
        if not _ok_tenant(tenant_id):
            return _bad_click()
        if not _ok_subscription(source):
            return error_card("Pick a subscription first.", "Choose one in the list, then click Continue.")
        return await self._target_picker(str(tenant_id), str(source).lower())

    async def _target_picker(self, tenant_id: str, source_id: str) -> dict[str, Any]:
        try:
            subscriptions = await self.d.gateway.for_tenant(tenant_id).subscriptions.list_subscriptions()
        except TenantAccessDenied as exc:
            return await self.f.no_access(tenant_id, exc)
        except ArmError as error:
            return azure_error_card(error)
        source = next((s for s in subscriptions if s.id.lower() == source_id), None)
        if source is None:
            return _subscription_not_found(source_id)
        targets = [(s, self.d.catalog.offer(s.quota_id)) for s in subscriptions]
        return target_picker_card(tenant_id=tenant_id, source=source, targets=targets)

    async def target_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        tenant_id, source, target = (
            data.get("tenantId"),
            data.get("sourceSubscriptionId"),
            data.get("targetSubscriptionId"),
        )
        if not _ok_tenant(tenant_id) or not _ok_subscription(source):
            return _bad_click()
        if not _ok_subscription(target):
            return error_card("Pick a CSP subscription first.", "Choose one in the list, then click Continue.")
        card_id = ctx.activity.reply_to_id
        if card_id:
            self.d.proactive.spawn(
                self._plan(
                    TurnContext.get_conversation_reference(ctx.activity),
                    card_id,
                    str(tenant_id).lower(),
                    str(source).lower(),
                    str(target).lower(),
                    groups=None,
                    requester=person_of(caller),
                ),
                name=f"plan {source}",
            )
        return _progress("Preparing the move", "Reading resources")

    async def _plan(
        self,
        reference: ConversationReference,
        card_id: str,
        tenant_id: str,
        source_id: str,
        target_id: str,
        *,
        groups: Sequence[str] | None,
        requester: Person,
    ) -> None:
        """Assess against the chosen target, then show the ready groups (or, in the one-line form, go
        straight to the confirmation for the groups named)."""

        async def work() -> dict[str, Any]:
            if blocked := await self.f.access.move_blockers_of(tenant_id, source_id, target_id):
                return blocked  # checked before anything is read at length or created
            assessment = await assess(
                self.d.gateway,
                tenant_id=tenant_id,
                source_subscription_id=source_id,
                target_subscription_id=target_id,
                catalog=self.d.catalog,
                now=datetime.now(UTC),
            )
            await self.f.save_assessment(assessment)
            if groups is None:
                return self._group_picker(assessment, page=1)
            return await self._draft_card(assessment, groups, requester=requester)

        await self.f.finish_in_background(
            reference, card_id, work, tenant=tenant_id, subscription_id=source_id,
            what=f"Preparing the move from subscription {source_id}",
            again={"verb": verbs.MOVE_TARGET, "data": {"tenantId": tenant_id, "sourceSubscriptionId": source_id,
                                                       "targetSubscriptionId": target_id}},
        )

    def _group_picker(self, assessment: Assessment, *, page: int) -> dict[str, Any]:
        if assessment.target is None:
            return _bad_click()
        return group_picker_card(assessment, target=assessment.target, page=page)

    async def groups_page_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        assessment = await self._assessment(data)
        if assessment is None:
            return _bad_click()
        page = data.get("page")
        return self._group_picker(assessment, page=page if isinstance(page, int) else 1)

    async def groups_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        assessment = await self._assessment(data)
        if assessment is None:
            return _bad_click()
        chosen = data.get("groups")
        names = [g for g in chosen.split(",") if g.strip()] if isinstance(chosen, str) else []
        if not names:
            return error_card("Pick at least one resource group.", "Tick the groups to move, then click Continue.")
        return await self._draft_card(assessment, names, requester=person_of(caller))

    async def _assessment(self, data: Mapping[str, Any]) -> Assessment | None:
        source, target = data.get("sourceSubscriptionId"), data.get("targetSubscriptionId")
        if not _ok_tenant(data.get("tenantId")) or not _ok_subscription(source) or not _ok_subscription(target):
            return None
        assessment = await self.f.load_assessment(
            {"tenantId": data.get("tenantId"), "subscriptionId": str(source).lower()}
        )
        if assessment is None or assessment.target is None or assessment.target.id.lower() != str(target).lower():
            return None
        return assessment

    # ------------------------------------------------------------------ the draft

    async def _draft_card(self, assessment: Assessment, names: Sequence[str], *, requester: Person) -> dict[str, Any]:
        by_name = {g.name.lower(): g for g in assessment.groups}
        picked = [by_name.get(n.strip().lower()) for n in names]
        unknown = [n.strip() for n, g in zip(names, picked, strict=True) if g is None]
        if unknown:
            return error_card(
                f"{', '.join(unknown[:5])} is not a resource group of {assessment.source.display_name}.",
                "Pick groups from the list.",
            )
        # A group whose only problems are fixes the bot makes is movable; the groups those fixes move
        # resources into join the plan.
        groups, _, not_ready = pick_with_fixes(assessment.groups, [g for g in picked if g is not None])
        if not_ready:
            return error_card(
                f"{', '.join(not_ready[:5])} is not ready to move. Fix its blockers first.",
                "Show the blockers in the assessment, fix them, and assess again.",
                title="Group not ready",
            )
        if assessment.target is None:
            return _bad_click()
        picked = list(groups)
        chosen = [g.name for g in picked if g is not None]
        in_use = await self._workflow.groups_in_use(assessment.source.id, chosen)
        if in_use:
            return _groups_in_use(in_use)
        plans = {p.name.lower(): p for p in planned_target_groups(assessment, groups=chosen)}
        request = MoveRequest(
            id=new_request_id(),
            tenant_id=assessment.tenant_id,
            source_subscription_id=assessment.source.id,
            target_subscription_id=assessment.target.id,
            requested_by=requester,
            requested_at=datetime.now(UTC),
            state=RequestState.DRAFT,
            groups=tuple(
                GroupMove(
                    source_group=g.name,
                    target_group_id=plans[g.name.lower()].id,
                    location=plans[g.name.lower()].location,
                    resource_ids=tuple(top_level_ids(g)),
                )
                for g in picked
                if g is not None
            ),
            source_name=assessment.source.display_name,
            target_name=assessment.target.display_name,
        )
        await self._drafts.create(request)
        try:
            existing = {
                g.name.lower()
                for g in await self.d.gateway.for_tenant(assessment.tenant_id).groups.list_groups(assessment.target.id)
            }
        except TenantAccessDenied as exc:
            return await self.f.no_access(assessment.tenant_id, exc)
        except ArmError as error:
            return azure_error_card(error)
        new = [g for g in request.groups if g.source_group.lower() not in existing]
        return create_groups_card(request, new_groups=new)

    async def _draft(self, data: Mapping[str, Any]) -> Draft | None:
        request_id = data.get("requestId")
        return await self._drafts.get(request_id) if isinstance(request_id, str) else None

    async def create_groups_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create the target groups and plan (the first time, or again: Run again, Plan again)."""
        draft = await self._draft(data)
        if draft is None:
            return await self._submitted_or_gone(str(data.get("requestId") or ""))
        request = draft.request
        try:
            started = await self._fixes.begin(request.id)  # a new revision: any planning still running is stale
        except PlanChanged:
            return await self._plan_as_it_stands(request.id)
        card_id = ctx.activity.reply_to_id
        if card_id:
            self.d.proactive.spawn(
                self._dry_run(TurnContext.get_conversation_reference(ctx.activity), card_id, request,
                              started.revision),
                name=f"dry run {request.id}",
            )
        return _progress(f"Move plan {request.id}", "Creating target groups and running Azure's dry run")

    async def _dry_run(self, reference: ConversationReference, card_id: str, request: MoveRequest,
                       revision: int) -> None:
        async def work() -> dict[str, Any]:
            assessment = await self.f.load_assessment(
                {"tenantId": request.tenant_id, "subscriptionId": request.source_subscription_id}
            )
            if assessment is None:
                return _draft_gone()
            names = {g.source_group for g in request.groups}
            checked = await run_dry_run(self.d.gateway.for_tenant(request.tenant_id), assessment, groups=sorted(names),
                                        create_target_groups=True)
            await self.f.save_assessment(checked)
            dry_runs = tuple(g.dry_run for g in checked.groups if g.dry_run is not None and g.name in names)
            # The draft keeps the groups as picked (the engineer may tick a fix again); the card and the
            # submission use the groups as they will stand once the in-subscription fixes ran.
            fixes = await self._plan_fixes(assessment, request, revision, dry_runs)
            if fixes is None:  # planned again, submitted or cancelled meanwhile: show what stands now
                return await self._plan_as_it_stands(request.id)
            return self._plan_card(replace(request, groups=fixes.groups), fixes)

        await self.f.finish_in_background(
            reference, card_id, work, tenant=request.tenant_id, subscription_id=request.source_subscription_id,
            what=f"Azure's dry run for move plan {request.id}",
            again={"verb": verbs.REQUEST_CREATE_GROUPS, "data": {"requestId": request.id}},
        )

    async def _plan_fixes(self, assessment: Assessment, request: MoveRequest, revision: int,
                          dry_runs: tuple[DryRun, ...]) -> FixDraft | None:
        """The fixes before the moves and the follow-through after them, from what Azure says now, with the
        fixes the engineer left out left out (and the groups that then cannot move dropped), stored as the
        plan of `revision`; None when a newer planning started (or the plan was submitted or cancelled)."""
        draft = await self._fixes.get(request.id)
        if draft.revision != revision:
            return None
        by_name = {g.name.lower(): g for g in assessment.groups}
        picked = [by_name[g.source_group.lower()] for g in request.groups if g.source_group.lower() in by_name]
        offered = offered_actions(picked)
        _, chosen, not_ready = pick_with_fixes(assessment.groups, picked, skip=draft.skip)
        keep = tuple(g for g in request.groups if g.source_group not in not_ready)
        groups, plan = await plan_with_fixes(
            self.d.gateway.for_tenant(request.tenant_id), source_subscription_id=request.source_subscription_id,
            target_subscription_id=request.target_subscription_id, groups=keep,
            chosen=[c for c in chosen if c.group not in not_ready], plan_id=request.id)
        # Groups a fix the bot cannot make now held back (plan_with_fixes planned without them).
        held = tuple(sorted({m.group for m in plan.manual if m.holds} & {g.source_group for g in keep}))
        planned = replace(draft, steps=plan.steps, manual=plan.manual, offered=tuple(offered),
                          left_out=tuple(not_ready), held=held, groups=groups, dry_runs=dry_runs, planned=revision)
        return planned if await self._fixes.finish(request.id, planned) else None

    @staticmethod
    def _plan_card(request: MoveRequest, fixes: FixDraft, *, notice: str = "") -> dict[str, Any]:
        refused = {d.resource_group.lower() for d in fixes.dry_runs if not d.valid}
        return move_plan_card(request, dry_runs=fixes.dry_runs, steps=fixes.steps, manual=fixes.manual,
                              offered=fixes.offered, kept=[a for a in fixes.offered if a not in fixes.skip],
                              left_out=fixes.left_out, held=fixes.held, revision=fixes.revision, notice=notice,
                              after_fixes=[g.source_group for g in _going(fixes, request)
                                           if g.source_group.lower() in refused])

    async def _plan_as_it_stands(self, request_id: str, *, notice: str = "") -> dict[str, Any]:
        """The plan's card as the plan now stands: being planned again, the plan (with its revision), or
        the request it became."""
        draft = await self._drafts.get(request_id)
        if draft is None:
            return await self._submitted_or_gone(request_id)
        fixes, etag = await self._fix_draft(draft)
        if etag is None:
            return await self._submitted_or_gone(request_id)
        if not fixes.ready:
            return plan_updating_card(draft.request, kept=[a for a in fixes.offered if a not in fixes.skip],
                                      offered=fixes.offered)
        return self._plan_card(replace(draft.request, groups=fixes.groups), fixes, notice=notice)

    async def _fix_draft(self, draft: Draft) -> tuple[FixDraft, str | None]:
        fixes, etag = await self._fixes.read(draft.request.id)
        if not fixes.dry_runs and draft.dry_runs:  # planned by an earlier version, which kept them on the draft
            fixes = replace(fixes, dry_runs=draft.dry_runs)
        return fixes, etag

    async def _submitted_or_gone(self, request_id: str) -> dict[str, Any]:
        """The request a plan became (another click may be submitting it right now: wait a moment for it),
        or why there is none."""
        for _ in range(_SUBMITTING_POLLS if request_id else 0):
            stored = await self._workflow.get(request_id)
            if stored is not None:
                return approval_card(stored.request, view="requester", approver_mris=[], checklist=stored.checklist,
                                     dry_runs=stored.dry_runs, steps=stored.fix_steps, manual=stored.manual_fixes)
            await asyncio.sleep(_SUBMITTING_POLL_SECONDS)
        if request_id and await self._drafts.get(request_id) is not None:
            return error_card(f"Move plan {request_id} has not been through Azure's dry run yet.",
                              "Click Run the dry run, then check the plan and ask for approval.",
                              title="Plan not checked yet", retry_verb=verbs.REQUEST_CREATE_GROUPS,
                              retry_data={"requestId": request_id}, retry_title="Run the dry run")
        return _draft_gone()

    async def plan_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        """Show the plan: the new one once planning again has ended, else say it is being updated."""
        request_id = data.get("requestId")
        if not isinstance(request_id, str) or not request_id.strip():
            return _bad_click()
        return await self._plan_as_it_stands(request_id.strip().upper())

    async def fixes_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        """The engineer changed which fixes the bot makes on the plan they see: plan again (Azure's dry run
        included). A click on a plan that changed since, or is being planned again, changes nothing."""
        draft = await self._draft(data)
        if draft is None:
            return await self._submitted_or_gone(str(data.get("requestId") or ""))
        request = draft.request
        kept_raw = data.get("fixes")
        kept = {a for a in kept_raw.split(",") if a.strip()} if isinstance(kept_raw, str) else set()
        current = await self._fixes.get(request.id)
        unknown = kept - set(current.offered)
        if unknown:
            return error_card("That choice of fixes is not one this plan offers.", "Type move to plan again.")
        seen = _revision(data)
        try:
            if seen is None:
                raise PlanChanged(request.id)
            started = await self._fixes.begin(request.id, seen=seen,
                                              skip=tuple(a for a in current.offered if a not in kept))
        except PlanChanged:
            return await self._plan_as_it_stands(request.id, notice=_CHANGED)
        card_id = ctx.activity.reply_to_id
        if card_id:
            self.d.proactive.spawn(
                self._dry_run(TurnContext.get_conversation_reference(ctx.activity), card_id, request,
                              started.revision),
                name=f"replan {request.id}",
            )
        return _progress(f"Move plan {request.id}", "Planning again with the fixes you kept")

    async def submit_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        """Ask for approval of exactly the plan on the card clicked (its revision), or change nothing."""
        draft = await self._draft(data)
        if draft is None:
            # Submitted already (a second click or a retried invoke): show where the request stands.
            return await self._submitted_or_gone(str(data.get("requestId") or ""))
        request = draft.request
        fixes, etag = await self._fix_draft(draft)
        seen = _revision(data)
        if etag is None or not fixes.ready or seen != fixes.revision:
            return await self._plan_as_it_stands(request.id, notice=_CHANGED)
        dry_runs = fixes.dry_runs
        groups = _going(fixes, request)
        if not groups:
            return error_card(
                "Azure's dry run accepted none of the groups, so there is nothing to approve.",
                "Fix what the dry run reported, then plan the move again.",
                title="Nothing to move",
            )
        try:
            # Claim this revision of the plan: of two clicks, or a click and a re-plan, only one wins.
            await self._fixes.take(request.id, fixes.revision)
        except PlanChanged:
            return await self._plan_as_it_stands(request.id, notice=_CHANGED)
        try:
            await self._drafts.take(draft)
        except DraftGone:  # cancelled meanwhile
            return await self._submitted_or_gone(request.id)
        try:
            stored = await self._workflow.submit(
                customer_tenant_id=request.tenant_id,
                source_subscription_id=request.source_subscription_id,
                target_subscription_id=request.target_subscription_id,
                groups=groups,
                requester=replace(request.requested_by, mri=request.requested_by.mri or person_of(caller).mri),
                requester_tenant_id=caller.tenant_id,
                dry_runs=dry_runs,
                checklist=post_move_checklist(),
                source_name=request.source_name,
                target_name=request.target_name,
                request_id=request.id,  # the id the engineer saw on the plan
                fix_steps=_steps_for(fixes.steps, groups),
                manual_fixes=fixes.manual,
            )
        except GroupInUse as error:
            return _groups_in_use({error.group: error.holder})
        except WorkflowError as error:
            return error_card(str(error), "Plan the move again.")
        stored = await self._notifier.announce(stored.id, reference_of(ctx))
        return approval_card(
            stored.request, view="requester", approver_mris=[], checklist=stored.checklist, dry_runs=stored.dry_runs,
            steps=stored.fix_steps, manual=stored.manual_fixes,
        )

    async def cancel_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        draft = await self._draft(data)
        if draft is None:
            return await self._cancel_request(ctx, caller, data)
        request = draft.request
        if request.requested_by.id != person_of(caller).id:
            return error_card("Only the engineer who planned this move can cancel it.", "Ask them to cancel it.")
        await self._drafts.discard(request.id)
        await self._fixes.discard(request.id)
        return error_card(
            f"Move plan {request.id} was cancelled. Nothing was moved.",
            "Type move to plan another one.",
            title="Cancelled",
        )


def _going(fixes: FixDraft, request: MoveRequest) -> list[GroupMove]:
    """The groups "Ask for approval" requests: those Azure's dry run accepted, and those it refuses until
    the fixes before the moves are made (it validates each again right before its move)."""
    passed = {d.resource_group.lower() for d in fixes.dry_runs if d.valid}
    passed |= {s.group.lower() for s in fixes.steps if s.phase == "before"}
    passed |= {s.arg("source_group").lower() for s in fixes.steps if s.phase == "before"}
    planned = fixes.groups or request.groups
    if any(s.phase == "before" and not s.group for s in fixes.steps):
        passed |= {g.source_group.lower() for g in planned}
    return [g for g in planned if g.source_group.lower() in passed]


def _revision(data: Mapping[str, Any]) -> int | None:
    value = data.get("revision")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _steps_for(steps: Sequence[PlanStep], groups: Sequence[GroupMove]) -> tuple[PlanStep, ...]:
    """The steps of the groups that go to approval (a group Azure refused takes its steps with it)."""
    names = {g.source_group.lower() for g in groups}
    return tuple(s for s in steps if not s.group or s.group.lower() in names
                 or s.arg("source_group").lower() in names)


def _ok_tenant(value: Any) -> bool:
    return isinstance(value, str) and tenant_problem(value) is None


def _ok_subscription(value: Any) -> bool:
    return isinstance(value, str) and subscription_problem(value) is None


def _progress(title: str, step: str) -> dict[str, Any]:
    return work_progress_card(title, [Step(step, "running")], started_at=datetime.now(UTC))


def _bad_click() -> dict[str, Any]:
    return error_card("That card is out of date or incomplete.", "Type move to start again.")


def _draft_gone() -> dict[str, Any]:
    return error_card(
        "That move plan no longer exists. It was submitted or cancelled.",
        "Type history to see your requests, or move to plan another one.",
        title="Plan not found",
    )


def _groups_in_use(in_use: Mapping[str, MoveRequest]) -> dict[str, Any]:
    lines = [f"{group} is already in move request {unbroken_id(holder.id)} "
             f"({holder.state.value.replace('_', ' ')}, asked by {holder.requested_by.name})."
             for group, holder in sorted(in_use.items())]
    holders = sorted({unbroken_id(h.id) for h in in_use.values()})
    return error_card(
        " ".join(lines) + " A group can be in one open request at a time.",
        f"Wait until {', '.join(holders)} has finished (type status {holders[0]}), or cancel it, then plan this "
        "move again; or pick other groups.",
        title="Group already in a request",
    )


def _subscription_not_found(subscription_id: str) -> dict[str, Any]:
    return error_card(
        f"Subscription {subscription_id} is not in that tenant, or we cannot see it.",
        "Check the id, or type move and pick the subscription from the list.",
        title="Subscription not found",
    )
