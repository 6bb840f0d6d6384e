"""The port's Turn over an SDK's TurnContext and its Outbox over `continue_conversation`, written once for both
Teams edges: each edge says how a card, typing and a conversation reference are built, how to reach a stored
conversation, and which error means "Teams lost the message". Both SDKs' TurnContext and Activity have the
same attribute names (`send_activity`, `update_activity`, `conversation.conversation_type`, `text`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from bot.access import Caller
from bot.edge_shared import caller_of, click_of
from bot.port import Card, CardClick, CardGone, Conversation
from bot.port import ConversationReference as Reference

# The SDK's TurnContext; both SDKs' have send_activity / update_activity.
Logic = Callable[[Any], Awaitable[None]]


class ContextTurn(ABC):
    """The port's Turn over an SDK's TurnContext."""

    def __init__(self, context: Any) -> None:
        self._context = context
        activity = context.activity
        self.caller: Caller = caller_of(activity)
        self.text: str = activity.text if isinstance(activity.text, str) else ""
        self.click: CardClick | None = click_of(activity)
        conversation = activity.conversation
        self.conversation = Conversation(id=str(getattr(conversation, "id", "") or ""),
                                         kind=getattr(conversation, "conversation_type", None))
        self._reference: dict[str, Any] | None = None

    @abstractmethod
    def _reference_of(self, activity: Any) -> dict[str, Any]:
        """The activity's conversation reference as Bot Framework wire JSON (camelCase): either edge reads it."""

    @abstractmethod
    def _card(self, card: Card) -> Any: ...

    @abstractmethod
    def _typing(self) -> Any: ...

    @property
    def reference(self) -> Reference:
        if self._reference is None:
            self._reference = self._reference_of(self._context.activity)
        return self._reference

    async def reply(self, text: str) -> str | None:
        response = await self._context.send_activity(text)
        return response.id if response else None

    async def reply_card(self, card: Card) -> str | None:
        response = await self._context.send_activity(self._card(card))
        return response.id if response else None

    async def typing(self) -> None:
        await self._context.send_activity(self._typing())


class ContinuationOutbox(ABC):
    @abstractmethod
    async def _continue(self, reference: Reference, callback: Logic) -> None:
        """Run `callback` in a turn of the conversation `reference` names."""

    @abstractmethod
    def _card(self, card: Card) -> Any: ...

    @abstractmethod
    def _typing(self) -> Any: ...

    @abstractmethod
    def _is_gone(self, error: Exception) -> bool:
        """The channel's 404 for a message it no longer has (ActivityNotFoundInConversation)."""

    async def _in(self, reference: Reference, logic: Logic) -> None:
        """Run `logic` in the conversation; its failure is raised here. The SDK would hand it to the adapter's
        turn-error handler, which logs and swallows it: the caller could never react (post a lost card again)."""
        failed: list[Exception] = []

        async def guarded(context: Any) -> None:
            try:
                await logic(context)
            except Exception as error:  # noqa: BLE001 - raised again below, outside the SDK's pipeline
                failed.append(error)

        await self._continue(reference, guarded)
        if failed:
            raise failed[0]

    async def send_card(self, reference: Reference, card: Card) -> str | None:
        sent: list[str | None] = []

        async def logic(context: Any) -> None:
            response = await context.send_activity(self._card(card))
            sent.append(response.id if response else None)

        await self._in(reference, logic)
        return sent[0] if sent else None

    async def update_card(self, reference: Reference, activity_id: str, card: Card) -> None:
        activity = self._card(card)
        activity.id = activity_id

        async def logic(context: Any) -> None:
            await context.update_activity(activity)

        try:
            await self._in(reference, logic)
        except Exception as error:
            if self._is_gone(error):
                raise CardGone(activity_id) from None
            raise

    async def typing(self, reference: Reference) -> None:
        async def logic(context: Any) -> None:
            await context.send_activity(self._typing())

        await self._in(reference, logic)
