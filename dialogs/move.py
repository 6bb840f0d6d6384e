"""The `move` flow: source and target subscriptions, the ready groups, the confirmation to create the
empty target groups, Azure's dry run, and the request for approval.

Until it is submitted, a plan is a draft (`migration.drafts`); submitting hands it to the workflow,
which owns approvals and the move itself. Who may plan moves is checked once, where the routes are built.
"""

from __future__ import annotations

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
from cards.move import approval_card, create_groups_card, move_plan_card
from cards.pickers import group_picker_card, target_picker_card
from cards.progress import Step, work_progress_card
from dialogs.flows import TENANT_QUESTION, ChatFlows, azure_error_card, tenant_not_found_card
from dialogs.inputs import subscription_problem, tenant_problem
from migration.assessment import assess
from migration.checklist import post_move_checklist
from migration.drafts import Draft, DraftGone, Drafts
from migration.dryrun import planned_target_groups, run_dry_run, top_level_ids
from migration.fixchoice import offered_actions, pick_with_fixes
from migration.fixdrafts import FixDraft, FixDrafts
from migration.fixsteps import plan_with_fixes
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
from migration.plansteps import PlanStep
from migration.workflow import GroupInUse, Workflow, WorkflowError, new_request_id

log = logging.getLogger(__name__)

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
            subscriptions = await self.d.gateway.list_subscriptions(tenant_id=tenant_id)
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
                for g in await self.d.gateway.list_resource_groups(assessment.target.id, tenant_id=assessment.tenant_id)
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
        draft = await self._draft(data)
        if draft is None:
            return _draft_gone()
        request = draft.request
        card_id = ctx.activity.reply_to_id
        if card_id:
            self.d.proactive.spawn(
                self._dry_run(TurnContext.get_conversation_reference(ctx.activity), card_id, request),
                name=f"dry run {request.id}",
            )
        return _progress(f"Move plan {request.id}", "Creating target groups and running Azure's dry run")

    async def _dry_run(self, reference: ConversationReference, card_id: str, request: MoveRequest) -> None:
        async def work() -> dict[str, Any]:
            assessment = await self.f.load_assessment(
                {"tenantId": request.tenant_id, "subscriptionId": request.source_subscription_id}
            )
            if assessment is None:
                return _draft_gone()
            names = {g.source_group for g in request.groups}
            checked = await run_dry_run(
                self.d.gateway, assessment, groups=sorted(names), tenant_id=request.tenant_id, create_target_groups=True
            )
            await self.f.save_assessment(checked)
            dry_runs = tuple(g.dry_run for g in checked.groups if g.dry_run is not None and g.name in names)
            # The draft keeps the groups as picked (the engineer may tick a fix again); the card and the
            # submission use the groups as they will stand once the in-subscription fixes ran.
            fixes = await self._plan_fixes(assessment, request)
            try:
                await self._drafts.record_dry_run(request, dry_runs)
            except DraftGone:  # cancelled (or submitted) while Azure was validating
                return _draft_gone()
            return self._plan_card(replace(request, groups=fixes.groups), dry_runs, fixes)

        await self.f.finish_in_background(
            reference, card_id, work, tenant=request.tenant_id, subscription_id=request.source_subscription_id,
            what=f"Azure's dry run for move plan {request.id}",
            again={"verb": verbs.REQUEST_CREATE_GROUPS, "data": {"requestId": request.id}},
        )

    async def _plan_fixes(self, assessment: Assessment, request: MoveRequest) -> FixDraft:
        """The fixes before the moves and the follow-through after them, from what Azure says now, with the
        fixes the engineer left out left out (and the groups that then cannot move dropped)."""
        draft = await self._fixes.get(request.id)
        by_name = {g.name.lower(): g for g in assessment.groups}
        picked = [by_name[g.source_group.lower()] for g in request.groups if g.source_group.lower() in by_name]
        offered = offered_actions(picked)
        _, chosen, not_ready = pick_with_fixes(assessment.groups, picked, skip=draft.skip)
        keep = tuple(g for g in request.groups if g.source_group not in not_ready)
        groups, plan = await plan_with_fixes(
            self.d.gateway, tenant_id=request.tenant_id, source_subscription_id=request.source_subscription_id,
            target_subscription_id=request.target_subscription_id, groups=keep,
            chosen=[c for c in chosen if c.group not in not_ready], plan_id=request.id)
        draft = FixDraft(skip=draft.skip, steps=plan.steps, manual=plan.manual, offered=tuple(offered),
                         left_out=tuple(not_ready), groups=groups)
        await self._fixes.put(request.id, draft)
        return draft

    @staticmethod
    def _plan_card(request: MoveRequest, dry_runs: Sequence[DryRun], fixes: FixDraft) -> dict[str, Any]:
        return move_plan_card(request, dry_runs=dry_runs, steps=fixes.steps, manual=fixes.manual,
                              offered=fixes.offered, kept=[a for a in fixes.offered if a not in fixes.skip],
                              left_out=fixes.left_out)

    async def fixes_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        """The engineer changed which fixes the bot makes: plan again (Azure's dry run included)."""
        draft = await self._draft(data)
        if draft is None:
            return _draft_gone()
        request = draft.request
        kept_raw = data.get("fixes")
        kept = {a for a in kept_raw.split(",") if a.strip()} if isinstance(kept_raw, str) else set()
        current = await self._fixes.get(request.id)
        unknown = kept - set(current.offered)
        if unknown:
            return error_card("That choice of fixes is not one this plan offers.", "Type move to plan again.")
        await self._fixes.put(request.id, replace(current, skip=tuple(a for a in current.offered if a not in kept)))
        card_id = ctx.activity.reply_to_id
        if card_id:
            self.d.proactive.spawn(
                self._dry_run(TurnContext.get_conversation_reference(ctx.activity), card_id, request),
                name=f"replan {request.id}",
            )
        return _progress(f"Move plan {request.id}", "Planning again with the fixes you kept")

    async def submit_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        draft = await self._draft(data)
        if draft is None:
            # Submitted already (a second click or a retried invoke): show where the request stands.
            stored = await self._workflow.get(str(data.get("requestId") or ""))
            if stored is not None:
                return approval_card(
                    stored.request,
                    view="requester",
                    approver_mris=[],
                    checklist=stored.checklist,
                    dry_runs=stored.dry_runs,
                )
            return _draft_gone()
        request, dry_runs = draft.request, draft.dry_runs
        fixes = await self._fixes.get(request.id)
        passed = {d.resource_group.lower() for d in dry_runs if d.valid}
        # Azure refuses a group until the fixes before its move are made; it validates again right before.
        passed |= {s.group.lower() for s in fixes.steps if s.phase == "before"}
        passed |= {s.arg("source_group").lower() for s in fixes.steps if s.phase == "before"}
        planned = fixes.groups or request.groups
        if any(s.phase == "before" and not s.group for s in fixes.steps):
            passed |= {g.source_group.lower() for g in planned}
        groups = [g for g in planned if g.source_group.lower() in passed]
        if not groups:
            return error_card(
                "Azure's dry run accepted none of the groups, so there is nothing to approve.",
                "Fix what the dry run reported, then plan the move again.",
                title="Nothing to move",
            )
        try:
            # Claim the draft first: of two clicks, only the one that deletes it submits.
            await self._drafts.take(draft)
        except DraftGone:  # another click won
            stored = await self._workflow.get(request.id)
            return _draft_gone() if stored is None else move_plan_card(stored.request, dry_runs=stored.dry_runs)
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
        await self._fixes.discard(request.id)
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
