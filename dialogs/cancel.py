"""What `cancel` and the "Cancel" buttons stop, decided here and nowhere else.

`cancel` stops, in this order: the caller's open question in this conversation; else the move plan they
made here last (while it is a draft); else their newest request that can still be cancelled. `cancel <id>`
and a card's button name the plan or request: a draft under that id, else the request. Whether the caller
may cancel what is named (the person who made the plan, the person who asked for the request) is the
routes' guard (`bot/guards.py`); the request's own state is the workflow's to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.access import person_of
from bot.commands import Command
from bot.port import Card, Turn
from cards.messages import error_card
from dialogs.decisions import DecisionFlow, missing_request_card
from dialogs.state import ChatKey, ChatStates
from migration.application.decisions import RequestDecisions
from migration.application.move_plans import MovePlans
from migration.application.move_submission import MoveSubmission
from migration.model import RequestState
from migration.model.records import StoredRequest
from migration.planning.drafts import Draft

_CANCELLABLE = frozenset({RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.APPROVED})


@dataclass(frozen=True, slots=True)
class Cancellable:
    """What a cancel names: a plan (draft) or a request; neither when nothing fits."""

    draft: Draft | None = None
    request: StoredRequest | None = None


class CancelFlow:
    def __init__(self, *, chats: ChatStates, plans: MovePlans, submission: MoveSubmission,
                 decisions: RequestDecisions, answers: DecisionFlow) -> None:
        self._chats = chats
        self._plans = plans
        self._submission = submission
        self._decisions = decisions
        self._answers = answers

    async def named(self, request_id: object) -> Cancellable:
        """The plan or request an id names (a plan keeps its id when it becomes a request)."""
        draft = await self._plans.find_draft(request_id)
        if draft is not None:
            return Cancellable(draft=draft)
        return Cancellable(request=await self._decisions.find(request_id if isinstance(request_id, str) else None))

    async def cancel_command(self, turn: Turn, command: Command) -> None:
        if command.args:
            await self._cancel_text(turn, await self.named(command.args[0]))
            return
        key = ChatKey.of(turn)
        state = await self._chats.get(key)
        if state.question is not None:
            await self._chats.close_question(key)
            await turn.reply("Stopped. Nothing was changed. Type `help` to start again.")
            return
        draft = await self._plans.find_draft(state.plan_id) if state.plan_id else None
        if draft is not None and draft.request.requested_by.id == person_of(turn.caller).id:
            await self._chats.update(key, lambda s: replace(s, plan_id=None))
            await self._cancel_text(turn, Cancellable(draft=draft))
            return
        newest = await self._decisions.named_or_newest(None, requester_id=turn.caller.user_id,
                                                       wanted=lambda s: s.state in _CANCELLABLE)
        await self._cancel_text(turn, Cancellable(request=newest))

    async def _cancel_text(self, turn: Turn, named: Cancellable) -> None:
        if named.draft is not None:
            await self._submission.cancel_draft(named.draft.request.id, by=person_of(turn.caller))
            await turn.reply(f"Move plan {named.draft.request.id} was cancelled. Nothing was moved.")
            return
        stored = named.request
        if stored is None:
            await turn.reply("You have no move request that can still be cancelled.")
            return
        outcome = await self._answers.cancel(turn, stored)
        if outcome.changed and outcome.stored is not None:
            self._answers.update_shared_later(outcome.stored)
            await turn.reply(f"Move request {stored.id} is cancelled. Nothing was moved.")
        elif outcome.refusal:
            await turn.reply(f"Not allowed: {outcome.refusal} Nothing was changed.")
        else:
            await turn.reply(outcome.note or "Nothing was changed.")

    async def cancel_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        named = await self.named(data.get("requestId"))
        if named.draft is not None:
            request = named.draft.request
            await self._submission.cancel_draft(request.id, by=person_of(turn.caller))
            return error_card(f"Move plan {request.id} was cancelled. Nothing was moved.",
                              "Type move to plan another one.", title="Cancelled")
        if named.request is None:
            return missing_request_card()
        return await self._answers.answer(await self._answers.cancel(turn, named.request), turn.caller)
