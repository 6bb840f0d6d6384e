"""`assess [<tenant> <subscription>]`: the assessment of a subscription, with its pages (summary, blockers,
Azure's dry run). Asks only for what it lacks; the assessment itself runs in the worker pool after the turn
and its card replaces the progress card."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.access import person_of
from bot.commands import Command
from bot.port import Card, ConversationReference, Turn
from cards import verbs
from cards.assessment import assessment_summary_card, blockers_card, dry_run_card
from cards.messages import error_card, question_card
from cards.pickers import subscription_picker_card
from cards.progress import Step, work_progress_card
from dialogs.inputs import subscription_problem, tenant_problem
from dialogs.questions import Questions
from dialogs.replies import TENANT_QUESTION, no_assessment_card, page_of
from dialogs.slow_work import SlowWork
from dialogs.state import ChatKey, ChatStates
from dialogs.tenants import TenantCards
from migration.application.assessments import Assessed, SubscriptionAssessments
from migration.assessment.catalog import Catalog

PROGRESS_EVERY = 1.0  # seconds between progress card updates (Teams throttles edits)


class AssessFlow:
    def __init__(self, *, assessments: SubscriptionAssessments, tenants: TenantCards,
                 questions: Questions, chats: ChatStates, slow: SlowWork, catalog: Catalog,
                 public_base_url: str) -> None:
        self._assessments = assessments
        self._tenants = tenants
        self._questions = questions
        self._chats = chats
        self._slow = slow
        self._rules = {rule_id: text.rule for rule_id, text in catalog.rules.items()}
        self._base = public_base_url

    async def assess_command(self, turn: Turn, command: Command) -> None:
        args = command.args
        if not args and (attached := (await self._chats.get(ChatKey.of(turn))).tenant_id):
            args = (attached,)  # the tenant this person attached (or last used) in this chat
        if await self._questions.asked_for_tenant(turn, "assess", args):
            return
        await turn.typing()
        if len(args) == 1:
            await turn.reply_card(await self.picker_card(turn, args[0]))
            return
        if problem := subscription_problem(args[1]):
            await turn.reply(problem + f" Type `assess {args[0]}` to pick from a list.")
            return
        if (tenant_id := await self._tenants.resolved(turn, args[0])) is None:
            return
        card_id = await turn.reply_card(_assess_progress(args[1], done=0, total=None))
        if card_id:
            await self._assessing(turn, tenant_id, args[1].lower())
            self._start(turn.reference, card_id, tenant_id, args[1].lower(), by=person_of(turn.caller).id)

    async def start_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        tenant = data.get("tenantId") or (await self._chats.get(ChatKey.of(turn))).tenant_id
        if isinstance(tenant, str) and not tenant_problem(tenant):
            return await self.picker_card(turn, tenant)
        await self._chats.ask(ChatKey.of(turn), "assess")
        return question_card("Assess a subscription", TENANT_QUESTION)

    async def picker_card(self, turn: Turn, tenant: str, *, verb: str = verbs.ASSESS_SUBSCRIPTION) -> Card:
        card, _ = await self._tenants.subscriptions_card(turn, tenant, lambda found: subscription_picker_card(
            tenant_id=found.tenant_id, tenant=tenant, subscriptions=list(found.subscriptions), verb=verb))
        return card

    async def subscription_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        tenant_id, subscription_id = data.get("tenantId"), data.get("subscriptionId")
        if not isinstance(tenant_id, str) or tenant_problem(tenant_id):
            return error_card("That card carries no valid tenant.", "Type assess to start again.")
        if not isinstance(subscription_id, str) or subscription_problem(subscription_id):
            return error_card("Pick a subscription first.", "Choose one in the list, then click Continue.")
        # Answer the click at once; the assessment runs in the background and updates this card.
        card_id = turn.click.card_id if turn.click else None
        if card_id:
            await self._assessing(turn, tenant_id.lower(), subscription_id.lower())
            self._start(turn.reference, card_id, tenant_id.lower(), subscription_id.lower(),
                        by=person_of(turn.caller).id)
        return _assess_progress(subscription_id, done=0, total=None)

    async def _assessing(self, turn: Turn, tenant_id: str, subscription_id: str) -> None:
        """An assessment reads the whole subscription: recorded on the tenant's audit chain, with who asked."""
        await self._tenants.reads.tenant_read(tenant_id, by=person_of(turn.caller), tenant_id=turn.caller.tenant_id,
                                              what="assessment", subscription_id=subscription_id)

    def _start(self, reference: ConversationReference, card_id: str, tenant_id: str, subscription_id: str, *,
               by: str) -> None:
        live = self._slow.live_card(reference, card_id)
        last = 0.0

        async def progress(done: int, total: int | None) -> None:
            nonlocal last
            if time.monotonic() - last < PROGRESS_EVERY:
                return
            last = time.monotonic()
            live.progress(_assess_progress(subscription_id, done=done, total=total))

        async def work() -> Card:
            assessed = await self._assessments.assess(tenant_id, subscription_id, by=by, on_progress=progress)
            return self._summary(assessed)

        self._slow.start(reference, card_id, work, name=f"assess {subscription_id}", tenant=tenant_id,
                         subscription_id=subscription_id, live=live,
                         what=f"The assessment of subscription {subscription_id}",
                         again={"verb": verbs.ASSESS_RUN,
                                "data": {"tenantId": tenant_id, "subscriptionId": subscription_id}})

    # ------------------------------------------------------------------ the assessment's pages

    def _summary(self, assessed: Assessed) -> Card:
        report_url = assessed.report.url(self._base) if assessed.report else None
        return assessment_summary_card(assessed.assessment, rules=self._rules, report_url=report_url)

    async def _latest(self, data: Mapping[str, Any]) -> Assessed | None:
        tenant_id, subscription_id = data.get("tenantId"), data.get("subscriptionId")
        if not isinstance(tenant_id, str) or not isinstance(subscription_id, str):
            return None
        return await self._assessments.latest(tenant_id, subscription_id)

    async def summary_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        assessed = await self._latest(data)
        return self._summary(assessed) if assessed else no_assessment_card()

    async def blockers_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        assessed = await self._latest(data)
        return blockers_card(assessed.assessment, page=page_of(data), rules=self._rules) if assessed else \
            no_assessment_card()

    async def dry_run_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        assessed = await self._latest(data)
        return dry_run_card(assessed.assessment, page=page_of(data)) if assessed else no_assessment_card()


def _assess_progress(subscription_id: str, *, done: int, total: int | None) -> Card:
    reading = "running" if total is None or done < total else "done"
    return work_progress_card(
        f"Assessing subscription {subscription_id}",
        [
            Step("Reading resources", reading, done=done if total else None, total=total),
            Step("Checking move rules", "waiting" if reading == "running" else "running"),
        ],
        started_at=datetime.now(UTC),
    )
