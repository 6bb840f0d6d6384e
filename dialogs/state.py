"""What the chat remembers between turns, per conversation and per person: the question open (an open
question belongs to the person who asked for it: in a group chat, someone else's answer is not theirs),
the last tenant that worked, and the last move plan made there (what `cancel` stops after a question).

Kept in the project's store (collection `chatstate`), so it survives restarts and is shared by every bot
instance; each change is a compare-and-swap on the record's etag, retried on the fresh record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.access import Caller
from bot.port import Turn
from migration.model.codec import decode, to_json
from migration.model.store import ConcurrencyError, DocumentStore

CHAT_STATE = "chatstate"
_ATTEMPTS = 10  # a handful of turns of one person at once; more means something is broken


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    flow: str  # "attach", "assess" or "move": what the answer is for
    step: str = "tenant"  # what is asked


@dataclass(frozen=True, slots=True)
class ChatState:
    question: OpenQuestion | None = None
    tenant_id: str | None = None  # later questions default to the tenant that last worked
    plan_id: str | None = None  # the last move plan this person made in this conversation


@dataclass(frozen=True, slots=True)
class ChatKey:
    conversation_id: str
    person_id: str

    @classmethod
    def of(cls, turn: Turn) -> ChatKey:
        return cls(turn.conversation.id, person_id(turn.caller))

    def __str__(self) -> str:
        return f"{self.conversation_id}|{self.person_id}"


def person_id(caller: Caller) -> str:
    return caller.user_id or caller.mri or "unknown"


class ChatStates:
    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def get(self, key: ChatKey) -> ChatState:
        record = await self._store.get(CHAT_STATE, str(key))
        return decode(ChatState, record.value) if record else ChatState()

    async def update(self, key: ChatKey, change: Callable[[ChatState], ChatState]) -> ChatState:
        """Apply `change` to the state as stored, compare-and-swap; nothing is written when it changes
        nothing (a turn that asks and remembers nothing leaves no record)."""
        for _ in range(_ATTEMPTS):
            record = await self._store.get(CHAT_STATE, str(key))
            current = decode(ChatState, record.value) if record else ChatState()
            changed = change(current)
            if changed == current:
                return current
            try:
                await self._store.put(CHAT_STATE, str(key), to_json(changed), etag=record.etag if record else "")
            except ConcurrencyError:
                continue
            return changed
        raise RuntimeError(f"chat state {key}: too much contention")

    async def ask(self, key: ChatKey, flow: str) -> None:
        await self.update(key, lambda s: replace(s, question=OpenQuestion(flow)))

    async def close_question(self, key: ChatKey) -> None:
        await self.update(key, lambda s: replace(s, question=None))
