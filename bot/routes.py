"""The route registry: every chat command and card verb, registered once with its handler and its guard,
and the dispatch of a turn to them.

A guard says who may use a route (engineers only, approvers only, the person who made this plan...). It is
declared where the route is registered (`bot/route_table.py`) and runs before the handler; a refusal is
shown as the guard words it and, when it concerns a move request, audited once, here. Registering a
command or verb twice is a mistake in the table: it raises at start-up, so which handler answers is never
decided by the order of registrations.

Before any route: the Teams tenant allow-list. A person of another tenant gets one refusal, nothing is
stored, and a click of theirs on a real move request is audited.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.access import AccessPolicy, Caller
from bot.commands import COMMANDS, Command, parse_command
from bot.port import Card, Turn
from cards.messages import error_card, not_allowed_card, unknown_action_card

log = logging.getLogger(__name__)

CommandHandler = Callable[[Turn, Command], Awaitable[None]]  # replies itself
VerbHandler = Callable[[Turn, Mapping[str, Any]], Awaitable[Card]]  # the card that replaces the clicked one
TextHandler = Callable[[Turn, str], Awaitable[bool]]  # free text (no @mention): False when it answered nothing
TurnHandler = Callable[[Turn], Awaitable[None]]
Subject = Command | Mapping[str, Any]  # what a guard judges: the command typed, or the click's data
FOREIGN_TENANT = "Your organisation may not use this bot."
GUESTS_REFUSED = "guests of the partner's organisation may not use this bot."


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a guard refuses the caller: what they are shown, and what the request's audit trail records."""

    reason: str
    card: Card | None = None  # shown for a click (and for a command, unless `text` is set)
    text: str | None = None  # a command's answer as a sentence
    request_id: str | None = None  # the move request the refusal is audited on; None: not audited
    audit: Mapping[str, Any] = field(default_factory=dict)  # the audit entry's detail


Guard = Callable[[Turn, Subject], Awaitable[Refusal | None]]


class RefusalAudit(Protocol):
    async def refused(self, caller: Caller, request_id: str, detail: Mapping[str, Any]) -> None:
        """Record a refused attempt on the request (nothing when no such request exists)."""


class DuplicateRoute(ValueError):
    """A command or verb registered a second time."""


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    handler: Any  # CommandHandler or VerbHandler
    guard: Guard | None


class Routes:
    """The registry. Each command, verb, the free-text handler and the greeting are registered once."""

    def __init__(self) -> None:
        self._commands: dict[str, Route] = {}
        self._verbs: dict[str, Route] = {}
        self._free_text: TextHandler | None = None
        self._greeting: TurnHandler | None = None

    def command(self, name: str, handler: CommandHandler, *, guard: Guard | None = None) -> None:
        if name not in COMMANDS:
            raise ValueError(f"{name!r} is not a chat command (bot/commands.py lists them)")
        self._add(self._commands, "command", Route(name, handler, guard))

    def verb(self, verb: str, handler: VerbHandler, *, guard: Guard | None = None) -> None:
        self._add(self._verbs, "verb", Route(verb, handler, guard))

    def free_text(self, handler: TextHandler) -> None:
        if self._free_text is not None:
            raise DuplicateRoute("free text already has a handler")
        self._free_text = handler

    def greeting(self, handler: TurnHandler) -> None:
        if self._greeting is not None:
            raise DuplicateRoute("the greeting already has a handler")
        self._greeting = handler

    @staticmethod
    def _add(table: dict[str, Route], kind: str, route: Route) -> None:
        if route.name in table:
            raise DuplicateRoute(f"{kind} {route.name!r} is registered twice")
        table[route.name] = route

    @property
    def commands(self) -> Mapping[str, Route]:
        return dict(self._commands)

    @property
    def verbs(self) -> Mapping[str, Route]:
        return dict(self._verbs)

    @property
    def text_handler(self) -> TextHandler | None:
        return self._free_text

    @property
    def greeting_handler(self) -> TurnHandler | None:
        return self._greeting


class Router:
    """Hands a turn to its route, after the tenant allow-list and the route's guard."""

    def __init__(self, routes: Routes, *, policy: AccessPolicy, audit: RefusalAudit) -> None:
        self._routes = routes
        self._policy = policy
        self._audit = audit

    def admits(self, caller: Caller) -> bool:
        return self._policy.tenant_allowed(caller)

    async def refuse_foreign(self, turn: Turn, *, message: bool) -> Card:
        """Someone of a tenant outside ALLOWED_TENANT_IDS: a message gets one sentence; a click gets the
        refusal card (returned), audited when it names a real request."""
        log.warning("refused an activity from tenant %s (not in ALLOWED_TENANT_IDS)", turn.caller.tenant_id)
        if message:
            await turn.reply("Sorry, this bot is only for the partner's own team, and your organisation is not on "
                             "its list. Nothing was done.")
        click = turn.click
        if click is not None:
            request_id = click.data.get("requestId")
            if isinstance(request_id, str) and request_id.strip():
                await self._audit.refused(turn.caller, request_id,
                                          {"verb": click.verb[:60], "reason": "tenant not allowed"})
        return not_allowed_card(FOREIGN_TENANT)

    async def refuse_guest(self, turn: Turn, *, message: bool) -> Card:
        """A guest of the partner's tenant (ALLOW_GUESTS is off): one refusal, nothing stored; a click naming a
        real request is audited on it."""
        log.warning("refused an activity from a guest of tenant %s", turn.caller.tenant_id)
        if message:
            await turn.reply(f"Sorry, {GUESTS_REFUSED} Nothing was done.")
        click = turn.click
        if click is not None:
            request_id = click.data.get("requestId")
            if isinstance(request_id, str) and request_id.strip():
                await self._audit.refused(turn.caller, request_id, {"verb": click.verb[:60], "reason": "guest"})
        return not_allowed_card(GUESTS_REFUSED, what_to_do="Ask the partner's bot administrator.")

    async def welcome(self, turn: Turn) -> None:
        if self._routes.greeting_handler is not None:
            await self._routes.greeting_handler(turn)

    @staticmethod
    def unknown_card(verb: str) -> Card:
        return unknown_action_card(verb[:60])

    async def _refused(self, turn: Turn, guard: Guard | None, subject: Subject) -> Refusal | None:
        refusal = await guard(turn, subject) if guard is not None else None
        if refusal is not None and refusal.request_id is not None:
            await self._audit.refused(turn.caller, refusal.request_id, refusal.audit)
        return refusal

    async def on_message(self, turn: Turn) -> None:
        command = parse_command(turn.text)
        route = self._routes.commands.get(command.name)
        if route is not None:
            refusal = await self._refused(turn, route.guard, command)
            if refusal is None:
                await route.handler(turn, command)
            elif refusal.text is not None:
                await turn.reply(refusal.text)
            else:
                await turn.reply_card(refusal.card or not_allowed_card(refusal.reason))
            return
        answer = self._routes.text_handler
        if command.name == "" and answer is not None and await answer(turn, command.text):
            return
        if not command.text:
            return  # e.g. an Action.Submit fallback with no text: nothing to answer
        word = command.text.split()[0][:40]
        guess = difflib.get_close_matches(word.lower(), COMMANDS, n=1, cutoff=0.6)
        hint = f"Did you mean `{guess[0]}`? " if guess else ""
        await turn.reply(f"I don't know the command '{word}'. {hint}Type `help` to see what I can do.")

    async def on_click(self, turn: Turn) -> Card:
        click = turn.click
        verb = click.verb if click is not None else ""
        route = self._routes.verbs.get(verb)
        if click is None or route is None:
            log.info("unknown card verb %r", verb[:60])
            return self.unknown_card(verb)
        try:
            refusal = await self._refused(turn, route.guard, click.data)
            if refusal is not None:
                return refusal.card or not_allowed_card(refusal.reason)
            card: Card = await route.handler(turn, click.data)
            return card
        except Exception:
            # The click still gets a card (never an HTTP error Teams shows as "Something went wrong").
            log.exception("card action %s failed", verb)
            return error_card("I could not finish that. Nothing was changed.", "Try again, or type help.",
                              title="Sorry")
