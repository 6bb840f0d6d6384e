"""The `move` flow up to the draft: the source and target subscriptions, the ready groups, and the
confirmation to create the empty target groups. The one-line form (`move <tenant> <source> <target>
[<rg>,...]`) goes straight to the confirmation for the groups named.

What happens after (Azure's dry run, the fixes, the request for approval) is `dialogs/move_plan.py`. The
domain work is the planning service's (`migration.application.move_plans`); this module parses, asks and
renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.access import person_of
from bot.commands import Command
from bot.port import Card, ConversationReference, Turn
from cards import verbs
from cards._kit import unbroken_id
from cards.blockers import not_ready_card
from cards.messages import error_card
from cards.pickers import group_picker_card, target_picker_card
from cards.plan import create_groups_card
from dialogs.assess import AssessFlow
from dialogs.inputs import subscription_problem
from dialogs.questions import Questions
from dialogs.replies import (
    azure_error_card,
    bad_click_card,
    ok_subscription,
    ok_tenant,
    page_of,
    pick_subscription_card,
    progress,
    subscription_not_found_card,
)
from dialogs.slow_work import SlowWork
from dialogs.state import ChatKey, ChatStates
from dialogs.tenants import TenantCards
from migration.application.move_plans import DraftMade, MovePlans
from migration.application.tenant_access import MoveAccess, TenantAccess
from migration.model import ArmError, Assessment, MoveRequest, Person, TenantAccessDenied


class MoveFlow:
    def __init__(self, *, plans: MovePlans, access: TenantAccess, tenants: TenantCards, questions: Questions,
                 assess: AssessFlow, chats: ChatStates, slow: SlowWork) -> None:
        self._plans = plans
        self._access = access
        self._tenants = tenants
        self._questions = questions
        self._assess = assess
        self._chats = chats
        self._slow = slow

    async def move_command(self, turn: Turn, command: Command) -> None:
        args = command.args
        if await self._questions.asked_for_tenant(turn, "move", args):
            return
        for value in args[1:3]:
            if problem := subscription_problem(value):
                await turn.reply(problem + f" Type `move {args[0]}` to pick from a list.")
                return
        await turn.typing()
        if len(args) == 1:
            await turn.reply_card(await self._assess.picker_card(turn, args[0], verb=verbs.MOVE_SOURCE))
            return
        if (tenant_id := await self._tenants.resolved(turn, args[0])) is None:
            return
        if len(args) == 2:
            await turn.reply_card(await self._target_picker(tenant_id, args[1].lower()))
            return
        groups = [g for g in ",".join(args[3:]).split(",") if g.strip()] if len(args) > 3 else None
        card_id = await turn.reply_card(progress("Preparing the move", "Reading resources"))
        if card_id:
            self._prepare(turn.reference, card_id, tenant_id, args[1].lower(), args[2].lower(), groups=groups,
                          requester=person_of(turn.caller), chat=ChatKey.of(turn))

    # ------------------------------------------------------------------ pickers

    async def start_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        tenant_id, source = data.get("tenantId"), data.get("sourceSubscriptionId")
        if not ok_tenant(tenant_id) or not ok_subscription(source):
            return bad_click_card()
        return await self._target_picker(str(tenant_id), str(source).lower())

    async def source_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        tenant_id, source = data.get("tenantId"), data.get("subscriptionId")
        if not ok_tenant(tenant_id):
            return bad_click_card()
        if not ok_subscription(source):
            return pick_subscription_card()
        return await self._target_picker(str(tenant_id), str(source).lower())

    async def _target_picker(self, tenant_id: str, source_id: str) -> Card:
        try:
            found = await self._access.subscriptions_of(tenant_id)
        except TenantAccessDenied as exc:
            return await self._tenants.denied(tenant_id, exc)
        except ArmError as error:
            return azure_error_card(error)
        source = next((s for s, _ in found.subscriptions if s.id.lower() == source_id), None)
        if source is None:
            return subscription_not_found_card(source_id, command="move")
        return target_picker_card(tenant_id=tenant_id, source=source, targets=list(found.subscriptions))

    async def target_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        tenant_id, source, target = (data.get("tenantId"), data.get("sourceSubscriptionId"),
                                     data.get("targetSubscriptionId"))
        if not ok_tenant(tenant_id) or not ok_subscription(source):
            return bad_click_card()
        if not ok_subscription(target):
            return pick_subscription_card("a CSP subscription")
        card_id = turn.click.card_id if turn.click else None
        if card_id:
            self._prepare(turn.reference, card_id, str(tenant_id).lower(), str(source).lower(), str(target).lower(),
                          groups=None, requester=person_of(turn.caller), chat=ChatKey.of(turn))
        return progress("Preparing the move", "Reading resources")

    def _prepare(self, reference: ConversationReference, card_id: str, tenant_id: str, source_id: str,
                 target_id: str, *, groups: Sequence[str] | None, requester: Person, chat: ChatKey) -> None:
        """Check access and assess against the chosen target, then show the ready groups (or, in the
        one-line form, go straight to the confirmation for the groups named)."""

        async def work() -> Card:
            prepared = await self._plans.prepare(tenant_id, source_id, target_id, by=requester.id)
            if isinstance(prepared, MoveAccess):
                return await self._tenants.move_blocked(tenant_id, prepared)
            if groups is None:
                return self._group_picker(prepared, page=1)
            return await self._draft_card(prepared, groups, requester=requester, chat=chat)

        self._slow.start(reference, card_id, work, name=f"plan {source_id}", tenant=tenant_id,
                         subscription_id=source_id, what=f"Preparing the move from subscription {source_id}",
                         again={"verb": verbs.MOVE_TARGET,
                                "data": {"tenantId": tenant_id, "sourceSubscriptionId": source_id,
                                         "targetSubscriptionId": target_id}})

    @staticmethod
    def _group_picker(assessment: Assessment, *, page: int) -> Card:
        if assessment.target is None:
            return bad_click_card()
        return group_picker_card(assessment, target=assessment.target, page=page)

    async def _assessment(self, data: Mapping[str, Any]) -> Assessment | None:
        tenant_id, source, target = (data.get("tenantId"), data.get("sourceSubscriptionId"),
                                     data.get("targetSubscriptionId"))
        if not ok_tenant(tenant_id) or not ok_subscription(source) or not ok_subscription(target):
            return None
        return await self._plans.assessment_for(str(tenant_id), str(source), str(target))

    async def groups_page_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        assessment = await self._assessment(data)
        return self._group_picker(assessment, page=page_of(data)) if assessment else bad_click_card()

    async def groups_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        assessment = await self._assessment(data)
        if assessment is None:
            return bad_click_card()
        chosen = data.get("groups")
        names = [g for g in chosen.split(",") if g.strip()] if isinstance(chosen, str) else []
        if not names:
            return error_card("Pick at least one resource group.", "Tick the groups to move, then click Continue.")
        return await self._draft_card(assessment, names, requester=person_of(turn.caller), chat=ChatKey.of(turn))

    # ------------------------------------------------------------------ the draft

    async def _draft_card(self, assessment: Assessment, names: Sequence[str], *, requester: Person,
                          chat: ChatKey) -> Card:
        try:
            made = await self._plans.draft(assessment, names, requester=requester)
        except TenantAccessDenied as exc:
            return await self._tenants.denied(assessment.tenant_id, exc)
        except ArmError as error:
            return azure_error_card(error)
        if not isinstance(made, DraftMade):
            if made.unknown:
                return error_card(f"{', '.join(made.unknown[:5])} is not a resource group of "
                                  f"{assessment.source.display_name}.", "Pick groups from the list.")
            if made.not_ready:
                return not_ready_card([g for g in assessment.groups if g.name in made.not_ready])
            return groups_in_use_card(made.in_use or {})
        # What `cancel` stops here after a question: this plan.
        await self._chats.update(chat, lambda s: replace(s, plan_id=made.request.id))
        return create_groups_card(made.request, new_groups=list(made.new_groups))


def groups_in_use_card(in_use: Mapping[str, MoveRequest]) -> Card:
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
