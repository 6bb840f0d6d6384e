"""The chat flows: attach a tenant, assess a subscription. Each asks only for what it lacks, accepts the
one-line form, re-asks invalid input with the reason, and shows progress on anything slow.

An open question lives in conversation state (`flow`), so it survives a restart; card clicks carry the
ids they need and are re-checked here (never trusted), since anyone can forge a click.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import ConversationState, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference

from bot.access import AccessPolicy, Caller
from bot.commands import Command
from bot.handler import Routes, card_reply
from bot.proactive import LiveCard, Proactive
from cards import verbs
from cards.assessment import assessment_summary_card, blockers_card, dry_run_card
from cards.help import help_card
from cards.messages import error_card, not_allowed_card, question_card
from cards.pickers import subscription_picker_card
from cards.progress import Step, work_progress_card
from dialogs.attach import SANDBOX_IDENTITY, AccessCards
from dialogs.background import BackgroundWork
from dialogs.inputs import subscription_problem, tenant_problem
from migration.assessment.assess import assess
from migration.assessment.catalog import Catalog
from migration.azure.permissions import AccessIdentity
from migration.azure.ports import AzureGateway
from migration.model import (
    ArmError,
    Assessment,
    NotFound,
    Offer,
    ResourceId,
    ScopeKind,
    Subscription,
    TenantAccessDenied,
)
from migration.model.store import DocumentStore
from storage import assessments
from storage.reports import ReportLink, ReportLinks
from workers.assessment import AssessmentWorkers

log = logging.getLogger(__name__)

SubscriptionsCard = Callable[[str, list[tuple[Subscription, Offer]]], dict[str, Any] | Awaitable[dict[str, Any]]]
TENANT_QUESTION = "Type the customer's domain (contoso.onmicrosoft.com) or tenant id."
PROGRESS_EVERY = 1.0  # seconds between progress card updates (Teams throttles edits)


@dataclass
class FlowDeps:
    gateway: AzureGateway
    store: DocumentStore
    proactive: Proactive
    policy: AccessPolicy
    catalog: Catalog
    conversation_state: ConversationState
    partner_tenant_id: str
    sandbox: bool
    reports: ReportLinks
    public_base_url: str
    # `cancel` with no open question cancels the user's open move request instead.
    cancel_request: Callable[[TurnContext, Caller, Command], Awaitable[None]] | None = None
    # Assessments run in worker processes when given (their CPU stays off the web process's event loop).
    workers: AssessmentWorkers | None = None
    identity: AccessIdentity = SANDBOX_IDENTITY  # how the bot acts in customers' tenants (for the fixes)


class ChatFlows:
    def __init__(self, deps: FlowDeps) -> None:
        self.d = deps
        self._flow = deps.conversation_state.create_property("flow")
        self._tenant = deps.conversation_state.create_property("tenant")
        self._rules = {rule_id: text.rule for rule_id, text in deps.catalog.rules.items()}
        self.background = BackgroundWork(deps.store, deps.proactive)
        self.access = AccessCards(gateway=deps.gateway, identity=deps.identity,
                                  partner_tenant_id=deps.partner_tenant_id, reports=deps.reports,
                                  public_base_url=deps.public_base_url)

    def routes(self) -> Routes:
        return Routes(
            commands={"attach": self.attach_command, "assess": self.assess_command, "cancel": self.cancel_command},
            verbs={
                verbs.HELP: self.help_verb,
                verbs.ATTACH_START: self.attach_start_verb,
                verbs.ATTACH_CHECK: self.attach_check_verb,
                verbs.ASSESS_START: self.assess_start_verb,
                verbs.ASSESS_SUBSCRIPTION: self.assess_subscription_verb,
                verbs.ASSESS_RUN: self.assess_subscription_verb,
                verbs.ASSESSMENT_SUMMARY: self.summary_verb,
                verbs.ASSESSMENT_BLOCKERS: self.blockers_verb,
                verbs.ASSESSMENT_DRY_RUN: self.dry_run_verb,
            },
            on_text=self.on_text,
        )

    # ------------------------------------------------------------------ questions

    async def ask(self, ctx: TurnContext, flow: str, question: str) -> None:
        await self._flow.set(ctx, {"name": flow, "step": "tenant"})
        await ctx.send_activity(question)

    async def on_text(self, ctx: TurnContext, caller: Caller, text: str) -> bool:
        flow = await self._flow.get(ctx, None)
        if not isinstance(flow, dict):
            return False
        if flow.get("step") == "tenant":
            problem = tenant_problem(text)
            if problem:
                await ctx.send_activity(problem + " Or type `cancel`.")
                return True
            tenant = text.strip()
            name = flow.get("name")
            if name == "attach":
                render: SubscriptionsCard = lambda tid, subs: self.access.attached(tenant, tid, subs)  # noqa: E731
            else:
                verb = verbs.MOVE_SOURCE if name == "move" else verbs.ASSESS_SUBSCRIPTION
                render = lambda tid, subs: subscription_picker_card(  # noqa: E731
                    tenant_id=tid, tenant=tenant, subscriptions=subs, verb=verb)
            card, answered = await self._subscriptions_card(ctx, tenant, render)
            if answered:
                await self._flow.set(ctx, None)
            await self.send(ctx, card)
            if not answered:
                # The question stays open: the card says why that tenant did not work.
                await ctx.send_activity("Type the tenant again (its GUID or a domain such as "
                                        "`contoso.onmicrosoft.com`), or `cancel`.")
            return True
        return False

    async def cancel_command(self, ctx: TurnContext, caller: Caller, command: Command) -> None:
        if await self._flow.get(ctx, None):
            await self._flow.set(ctx, None)
            await ctx.send_activity("Stopped. Nothing was changed. Type `help` to start again.")
        elif self.d.cancel_request is not None:
            await self.d.cancel_request(ctx, caller, command)
        else:
            await ctx.send_activity("There is no open question to cancel. Type `help` to see what I can do.")

    async def no_access(self, tenant: str, exc: TenantAccessDenied | None = None) -> dict[str, Any]:
        """The card naming why the bot cannot act in the tenant, with the fix for that cause."""
        return await self.access.denied(tenant, exc)

    @staticmethod
    async def send(ctx: TurnContext, card: dict[str, Any]) -> None:
        await ctx.send_activity(card_reply(card))

    def denied(self, caller: Caller) -> dict[str, Any] | None:
        if self.d.policy.may_engineer(caller):
            return None
        return not_allowed_card("Only partner engineers can attach tenants and assess subscriptions.")

    async def help_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        await self._flow.set(ctx, None)
        return help_card(sandbox=self.d.sandbox)

    # ------------------------------------------------------------------ attach

    async def attach_command(self, ctx: TurnContext, caller: Caller, command: Command) -> None:
        if denied := self.denied(caller):
            await self.send(ctx, denied)
            return
        if not command.args:
            await self.ask(ctx, "attach", "Which customer tenant? " + TENANT_QUESTION)
            return
        if problem := tenant_problem(command.args[0]):
            await self.ask(ctx, "attach", problem)
            return
        await ctx.send_activity(Activity(type=ActivityTypes.typing))
        await self.send(ctx, await self._attach_card(ctx, command.args[0]))

    async def attach_start_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        if denied := self.denied(caller):
            return denied
        await self._flow.set(ctx, {"name": "attach", "step": "tenant"})
        return question_card("Attach a tenant", TENANT_QUESTION)

    async def attach_check_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        if denied := self.denied(caller):
            return denied
        tenant = data.get("tenant")
        if not isinstance(tenant, str) or tenant_problem(tenant):
            return error_card("That button carries no valid tenant.", "Type attach followed by the tenant.")
        return await self._attach_card(ctx, tenant)

    async def _subscriptions(self, tenant: str) -> tuple[str, list[tuple[Subscription, Offer]]]:
        tenant_id = await self.d.gateway.resolve_tenant(tenant)
        subscriptions = await self.d.gateway.for_tenant(tenant_id).subscriptions.list_subscriptions()
        return tenant_id, [(s, self.d.catalog.offer(s.quota_id)) for s in subscriptions]

    async def _with_subscriptions(self, ctx: TurnContext, tenant: str, render: SubscriptionsCard) -> dict[str, Any]:
        """Resolve the tenant and list its subscriptions, then `render`; or the card saying why not."""
        card, _ = await self._subscriptions_card(ctx, tenant, render)
        return card

    async def _subscriptions_card(
        self, ctx: TurnContext, tenant: str, render: SubscriptionsCard
    ) -> tuple[dict[str, Any], bool]:
        """(card, whether the tenant worked): `render`'s card, or the one saying why the tenant did not."""
        try:
            tenant_id, subscriptions = await self._subscriptions(tenant)
        except TenantAccessDenied as exc:
            return await self.no_access(tenant, exc), False
        except NotFound:
            return tenant_not_found_card(tenant), False
        except ArmError as error:
            return azure_error_card(error), False
        await self._tenant.set(ctx, tenant_id)  # later questions default to this tenant
        if not subscriptions and self.d.identity.mode != "sandbox":
            return await self.access.attached(tenant, tenant_id, []), True  # signed in, but no role anywhere
        card = render(tenant_id, subscriptions)
        return (await card if inspect.isawaitable(card) else card), True

    async def _attach_card(self, ctx: TurnContext, tenant: str) -> dict[str, Any]:
        return await self._with_subscriptions(ctx, tenant, lambda tid, subs: self.access.attached(tenant, tid, subs))

    # ------------------------------------------------------------------ assess

    async def assess_command(self, ctx: TurnContext, caller: Caller, command: Command) -> None:
        if denied := self.denied(caller):
            await self.send(ctx, denied)
            return
        args = command.args
        if not args:
            await self.ask(ctx, "assess", "Which customer tenant? " + TENANT_QUESTION)
            return
        if problem := tenant_problem(args[0]):
            await self.ask(ctx, "assess", problem)
            return
        await ctx.send_activity(Activity(type=ActivityTypes.typing))
        if len(args) == 1:
            await self.send(ctx, await self.picker_card(ctx, args[0]))
            return
        if problem := subscription_problem(args[1]):
            await ctx.send_activity(problem + f" Type `assess {args[0]}` to pick from a list.")
            return
        try:
            tenant_id = await self.d.gateway.resolve_tenant(args[0])
        except NotFound:
            await self.send(ctx, tenant_not_found_card(args[0]))
            return
        except ArmError as error:
            await self.send(ctx, azure_error_card(error))
            return
        response = await ctx.send_activity(card_reply(_assess_progress(args[1], done=0, total=None)))
        reference = TurnContext.get_conversation_reference(ctx.activity)
        if response is not None and response.id:
            self._start_assessment(reference, response.id, tenant_id, args[1].lower())

    async def assess_start_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        if denied := self.denied(caller):
            return denied
        tenant = data.get("tenantId") or await self._tenant.get(ctx, None)
        if isinstance(tenant, str) and not tenant_problem(tenant):
            return await self.picker_card(ctx, tenant)
        await self._flow.set(ctx, {"name": "assess", "step": "tenant"})
        return question_card("Assess a subscription", TENANT_QUESTION)

    async def picker_card(
        self, ctx: TurnContext, tenant: str, *, verb: str = verbs.ASSESS_SUBSCRIPTION
    ) -> dict[str, Any]:
        return await self._with_subscriptions(
            ctx,
            tenant,
            lambda tid, subs: subscription_picker_card(tenant_id=tid, tenant=tenant, subscriptions=subs, verb=verb),
        )

    async def assess_subscription_verb(
        self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        if denied := self.denied(caller):
            return denied
        tenant_id, subscription_id = data.get("tenantId"), data.get("subscriptionId")
        if not isinstance(tenant_id, str) or tenant_problem(tenant_id):
            return error_card("That card carries no valid tenant.", "Type assess to start again.")
        if not isinstance(subscription_id, str) or subscription_problem(subscription_id):
            return error_card("Pick a subscription first.", "Choose one in the list, then click Continue.")
        # Answer the click at once; the assessment runs in the background and updates this card.
        reference = TurnContext.get_conversation_reference(ctx.activity)
        card_id = ctx.activity.reply_to_id
        if card_id:
            self._start_assessment(reference, card_id, tenant_id.lower(), subscription_id.lower())
        return _assess_progress(subscription_id, done=0, total=None)

    def _start_assessment(
        self, reference: ConversationReference, card_id: str, tenant_id: str, subscription_id: str
    ) -> None:
        self.d.proactive.spawn(
            self._run_assessment(reference, card_id, tenant_id, subscription_id),
            name=f"assess {subscription_id}",
        )

    async def _run_assessment(
        self, reference: ConversationReference, card_id: str, tenant_id: str, subscription_id: str
    ) -> None:
        last = 0.0
        live = self.d.proactive.live_card(reference, card_id)

        async def progress(done: int, total: int | None) -> None:
            nonlocal last
            if time.monotonic() - last < PROGRESS_EVERY:
                return
            last = time.monotonic()
            live.progress(_assess_progress(subscription_id, done=done, total=total))

        async def work() -> dict[str, Any]:
            if self.d.workers is not None:
                # The worker stores the assessment and its report; the card is drawn from what it stored.
                link = await self.d.workers.assess(tenant_id=tenant_id, source_subscription_id=subscription_id,
                                                   on_progress=progress)
                stored = await assessments.load(self.d.store, tenant_id, subscription_id)
                if stored is None:
                    raise RuntimeError("the assessment worker stored no assessment")
                assessment = stored
            else:
                assessment = await assess(
                    self.d.gateway,
                    tenant_id=tenant_id,
                    source_subscription_id=subscription_id,
                    on_progress=progress,
                    catalog=self.d.catalog,
                    now=datetime.now(UTC),
                )
                link = await self.d.reports.create(assessment)
                await self.save_assessment(assessment, report=link)
            return assessment_summary_card(assessment, rules=self._rules, report_url=self._report_url(link))

        await self.finish_in_background(reference, card_id, work, tenant=tenant_id, subscription_id=subscription_id,
                                        live=live, what=f"The assessment of subscription {subscription_id}",
                                        again={"verb": verbs.ASSESS_RUN,
                                               "data": {"tenantId": tenant_id, "subscriptionId": subscription_id}})

    async def finish_in_background(
        self,
        reference: ConversationReference,
        card_id: str,
        work: Callable[[], Awaitable[dict[str, Any]]],
        *,
        tenant: str,
        subscription_id: str,
        live: LiveCard | None = None,
        what: str = "This work",
        again: Mapping[str, Any] | None = None,
    ) -> None:
        """Run slow work after the turn and put its card where the progress card stands; Azure's
        refusals become cards that say what to do. With `live`, the work's progress updates go through
        it, and none of them lands after this final card."""
        live = live or self.d.proactive.live_card(reference, card_id)
        try:
            card = await self.background.run(reference, live, work, what=what, again=again)
        except TenantAccessDenied as exc:
            card = await self.no_access(tenant, exc)
        except NotFound as exc:
            card = not_found_card(exc.about or ResourceId(subscription_id))
        except ArmError as error:
            card = azure_error_card(error)
        except Exception:
            log.exception("background work for %s failed", subscription_id)
            card = error_card(
                "That stopped unexpectedly. Nothing was changed.", "Try again in a minute.", title="Sorry"
            )
        await live.finish(card)

    # ------------------------------------------------------------------ results

    async def save_assessment(self, assessment: Assessment, *, report: ReportLink | None = None) -> None:
        # The per-resource details go to the report export; the chat needs findings and groups only.
        await assessments.save(self.d.store, assessment, report=report)

    def _report_url(self, link: ReportLink | None) -> str | None:
        if link is None or link.expires_at <= datetime.now(UTC):
            return None
        return f"{self.d.public_base_url}/reports/{link.token}.csv"

    async def _stored_report(self, data: Mapping[str, Any]) -> ReportLink | None:
        tenant_id, subscription_id = data.get("tenantId"), data.get("subscriptionId")
        if not isinstance(tenant_id, str) or not isinstance(subscription_id, str):
            return None
        return assessments.report_of(await assessments.load_raw(self.d.store, tenant_id, subscription_id))

    async def load_assessment(self, data: Mapping[str, Any]) -> Assessment | None:
        tenant_id, subscription_id = data.get("tenantId"), data.get("subscriptionId")
        if not isinstance(tenant_id, str) or not isinstance(subscription_id, str):
            return None
        return await assessments.load(self.d.store, tenant_id, subscription_id)

    async def summary_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        if denied := self.denied(caller):
            return denied
        assessment = await self.load_assessment(data)
        if assessment is None:
            return _no_assessment()
        report_url = self._report_url(await self._stored_report(data))
        return assessment_summary_card(assessment, rules=self._rules, report_url=report_url)

    async def blockers_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        if denied := self.denied(caller):
            return denied
        assessment = await self.load_assessment(data)
        if assessment is None:
            return _no_assessment()
        return blockers_card(assessment, page=_page(data), rules=self._rules)

    async def dry_run_verb(self, ctx: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        if denied := self.denied(caller):
            return denied
        assessment = await self.load_assessment(data)
        if assessment is None:
            return _no_assessment()
        return dry_run_card(assessment, page=_page(data))


def _page(data: Mapping[str, Any]) -> int:
    page = data.get("page")
    return page if isinstance(page, int) and not isinstance(page, bool) else 1


def _assess_progress(subscription_id: str, *, done: int, total: int | None) -> dict[str, Any]:
    reading = "running" if total is None or done < total else "done"
    return work_progress_card(
        f"Assessing subscription {subscription_id}",
        [
            Step("Reading resources", reading, done=done if total else None, total=total),
            Step("Checking move rules", "waiting" if reading == "running" else "running"),
        ],
        started_at=datetime.now(UTC),
    )


def tenant_not_found_card(tenant: str) -> dict[str, Any]:
    return error_card(
        f"I could not find a tenant named {tenant}.",
        "Check the spelling, or use the tenant id (a GUID) from the customer's Entra admin center.",
        title="Tenant not found",
    )


def not_found_card(missing: ResourceId) -> dict[str, Any]:
    """Azure does not know (or does not show the bot) what a call was about: the subscription, or the resource."""
    if missing.kind is ScopeKind.SUBSCRIPTION:
        return error_card(
            f"Subscription {missing.subscription} is not in that tenant, or we cannot see it.",
            "Check the id, or pick the subscription from the list.",
            title="Subscription not found",
        )
    return error_card(
        f"{missing.name} ({missing.type}) is not in subscription {missing.subscription}, or we cannot see it.",
        "Assess the subscription again, then retry.",
        title="Not found",
    )


def azure_error_card(error: ArmError) -> dict[str, Any]:
    return error_card(
        "Azure did not answer as expected. Nothing was changed.",
        "Try again in a minute. If it keeps failing, check the bot's Azure permissions.",
        title="Azure error",
        code=error.code,
    )


def _no_assessment() -> dict[str, Any]:
    return error_card(
        "I have no assessment for that subscription any more.",
        "Type assess to run it again.",
        title="Assessment not found",
    )
