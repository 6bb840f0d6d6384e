"""The edge port: what the chat flows need from a Teams SDK, and no type of the SDK itself.

A flow sees a `Turn`: who is speaking and from which tenant, what they typed or which button they clicked,
in which conversation; it answers through the turn (text, a card, typing). A card click is answered with
the card its handler returns: the edge puts it in the invoke's response. Work after the turn reaches the
conversation again through the `Outbox`, from the turn's `reference`, a plain JSON document stored as it
is (only the edge reads inside it).

Two edges implement the same two Protocols, chosen by BOT_SDK (`bot/edges.py`): botbuilder's
(`bot/teams_edge.py`) and the Microsoft 365 Agents SDK's (`bot/agents_edge.py`); nothing above them changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.access import Caller

Card = dict[str, Any]  # an Adaptive Card, as the `cards` package builds it
# Where a conversation is, as the edge serialised it: stored, then handed back to the edge as it is.
ConversationReference = Mapping[str, Any]


class CardGone(Exception):
    """The channel no longer has the message a card update names (Teams answers 404,
    ActivityNotFoundInConversation): the card can only be posted again."""


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str  # a channel's conversation id names the thread too
    kind: str | None  # "personal", "groupChat" or "channel"


@dataclass(frozen=True, slots=True)
class CardClick:
    verb: str
    data: Mapping[str, Any]  # the button's data, with the card's inputs merged in (untrusted)
    card_id: str | None  # the message that shows the card clicked (where background work puts its card)


class Turn(Protocol):
    """One activity from a person, and the way to answer it."""

    @property
    def caller(self) -> Caller: ...

    @property
    def text(self) -> str: ...  # what was typed ("" for a click)

    @property
    def click(self) -> CardClick | None: ...

    @property
    def conversation(self) -> Conversation: ...

    @property
    def reference(self) -> ConversationReference: ...

    async def reply(self, text: str) -> str | None:
        """A text message in the conversation; returns its id."""

    async def reply_card(self, card: Card) -> str | None:
        """A card in the conversation; returns the message's id (where later updates go)."""

    async def typing(self) -> None: ...


class Outbox(Protocol):
    """Messages outside a person's turn, to a conversation named by a stored reference."""

    async def send_card(self, reference: ConversationReference, card: Card) -> str | None:
        """Post a card; returns the message's id."""

    async def update_card(self, reference: ConversationReference, activity_id: str, card: Card) -> None:
        """Replace the card of a message in place; raises CardGone when the channel no longer has the message,
        and the channel's error for any other refusal."""

    async def typing(self, reference: ConversationReference) -> None: ...
