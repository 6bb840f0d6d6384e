"""Clicks on a move request's card: approve, reject, cancel, the automatic refresh, status, check access
again. Who may decide is the routes' guard (`bot/guards.py`); the decision itself is the decisions
service's (one compare-and-swap). Each click is answered at once with the card the clicker should now see;
the shared card is brought up to date in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from bot.access import Caller, CustomerScope, person_of
from bot.notifier import Notifier, progress_card, with_note
from bot.port import Card, Turn
from cards.messages import error_card
from migration.application.decisions import Recheck, RequestDecisions
from migration.application.reads import ReadAudit
from migration.model.records import Actor, Outcome, StoredRequest

log = logging.getLogger(__name__)

_RECHECKED = {
    Recheck.NOW: "Checking access again now. This card updates when the move carries on.",
    Recheck.BY_ITSELF: "The move checks access again by itself at the time shown (another bot instance runs it).",
}


def missing_request_card() -> Card:
    return error_card("I cannot find this move request.",
                      "Type history to see the requests, then status followed by an id.",
                      title="Unknown move request")


class DecisionFlow:
    def __init__(self, *, decisions: RequestDecisions, notifier: Notifier, scope: CustomerScope,
                 reads: ReadAudit) -> None:
        self._decisions = decisions
        self._reads = reads
        self._notifier = notifier
        self._scope = scope  # who approves for the request's customer
        self._background: set[asyncio.Task[None]] = set()

    async def drain(self) -> None:
        """Wait for the background card updates (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def seen(self, turn: Turn) -> None:
        """Remember where this person talks to the bot (the reports go there), and an approver's Teams id."""
        await self._notifier.remember(turn)
        if await self._scope.approves_anywhere(turn.caller):
            await self._notifier.learn_approver(turn.caller.mri)

    async def view(self, stored: StoredRequest, caller: Caller) -> Card:
        return await self._notifier.view(stored, person_id=caller.user_id,
                                         may_approve=await self._scope.may_approve(caller, stored.request.tenant_id))

    def update_shared_later(self, stored: StoredRequest) -> None:
        task = asyncio.create_task(self._update_shared(stored))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _update_shared(self, stored: StoredRequest) -> None:
        try:
            await self._notifier.update_card(stored)
        except Exception:  # noqa: BLE001 - the clicker already has the new card; others refresh later
            log.exception("move %s: could not update the shared approval card", stored.id)

    async def answer(self, outcome: Outcome, caller: Caller) -> Card:
        if outcome.stored is None:
            return missing_request_card()
        if outcome.changed:
            self.update_shared_later(outcome.stored)
        card = await self.view(outcome.stored, caller)
        if outcome.refusal:
            return with_note(card, f"Not allowed: {outcome.refusal} Nothing was changed.", attention=True)
        if outcome.note:
            return with_note(card, outcome.note)
        return card

    # ------------------------------------------------------------------ card clicks

    async def approve(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        stored = await self._decisions.find(data.get("requestId"))
        if stored is None:
            return missing_request_card()
        await self.seen(turn)
        return await self.answer(await self._decisions.approve(stored.id, await self._actor(turn, stored)),
                                 turn.caller)

    async def reject(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        stored = await self._decisions.find(data.get("requestId"))
        if stored is None:
            return missing_request_card()
        await self.seen(turn)
        comment = data.get("comment") if isinstance(data.get("comment"), str) else ""
        return await self.answer(await self._decisions.reject(stored.id, await self._actor(turn, stored),
                                                              str(comment)), turn.caller)

    async def cancel(self, turn: Turn, stored: StoredRequest) -> Outcome:
        """The request cancelled by the caller (`dialogs/cancel.py` decides what is cancelled)."""
        await self.seen(turn)
        return await self._decisions.cancel(stored.id, await self._actor(turn, stored))

    async def _actor(self, turn: Turn, stored: StoredRequest) -> Actor:
        return await self._scope.actor(turn.caller, stored.request.tenant_id)

    async def refresh(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        # Teams sends this on its own (trigger "automatic"): read-only, whatever the data says.
        stored = await self._decisions.find(data.get("requestId"))
        if stored is None:
            return missing_request_card()
        if await self._scope.may_approve(turn.caller, stored.request.tenant_id):
            await self._notifier.learn_approver(turn.caller.mri)
        await self.viewed(turn, stored, view="card")
        return await self.view(stored, turn.caller)

    async def viewed(self, turn: Turn, stored: StoredRequest, *, view: str) -> None:
        await self._reads.request_viewed(stored, by=person_of(turn.caller), tenant_id=turn.caller.tenant_id,
                                         view=view)

    async def status_click(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        stored = await self._decisions.find(data.get("requestId"))
        if stored is None:
            return missing_request_card()
        await self.viewed(turn, stored, view="status")
        return progress_card(stored)

    async def recheck(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        """Check again: a move waiting for access tries its step again now instead of at the next backoff."""
        stored = await self._decisions.find(data.get("requestId"))
        if stored is None:
            return missing_request_card()
        rechecked = await self._decisions.recheck(stored, by=person_of(turn.caller), tenant_id=turn.caller.tenant_id)
        if rechecked is Recheck.NOT_WAITING:
            return with_note(await self.view(stored, turn.caller), "This move is not waiting for access.")
        return with_note(progress_card(stored), _RECHECKED[rechecked])
