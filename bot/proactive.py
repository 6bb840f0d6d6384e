"""Work after the turn: background tasks that post or update cards in a conversation later.

Answer fast, work later: a handler replies at once (a progress card) and hands the slow part to
`spawn`; the task reaches the conversation again through its stored reference.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.port import Card, CardGone, ConversationReference, Outbox
from telemetry import background_job

log = logging.getLogger(__name__)


class Proactive:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._tasks: set[asyncio.Task[Any]] = set()
        # (conversation, message Teams lost) -> the message posted in its place: later updates go there.
        self._replaced: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ sending

    async def send_card(self, reference: ConversationReference, card: Card) -> str | None:
        return await self._outbox.send_card(reference, card)

    async def send_typing(self, reference: ConversationReference) -> None:
        await self._outbox.typing(reference)

    async def update_card(self, reference: ConversationReference, activity_id: str, card: Card) -> str | None:
        """Replace the card in place; if Teams lost the message (CardGone), post it again, once: later updates
        of the lost message go to the new one. Returns the id of the message that now shows the card. Any
        other failure is raised (posting again would show the card twice)."""
        conversation = str((reference.get("conversation") or {}).get("id") or "")
        shown = self._replaced.get((conversation, activity_id), activity_id)
        try:
            await self._outbox.update_card(reference, shown, card)
            return shown
        except CardGone:
            log.warning("card message %s is gone from its conversation (Teams answered 404): posting it again",
                        shown)
        posted = await self.send_card(reference, card)
        if posted:
            self._replaced[(conversation, activity_id)] = self._replaced[(conversation, shown)] = posted
        return posted

    def live_card(self, reference: ConversationReference, activity_id: str) -> LiveCard:
        return LiveCard(self, reference, activity_id)

    # ------------------------------------------------------------------ tasks

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        # A trace of its own per job, named for its kind ("dry run <request>" -> "job dry run").
        task = asyncio.create_task(background_job(name.rsplit(" ", 1)[0], work), name=name)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed: %s", task.get_name(), type(task.exception()).__name__)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for running tasks (tests), then cancel what is left (shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()


class LiveCard:
    """One card that background work updates in place: progress while it runs, then its final card.

    Progress is fire-and-forget with at most one update in flight (a burst collapses into the latest);
    `finish` waits for the one in flight, and from then on progress is ignored. So no progress update can
    land after the final card, whichever way the work ended.
    """

    def __init__(self, proactive: Proactive, reference: ConversationReference, activity_id: str) -> None:
        self._proactive = proactive
        self._reference = reference
        self.activity_id = activity_id
        self._latest: Card | None = None
        self._sending: asyncio.Task[None] | None = None
        self._final = False

    def progress(self, card: Card) -> None:
        if self._final:
            return
        self._latest = card
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._drain(), name=f"progress {self.activity_id}")

    async def _drain(self) -> None:
        while self._latest is not None and not self._final:
            card, self._latest = self._latest, None
            try:
                self.activity_id = await self._proactive.update_card(self._reference, self.activity_id,
                                                                     card) or self.activity_id
            except Exception as error:  # noqa: BLE001 - a lost progress update is not worth stopping the work
                log.warning("progress update of card %s failed (%s)", self.activity_id, type(error).__name__)

    async def finish(self, card: Card) -> str | None:
        self._final, self._latest = True, None
        if self._sending is not None:
            await asyncio.gather(self._sending, return_exceptions=True)
        shown = await self._proactive.update_card(self._reference, self.activity_id, card)
        self.activity_id = shown or self.activity_id
        return shown
