"""The indexes over move requests, so neither the runner nor `history` reads every request ever stored:
`active` (what the runner still has to do or report) and `timeline` (every request, newest first)."""

from __future__ import annotations

import contextlib

from migration.execution.stored import (
    ACTIVE,
    REQUESTS,
    SETTINGS,
    TIMELINE,
    Clock,
    is_active,
    read,
    stored_from_json,
    timeline_key,
)
from migration.model import MoveRequest
from migration.model.records import StoredRequest
from migration.model.store import ConcurrencyError, DocumentStore

_INDEXED = "request_indexes"  # settings key: the indexes cover every stored request


class RequestIndexes:
    def __init__(self, store: DocumentStore, *, clock: Clock) -> None:
        self._store = store
        self._now = clock
        self._indexed = False

    async def add(self, request: MoveRequest) -> None:
        """A new request on the timeline (before its record is written: a listed id may not exist, and
        readers skip it)."""
        await self._store.put(TIMELINE, timeline_key(request), {"request_id": request.id})

    async def mark_active(self, request_id: str) -> None:
        await self._store.put(ACTIVE, request_id, {})

    async def active_ids(self) -> list[str]:
        await self.ensure()
        return [entry.key for entry in await self._store.list(ACTIVE)]

    async def drop_active(self, request_id: str) -> None:
        with contextlib.suppress(ConcurrencyError):
            await self._store.delete(ACTIVE, request_id)

    async def reindex(self, stored: StoredRequest) -> None:
        """After a write: a request the runner has nothing more to do for leaves the active index."""
        if not is_active(stored):
            await self.drop_active(stored.id)

    async def ensure(self) -> None:
        """Requests stored before the indexes existed are indexed once."""
        if self._indexed:
            return
        if await self._store.get(SETTINGS, _INDEXED) is None:
            records = await self._store.list(REQUESTS)
            for record in records:
                stored = stored_from_json(record.value, record.etag)
                await self.add(stored.request)
                if is_active(stored):
                    await self.mark_active(stored.id)
            if records:  # an empty store has nothing to index, and stays empty until someone uses the bot
                await self._store.put(SETTINGS, _INDEXED, {"at": self._now().isoformat()})
        self._indexed = True

    async def timeline(self) -> list[str]:
        await self.ensure()
        seen: set[str] = set()
        out: list[str] = []
        for record in await self._store.list(TIMELINE):
            request_id = str(record.value.get("request_id") or "")
            if request_id and request_id not in seen:  # an id drawn twice (a collision) is listed once
                seen.add(request_id)
                out.append(request_id)
        return out

    async def history(self, *, limit: int, requester_id: str | None = None) -> list[StoredRequest]:
        """Requests, newest first (optionally only one person's); reads requests only until it has `limit`."""
        out: list[StoredRequest] = []
        for request_id in await self.timeline():
            stored = await read(self._store, request_id)
            if stored is not None and (not requester_id or stored.request.requested_by.id == requester_id):
                out.append(stored)
                if len(out) >= limit:
                    break
        return out

    async def history_page(self, page: int, *, per_page: int) -> tuple[list[StoredRequest], int]:
        """One page of every request, newest first, and how many there are: only that page is read."""
        ids = await self.timeline()
        pages = max(1, -(-len(ids) // per_page))
        page = min(max(1, page), pages)
        chunk = ids[(page - 1) * per_page: page * per_page]
        found = [await read(self._store, i) for i in chunk]
        return [s for s in found if s is not None], len(ids)
