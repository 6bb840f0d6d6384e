"""The botbuilder edge: Bot Framework activities in, the port's `Turn` out; proactive sends through the
adapter. The only module (with `bot/adapter.py`) that knows botbuilder's types.

Every activity is handed to the router (`bot/routes.py`) as a `Turn`; a card click's card comes back and
goes into the invoke's response. botbuilder 4.17 quirks are handled here: the tenant id is read from
`channelData.tenant.id`, a malformed click is answered with a card instead of botbuilder's HTTP 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
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

from bot.edge_base import ContextTurn, ContinuationOutbox
from bot.edge_shared import CARD, CARD_ACTION, invoke_body, is_card_execute, unsupported_invoke
from bot.guest_check import GuestCheck
from bot.port import Card
from bot.port import ConversationReference as Reference
from bot.routes import Router

log = logging.getLogger(__name__)


def _card_activity(card: Card) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


class BotbuilderTurn(ContextTurn):
    """The port's Turn over botbuilder's TurnContext."""

    def _reference_of(self, activity: Activity) -> dict[str, Any]:
        return dict(TurnContext.get_conversation_reference(activity).serialize())

    def _card(self, card: Card) -> Activity:
        return _card_activity(card)

    def _typing(self) -> Activity:
        return Activity(type=ActivityTypes.typing)


class BotbuilderOutbox(ContinuationOutbox):
    """The port's Outbox: `continue_conversation` on the adapter, from a stored reference."""

    def __init__(self, adapter: BotAdapter, *, app_id: str) -> None:
        self._adapter = adapter
        # Local mode has no app id; the connector then accepts unauthenticated calls, any id will do.
        self._app_id = app_id or "local-bot"

    async def _continue(self, reference: Reference, callback: Callable[[TurnContext], Awaitable[None]]) -> None:
        await self._adapter.continue_conversation(ConversationReference().deserialize(dict(reference)), callback,
                                                  self._app_id)

    def _card(self, card: Card) -> Activity:
        return _card_activity(card)

    def _typing(self) -> Activity:
        return Activity(type=ActivityTypes.typing)

    def _is_gone(self, error: Exception) -> bool:
        # The Bot Connector's ErrorResponseException carries the HTTP response it got.
        return getattr(getattr(error, "response", None), "status_code", None) == HTTPStatus.NOT_FOUND


async def _is_guest(guests: GuestCheck, context: TurnContext) -> bool:
    activity = context.activity
    sender = activity.from_property
    sender_id = getattr(sender, "id", None) if sender else None

    async def roster() -> str | None:
        member = await TeamsInfo.get_member(context, sender_id)
        return getattr(member, "user_role", None)

    return await guests.is_guest(kind=activity.type, conversation_id=str(getattr(activity.conversation, "id", "")),
                                 sender_id=sender_id, said_role=(getattr(sender, "additional_properties", None)
                                                                 or {}).get("userRole"), roster=roster)


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
        if self._guests is not None and await _is_guest(self._guests, turn_context):
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
        if activity.name == CARD_ACTION:
            if not is_card_execute(activity):
                # botbuilder would answer a malformed click with an error body it cannot serialize
                # (HTTP 500); the user gets the same card as for a button the bot does not know.
                log.info("malformed card action refused")
                return InvokeResponse(status=200, body=invoke_body(self._router.unknown_card("")))
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == HTTPStatus.NOT_IMPLEMENTED:
            # Teams only sends the invokes an app declares; anything else is malformed input, not a
            # server fault.
            return InvokeResponse(status=400, body=unsupported_invoke(activity.name))
        return response

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        card = await self._router.on_click(BotbuilderTurn(turn_context))
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=card)

    @staticmethod
    async def _answer_invoke(turn_context: TurnContext, card: Card) -> None:
        await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response,
                                                  value=InvokeResponse(status=200, body=invoke_body(card))))

