"""Slow work behind a card (an assessment, a move plan, a dry run) that nothing leaves "running" for good.

While the work runs, a record in the store says so and is kept alive by a heartbeat. The work's end
removes it. A bot that stops gracefully marks its unfinished work as ended at once; one that crashed
stops the heartbeat. Either way, a sweep (at start-up and every `sweep_seconds`, by whichever bot
instance runs it) finds the record, and the card then says the work was interrupted and offers to run
it again. Records carry only the card's place and what to offer, never the work's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.port import ConversationReference
from bot.proactive import LiveCard, Proactive
from cards.messages import error_card
from migration.model.store import ConcurrencyError, DocumentStore

log = logging.getLogger(__name__)

BACKGROUND = "background"


class BackgroundWork:
    def __init__(self, store: DocumentStore, proactive: Proactive, *, alive_seconds: float = 90.0,
                 sweep_seconds: float = 60.0) -> None:
        self._store = store
        self._proactive = proactive
        self._alive = alive_seconds
        self._sweep_every = sweep_seconds
        self._loop: asyncio.Task[None] | None = None

    async def run(self, reference: ConversationReference, live: LiveCard, work: Callable[[], Awaitable[dict[str, Any]]],
                  *, what: str, again: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run `work` (which returns the final card) with a record of it kept alive until it ends."""
        key = _key(reference, live.activity_id)
        record = {"reference": dict(reference), "card_id": live.activity_id, "what": what,
                  "again": dict(again) if again else None}
        await self._store.put(BACKGROUND, key, {**record, "alive_until": self._until()})
        beat = asyncio.create_task(self._heartbeat(key, record))
        try:
            return await work()
        except asyncio.CancelledError:
            # Stopped with the bot: say so now rather than when the heartbeat would have lapsed.
            with contextlib.suppress(Exception):
                await self._store.put(BACKGROUND, key, {**record, "alive_until": _iso(datetime.now(UTC))})
            key = ""
            raise
        finally:
            beat.cancel()
            if key:
                with contextlib.suppress(ConcurrencyError, KeyError):
                    await self._store.delete(BACKGROUND, key)

    async def _heartbeat(self, key: str, record: dict[str, Any]) -> None:
        while True:
            await asyncio.sleep(self._alive / 3)
            try:
                await self._store.put(BACKGROUND, key, {**record, "alive_until": self._until()})
            except Exception:  # noqa: BLE001 - a missed beat is retried; the record lapses only after several
                log.warning("background work %s: heartbeat failed", key[:8])

    def _until(self) -> str:
        return _iso(datetime.now(UTC) + timedelta(seconds=self._alive))

    # ------------------------------------------------------------------ the sweep

    def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.create_task(self._sweeping(), name="background sweep")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None

    async def _sweeping(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - the store may be briefly unreachable; next time
                log.exception("background sweep failed")
            await asyncio.sleep(self._sweep_every)

    async def sweep(self) -> int:
        """Tell every card whose work stopped without ending that it was interrupted; returns how many."""
        now = _iso(datetime.now(UTC))
        told = 0
        for record in await self._store.list(BACKGROUND):
            value = record.value
            if str(value.get("alive_until") or "") > now:
                continue
            try:
                # Whoever deletes the record tells the card: of two sweeping bots, one does.
                await self._store.delete(BACKGROUND, record.key, etag=record.etag)
            except (ConcurrencyError, KeyError):
                continue
            again = value.get("again") or None
            card = error_card(
                f"{value.get('what') or 'This work'} was interrupted: the bot restarted before it finished. "
                "Nothing was changed in Azure.",
                "Click Run again to start it over." if again else "Type the command again to start it over.",
                title="Interrupted", retry_verb=again["verb"] if again else None,
                retry_data=again.get("data") if again else None, retry_title="Run again")
            try:
                await self._proactive.live_card(value["reference"], str(value["card_id"])).finish(card)
                told += 1
            except Exception:  # noqa: BLE001 - the card stays as it was; nothing else to do
                log.warning("could not mark an interrupted card")
        return told


def _key(reference: ConversationReference, card_id: str) -> str:
    conversation = str((reference.get("conversation") or {}).get("id") or "")
    return hashlib.sha256(f"{conversation}\n{card_id}".encode()).hexdigest()[:40]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")  # one width: compared as text
