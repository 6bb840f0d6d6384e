"""The Microsoft 365 Agents SDK edge (BOT_SDK=agents): the same port as the botbuilder edge, on the SDK's
`CloudAdapter` and `TurnContext` (microsoft-agents-hosting-*, 1.9.0). The only module that knows its types.

What the SDK would do on its own and this edge does not let it (each has a test on both edges):
- parse the body outside any `try` (a wrong-type field becomes HTTP 500): parsed here, refused with 400;
- answer a message 202 and an unanswered invoke 501 with an empty body: the endpoint answers 201, and every
  invoke gets a body (a card, or 400 with a reason);
- route `adaptiveCard/action` through its `ActivityHandler`, which answers 500 to an Action.Submit: activities
  are dispatched here, a malformed click gets the unknown-button card;
- post the exception text to the user (its default turn-error handler): replaced by the bot's own;
- start a typing timer (`AgentApplication`), keep conversation state in one app-wide `ConversationState`
  (which writes one conversation's value under another's key when turns interleave): neither is used; the
  chat's state lives in the bot's store (`dialogs/state.py`);
- in local mode, ask MSAL for a token for a proactive send: it is sent with an empty (anonymous) identity.
Inbound tokens are checked by `bot/inbound_auth.py` before the activity gets here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes, ConversationReference, InvokeResponse
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    AuthTypes,
    CardFactory,
    ClaimsIdentity,
    ConnectorClientBase,
    MessageFactory,
    TurnContext,
)
from pydantic import ValidationError

from bot.edge_base import ContextTurn, ContinuationOutbox
from bot.edge_shared import (
    CARD_ACTION,
    invoke_body,
    is_card_execute,
    report_turn_failure,
    unsupported_invoke,
)
from bot.endpoint import MalformedActivity
from bot.guest_check import GuestCheck
from bot.port import Card
from bot.port import ConversationReference as Reference
from bot.routes import Router
from settings import Settings

log = logging.getLogger(__name__)

SERVICE_CONNECTION = "SERVICE_CONNECTION"  # the connection the SDK uses for the Bot Connector's tokens
# MultiTenant bots get their token from the Bot Framework's tenant, as botbuilder does (its
# AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT).
MULTI_TENANT_AUTHORITY_TENANT = "botframework.com"


def _connection(settings: Settings) -> AgentAuthConfiguration:
    """The project's Bot registration settings (MicrosoftApp*) in the SDK's terms."""
    if settings.local_mode:
        return AgentAuthConfiguration(anonymous_allowed=True)
    if settings.app_type == "UserAssignedMSI":
        return AgentAuthConfiguration(AuthTypes.user_managed_identity, settings.app_id, settings.app_tenant_id)
    tenant = settings.app_tenant_id if settings.app_type == "SingleTenant" else MULTI_TENANT_AUTHORITY_TENANT
    return AgentAuthConfiguration(AuthTypes.client_secret, settings.app_id, tenant, settings.app_password)


def create_agents_adapter(settings: Settings) -> CloudAdapter:
    manager = MsalConnectionManager(connections_configurations={SERVICE_CONNECTION: _connection(settings)})
    adapter = CloudAdapter(connection_manager=manager)
    adapter.on_turn_error = report_turn_failure  # the SDK's own posts the exception text to the user
    return adapter


def _card_activity(card: Card) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def _typing() -> Activity:
    return Activity(type=ActivityTypes.typing)


class AgentsTurn(ContextTurn):
    """The port's Turn over the Agents SDK's TurnContext."""

    def _reference_of(self, activity: Activity) -> dict[str, Any]:
        return dict(activity.get_conversation_reference().model_dump(mode="json", by_alias=True, exclude_none=True))

    def _card(self, card: Card) -> Activity:
        return _card_activity(card)

    def _typing(self) -> Activity:
        return _typing()

class AgentsOutbox(ContinuationOutbox):
    """The port's Outbox: `continue_conversation` on the adapter, from a stored reference."""

    def __init__(self, adapter: CloudAdapter, *, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id

    async def _continue(self, reference: Reference, callback: Callable[[TurnContext], Awaitable[None]]) -> None:
        continuation = ConversationReference.model_validate(dict(reference)).get_continuation_activity()
        if self._app_id:
            await self._adapter.continue_conversation(self._app_id, continuation, callback)
        else:
            # Local mode: an empty identity is anonymous and sends no token; the app-id form would build
            # claims and ask MSAL for one, which fails without a registration.
            await self._adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, callback)

    def _card(self, card: Card) -> Activity:
        return _card_activity(card)

    def _typing(self) -> Activity:
        return _typing()

    def _is_gone(self, error: Exception) -> bool:
        return isinstance(error, aiohttp.ClientResponseError) and error.status == HTTPStatus.NOT_FOUND


async def _is_guest(guests: GuestCheck, context: TurnContext) -> bool:
    activity = context.activity
    sender = activity.from_property
    sender_id = sender.id if sender else None

    async def roster() -> str | None:
        connector = context.services.get(ConnectorClientBase)
        member = await connector.conversations.get_conversation_member(activity.conversation.id, sender_id)
        return (member.model_extra or {}).get("userRole")

    # The SDK's ChannelAccount keeps fields it does not model (userRole) in model_extra.
    return await guests.is_guest(kind=activity.type, conversation_id=activity.conversation.id, sender_id=sender_id,
                                 said_role=(sender.model_extra or {}).get("userRole") if sender else None,
                                 roster=roster)


class AgentsBot:
    """Each activity handed to the router as a Turn, dispatched here rather than by the SDK's ActivityHandler
    or AgentApplication (see the module's docstring)."""

    def __init__(self, router: Router, *, guests: GuestCheck | None = None) -> None:
        self._router = router
        self._guests = guests  # None: guests are allowed (ALLOW_GUESTS)

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        turn = AgentsTurn(context)
        message = activity.type == ActivityTypes.message
        if not self._router.admits(turn.caller):
            card = await self._router.refuse_foreign(turn, message=message)
            if activity.type == ActivityTypes.invoke:
                await self._answer(context, HTTPStatus.OK, invoke_body(card))
            return  # nothing else happens: no handler, no state written
        if self._guests is not None and await _is_guest(self._guests, context):
            card = await self._router.refuse_guest(turn, message=message)
            if activity.type == ActivityTypes.invoke:
                await self._answer(context, HTTPStatus.OK, invoke_body(card))
            return
        if activity.type == ActivityTypes.message:
            await self._router.on_message(turn)
        elif activity.type == ActivityTypes.invoke:
            await self._on_invoke(context, turn)
        elif activity.type == ActivityTypes.installation_update:
            if activity.action in ("add", "add-upgrade"):  # botbuilder's on_installation_update_add
                await self._router.welcome(turn)
        elif activity.type == ActivityTypes.conversation_update:
            bot_id = activity.recipient.id if activity.recipient else None
            if bot_id and any(m.id == bot_id for m in activity.members_added or []):
                await self._router.welcome(turn)

    async def _on_invoke(self, context: TurnContext, turn: AgentsTurn) -> None:
        activity = context.activity
        if activity.name != CARD_ACTION:
            # Teams only sends the invokes an app declares; anything else is malformed input, not a fault.
            await self._answer(context, HTTPStatus.BAD_REQUEST, unsupported_invoke(activity.name))
        elif not is_card_execute(activity):
            log.info("malformed card action refused")
            await self._answer(context, HTTPStatus.OK, invoke_body(self._router.unknown_card("")))
        else:
            await self._answer(context, HTTPStatus.OK, invoke_body(await self._router.on_click(turn)))

    @staticmethod
    async def _answer(context: TurnContext, status: int, body: Mapping[str, Any]) -> None:
        await context.send_activity(Activity(type=ActivityTypes.invoke_response,
                                             value=InvokeResponse(status=status, body=dict(body))))


def _malformed(error: ValidationError) -> MalformedActivity:
    """Which fields are wrong, by name only (their values are the caller's input)."""
    fields = sorted({".".join(str(part) for part in e["loc"])[:60] for e in error.errors()})[:5]
    return MalformedActivity(f"wrong type or value for {', '.join(fields) or 'the activity'}")


class AgentsEdge:
    """The endpoint's Edge on the Agents SDK: parse, run the turn with the verified token's claims (an empty,
    anonymous identity in local mode), answer the invoke."""

    def __init__(self, adapter: CloudAdapter, bot: AgentsBot) -> None:
        self._adapter = adapter
        self._bot = bot

    async def run(self, request: web.Request, body: dict[str, Any],
                  claims: Mapping[str, Any] | None) -> web.StreamResponse | None:
        try:
            activity = Activity.model_validate(body)
        except ValidationError as error:
            raise _malformed(error) from None
        identity = ClaimsIdentity(dict(claims), authentication_type="Bearer") if claims else ClaimsIdentity()
        response = await self._adapter.process_activity(identity, activity, self._bot.on_turn)
        if response is None:
            return None
        if response.body is None:
            # Only when the turn failed before it answered (the turn-error handler logged why): the SDK's
            # answer would be an empty 501.
            return web.json_response({"error": "the bot could not answer this invoke"}, status=response.status)
        return web.json_response(response.body, status=response.status or HTTPStatus.OK)
