"""The botbuilder edge: Bot Framework activities in, the port's `Turn` out; proactive sends through the
adapter. The only module (with `bot/adapter.py`) that knows botbuilder's types.

Every activity is handed to the router (`bot/routes.py`) as a `Turn`; a card click's card comes back and
goes into the invoke's response. botbuilder 4.17 quirks are handled here: the tenant id is read from
`channelData.tenant.id`, a malformed click is answered with a card instead of botbuilder's HTTP 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from botbuilder.core import ActivityHandler, BotAdapter, CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ChannelAccount,
    ConversationReference,
    InvokeResponse,
)

from bot.access import Caller
from bot.port import Card, CardClick, CardGone, Conversation
from bot.port import ConversationReference as Reference
from bot.routes import Router

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
GUEST_CACHE_SECONDS = 600.0


def _card_activity(card: Card) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def _click_of(activity: Activity) -> CardClick | None:
    if activity.type != ActivityTypes.invoke:
        return None
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action") if isinstance(value.get("action"), dict) else {}
    verb = action.get("verb") if isinstance(action.get("verb"), str) else ""
    data = action.get("data") if isinstance(action.get("data"), dict) else {}
    return CardClick(verb=verb, data=data, card_id=activity.reply_to_id or None)


def caller_of(activity: Activity) -> Caller:
    """Who is speaking: the Teams tenant is in channelData.tenant.id (conversation.tenantId is lost by
    botbuilder 4.17)."""
    channel_data: Mapping[str, Any] = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    tenant_id = tenant.get("id") if isinstance(tenant.get("id"), str) else None
    sender = activity.from_property
    aad = getattr(sender, "aad_object_id", None) if sender else None
    return Caller(
        tenant_id=tenant_id.lower() if tenant_id else None,
        user_id=aad.lower() if isinstance(aad, str) and aad else None,
        name=(getattr(sender, "name", None) or "someone") if sender else "someone",
        mri=getattr(sender, "id", None) if sender else None,
    )


class BotbuilderTurn:
    """The port's Turn over botbuilder's TurnContext."""

    def __init__(self, context: TurnContext) -> None:
        self._context = context
        activity = context.activity
        self.caller: Caller = caller_of(activity)
        self.text: str = activity.text if isinstance(activity.text, str) else ""
        self.click: CardClick | None = _click_of(activity)
        conversation = activity.conversation
        self.conversation = Conversation(id=str(getattr(conversation, "id", "") or ""),
                                         kind=getattr(conversation, "conversation_type", None))
        self._reference: dict[str, Any] | None = None

    @property
    def reference(self) -> Reference:
        if self._reference is None:
            self._reference = dict(TurnContext.get_conversation_reference(self._context.activity).serialize())
        return self._reference

    async def reply(self, text: str) -> str | None:
        response = await self._context.send_activity(text)
        return response.id if response else None

    async def reply_card(self, card: Card) -> str | None:
        response = await self._context.send_activity(_card_activity(card))
        return response.id if response else None

    async def typing(self) -> None:
        await self._context.send_activity(Activity(type=ActivityTypes.typing))


class BotbuilderOutbox:
    """The port's Outbox: `continue_conversation` on the adapter, from a stored reference."""

    def __init__(self, adapter: BotAdapter, *, app_id: str) -> None:
        self._adapter = adapter
        # Local mode has no app id; the connector then accepts unauthenticated calls, any id will do.
        self._app_id = app_id or "local-bot"

    async def _in(self, reference: Reference, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        """Run `logic` in the conversation; its failure is raised here. botbuilder would hand it to the adapter's
        turn-error handler, which logs a traceback and swallows it: the caller could never react (post again)."""
        failed: list[Exception] = []

        async def guarded(context: TurnContext) -> None:
            try:
                await logic(context)
            except Exception as error:  # noqa: BLE001 - raised again below, outside botbuilder's pipeline
                failed.append(error)

        await self._adapter.continue_conversation(ConversationReference().deserialize(dict(reference)), guarded,
                                                  self._app_id)
        if failed:
            raise failed[0]

    async def send_card(self, reference: Reference, card: Card) -> str | None:
        sent: list[str | None] = []

        async def logic(context: TurnContext) -> None:
            response = await context.send_activity(_card_activity(card))
            sent.append(response.id if response else None)

        await self._in(reference, logic)
        return sent[0] if sent else None

    async def update_card(self, reference: Reference, activity_id: str, card: Card) -> None:
        activity = _card_activity(card)
        activity.id = activity_id

        async def logic(context: TurnContext) -> None:
            await context.update_activity(activity)

        try:
            await self._in(reference, logic)
        except Exception as error:
            # The Bot Connector's ErrorResponseException carries the HTTP response it got.
            if getattr(getattr(error, "response", None), "status_code", None) == HTTPStatus.NOT_FOUND:
                raise CardGone(activity_id) from None
            raise

    async def typing(self, reference: Reference) -> None:
        async def logic(context: TurnContext) -> None:
            await context.send_activity(Activity(type=ActivityTypes.typing))

        await self._in(reference, logic)


class GuestCheck:
    """Whether the person is a guest (B2B) of the partner's tenant: the activity's `from.userRole`, else the Teams
    roster's `userRole` for them (TeamsChannelAccount, learn.microsoft.com/javascript/api/botframework-schema/
    teamschannelaccount), asked once per person and kept for a while."""

    def __init__(self, *, strict: bool, seconds: float = GUEST_CACHE_SECONDS) -> None:
        self._strict = strict  # a roster that cannot answer means "refuse" (a registered bot)
        self._seconds = seconds
        self._known: dict[str, tuple[float, bool]] = {}

    async def is_guest(self, context: TurnContext) -> bool:
        sender = context.activity.from_property
        if sender is None or context.activity.type not in (ActivityTypes.message, ActivityTypes.invoke):
            return False
        said = (getattr(sender, "additional_properties", None) or {}).get("userRole")
        if isinstance(said, str):
            return said.lower() != "user"
        key, now = f"{context.activity.conversation.id if context.activity.conversation else ''}|{sender.id}", \
            time.monotonic()
        known = self._known.get(key)
        if known is not None and now - known[0] < self._seconds:
            return known[1]
        try:
            member = await TeamsInfo.get_member(context, sender.id)
            guest = str(getattr(member, "user_role", None) or "user").lower() != "user"
        except Exception:  # noqa: BLE001 - any failure of the roster: the strict answer
            log.warning("the Teams roster did not say who %s is", str(sender.id)[:40])
            guest = self._strict
        self._known[key] = (now, guest)
        return guest


class TeamsBot(ActivityHandler):
    """botbuilder's activity handler, reduced to handing each activity to the router as a Turn."""

    def __init__(self, router: Router, *, guests: GuestCheck | None = None) -> None:
        self._router = router
        self._guests = guests  # None: guests are allowed (ALLOW_GUESTS)

    async def on_turn(self, turn_context: TurnContext) -> None:
        turn = BotbuilderTurn(turn_context)
        kind = turn_context.activity.type
        if not self._router.admits(turn.caller):
            card = await self._router.refuse_foreign(turn, message=kind == ActivityTypes.message)
            if kind == ActivityTypes.invoke:
                await self._answer_invoke(turn_context, card)
            return  # nothing else happens: no handler, no state written
        if self._guests is not None and await self._guests.is_guest(turn_context):
            card = await self._router.refuse_guest(turn, message=kind == ActivityTypes.message)
            if kind == ActivityTypes.invoke:
                await self._answer_invoke(turn_context, card)
            return
        await super().on_turn(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._router.welcome(BotbuilderTurn(turn_context))

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in members_added):
            await self._router.welcome(BotbuilderTurn(turn_context))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._router.on_message(BotbuilderTurn(turn_context))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        activity = turn_context.activity
        if activity.name == "adaptiveCard/action":
            value = activity.value if isinstance(activity.value, dict) else {}
            action = value.get("action")
            if not isinstance(action, dict) or action.get("type") != "Action.Execute":
                # botbuilder would answer a malformed click with an error body it cannot serialize
                # (HTTP 500); the user gets the same card as for a button the bot does not know.
                log.info("malformed card action refused")
                return InvokeResponse(status=200, body=_invoke_body(self._router.unknown_card("")))
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == HTTPStatus.NOT_IMPLEMENTED:
            # Teams only sends the invokes an app declares; anything else is malformed input, not a
            # server fault.
            return InvokeResponse(status=400, body={"error": f"unsupported invoke {str(activity.name)[:60]!r}"})
        return response

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        card = await self._router.on_click(BotbuilderTurn(turn_context))
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=card)

    @staticmethod
    async def _answer_invoke(turn_context: TurnContext, card: Card) -> None:
        await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response,
                                                  value=InvokeResponse(status=200, body=_invoke_body(card))))


def _invoke_body(card: Mapping[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "type": CARD, "value": dict(card)}
