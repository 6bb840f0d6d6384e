"""The Teams edge: every activity enters here, is checked against the tenant allow-list, and is routed
to a chat command or, for card clicks, to the handler registered for the button's verb."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botbuilder.core import ActivityHandler, CardFactory, ConversationState, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    ChannelAccount,
    InvokeResponse,
)

from bot.access import AccessPolicy, Caller, caller_of
from bot.commands import COMMANDS, Command, parse_command
from cards.help import help_card
from cards.messages import error_card, not_allowed_card, unknown_action_card
from migration.model.store import ConcurrencyError, DocumentStore

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
WELCOMED = "welcomed"

# A chat command handler: (turn, caller, command) -> None (it replies itself).
CommandHandler = Callable[[TurnContext, Caller, Command], Awaitable[None]]
# A card click handler: (turn, caller, data) -> the card that replaces the clicked one.
VerbHandler = Callable[[TurnContext, Caller, Mapping[str, Any]], Awaitable[dict[str, Any]]]
# A refused click (foreign tenant): (caller, verb, data) -> None, for the audit trail.
RefusalHandler = Callable[[Caller, str, Mapping[str, Any]], Awaitable[None]]
# Free text while a question is open: returns False when no question was open.
TextHandler = Callable[[TurnContext, Caller, str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Routes:
    commands: Mapping[str, CommandHandler]
    verbs: Mapping[str, VerbHandler]
    on_text: TextHandler | None = None


def card_reply(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


class MigrationBot(ActivityHandler):
    def __init__(
        self,
        *,
        conversation_state: ConversationState,
        store: DocumentStore,
        policy: AccessPolicy,
        sandbox: bool,
        routes: Routes | None = None,
        on_refused: RefusalHandler | None = None,
    ) -> None:
        self._state = conversation_state
        self._store = store
        self._policy = policy
        self._sandbox = sandbox
        self._routes = routes or Routes(commands={}, verbs={})
        self._on_refused = on_refused

    # ------------------------------------------------------------------ turn

    async def on_turn(self, turn_context: TurnContext) -> None:
        caller = caller_of(turn_context.activity)
        if not self._policy.tenant_allowed(caller):
            await self._refuse(turn_context, caller)
            return  # nothing else happens: no handler, no state written
        await super().on_turn(turn_context)
        await self._state.save_changes(turn_context)

    async def _refuse(self, turn_context: TurnContext, caller: Caller) -> None:
        activity = turn_context.activity
        log.warning("refused %s activity from tenant %s (not in ALLOWED_TENANT_IDS)", activity.type, caller.tenant_id)
        if activity.type == ActivityTypes.message:
            await turn_context.send_activity(
                "Sorry, this bot is only for the partner's own team, and your organisation is not on its "
                "list. Nothing was done."
            )
        elif activity.type == ActivityTypes.invoke:
            await self._send_invoke_card(turn_context, not_allowed_card("Your organisation may not use this bot."))
            value = activity.value if isinstance(activity.value, dict) else {}
            action = value.get("action") if isinstance(value.get("action"), dict) else {}
            data = action.get("data") if isinstance(action.get("data"), dict) else {}
            if self._on_refused is not None:
                await self._on_refused(caller, str(action.get("verb") or ""), data)

    @staticmethod
    async def _send_invoke_card(turn_context: TurnContext, card: dict[str, Any]) -> None:
        body = {"statusCode": 200, "type": CARD, "value": card}
        await turn_context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
        )

    # ------------------------------------------------------------------ welcome

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome_once(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in members_added):
            await self._welcome_once(turn_context)

    async def _welcome_once(self, turn_context: TurnContext) -> None:
        # Teams (and the Playground on every page load) sends installationUpdate and conversationUpdate
        # at the same moment; an insert-if-absent in the store lets exactly one of them greet.
        conversation = turn_context.activity.conversation.id
        try:
            await self._store.put(
                WELCOMED,
                conversation,
                {"at": turn_context.activity.timestamp and str(turn_context.activity.timestamp)},
                etag="",
            )
        except ConcurrencyError:
            return
        await turn_context.send_activity(card_reply(help_card(sandbox=self._sandbox)))

    # ------------------------------------------------------------------ messages

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        caller = caller_of(turn_context.activity)
        command = parse_command(turn_context.activity.text)
        if command.name == "help":
            await turn_context.send_activity(card_reply(help_card(sandbox=self._sandbox)))
            return
        handler = self._routes.commands.get(command.name)
        if handler is not None:
            await handler(turn_context, caller, command)
            return
        if command.name == "" and self._routes.on_text is not None:
            if await self._routes.on_text(turn_context, caller, command.text):
                return
        if not command.text:
            return  # e.g. an Action.Submit fallback with no text: nothing to answer
        word = command.text.split()[0][:40]
        guess = difflib.get_close_matches(word.lower(), COMMANDS, n=1, cutoff=0.6)
        hint = f"Did you mean `{guess[0]}`? " if guess else ""
        await turn_context.send_activity(f"I don't know the command '{word}'. {hint}Type `help` to see what I can do.")

    # ------------------------------------------------------------------ card clicks

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        activity = turn_context.activity
        if activity.name == "adaptiveCard/action":
            value = activity.value if isinstance(activity.value, dict) else {}
            action = value.get("action")
            if not isinstance(action, dict) or action.get("type") != "Action.Execute":
                # botbuilder would answer a malformed click with an error body it cannot serialize
                # (HTTP 500); the user gets the same card as for a button the bot does not know.
                log.info("malformed card action refused")
                body = {"statusCode": 200, "type": CARD, "value": unknown_action_card("")}
                return InvokeResponse(status=200, body=body)
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == HTTPStatus.NOT_IMPLEMENTED:
            # Teams only sends the invokes an app declares; anything else is malformed input, not a
            # server fault.
            return InvokeResponse(status=400, body={"error": f"unsupported invoke {str(activity.name)[:60]!r}"})
        return response

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        action = invoke_value.action if isinstance(invoke_value.action, dict) else {}
        verb = action.get("verb") if isinstance(action.get("verb"), str) else ""
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        handler = self._routes.verbs.get(verb)
        if handler is None:
            log.info("unknown card verb %r", verb[:60])
            card = unknown_action_card(verb[:60])
        else:
            try:
                card = await handler(turn_context, caller_of(turn_context.activity), data)
            except Exception:
                # The click still gets a card (never an HTTP error Teams shows as "Something went wrong").
                log.exception("card action %s failed", verb)
                card = error_card(
                    "I could not finish that. Nothing was changed.", "Try again, or type help.", title="Sorry"
                )
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=card)
