"""Which runner holds a move request: claims on approved requests, leases that lapse when their runner
stops renewing them, and the requests another runner may take up."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from migration.execution.audit import AuditTrail
from migration.execution.indexes import RequestIndexes
from migration.execution.stored import (
    REQUESTS,
    RUN_FINAL,
    RUNNING,
    Clock,
    is_active,
    read,
    stored_to_json,
)
from migration.model import RequestState
from migration.model.records import Lease, StoredRequest
from migration.model.store import ConcurrencyError, DocumentStore


class LeaseLost(Exception):
    """The runner no longer holds the request's lease: another runner took it over; stop at once."""


def claimable(stored: StoredRequest, now: datetime) -> bool:
    if stored.state is RequestState.APPROVED:
        return True
    lapsed = stored.lease is None or stored.lease.expires_at <= now
    if stored.state in RUNNING:
        return lapsed
    return stored.state in RUN_FINAL and not stored.report_sent and lapsed


class Leases:
    def __init__(self, store: DocumentStore, *, clock: Clock, indexes: RequestIndexes, audit: AuditTrail) -> None:
        self._store = store
        self._now = clock
        self._indexes = indexes
        self._audit = audit

    async def claimable(self) -> list[str]:
        """Approved requests, and started ones whose runner's lease lapsed (it died or hung), including
        finished moves whose final report was not sent yet."""
        out: list[str] = []
        for request_id in await self._indexes.active_ids():
            stored = await read(self._store, request_id)
            if stored is None:  # never written (a failed submit), or gone: tidy the index
                await self._indexes.drop_active(request_id)
                continue
            if not is_active(stored):  # e.g. cancelled after approval, before the runner saw it
                if stored.state is not RequestState.PENDING_APPROVAL:  # else an approval is writing it now
                    await self._indexes.reindex(stored)
                continue
            if claimable(stored, self._now()):
                out.append(stored.id)
        return out

    async def stalled(self, *, within: float) -> list[StoredRequest]:
        """Running requests whose runner stopped renewing its lease (it died or hangs): the lease lapses within
        `within` seconds, closer than a live runner ever lets it come, and then another runner resumes them."""
        now = self._now()
        out: list[StoredRequest] = []
        for request_id in await self._indexes.active_ids():
            stored = await read(self._store, request_id)
            lease = stored.lease if stored is not None else None
            if stored is not None and lease is not None and stored.state in RUNNING \
                    and now < lease.expires_at <= now + timedelta(seconds=within):
                out.append(stored)
        return out

    async def claim(self, request_id: str, owner: str, *, lease_seconds: float) -> StoredRequest | None:
        """Take the request for `owner` (None when it is not claimable or someone else got it first)."""
        stored = await read(self._store, request_id)
        while stored is not None:
            now = self._now()
            if not claimable(stored, now):
                return None
            resumed = stored.state is not RequestState.APPROVED
            request = stored.request if resumed else replace(stored.request, state=RequestState.VALIDATING)
            previous = stored.lease.owner if stored.lease else None
            changed = replace(stored, request=request, lease=Lease(owner, now + timedelta(seconds=lease_seconds)))
            try:
                record = await self._store.put(REQUESTS, stored.id, stored_to_json(changed), etag=stored.etag)
            except ConcurrencyError:
                stored = await read(self._store, request_id)
                continue
            await self._audit.append(stored.id, "resumed" if resumed else "claimed", by=None, tenant_id=None,
                                     detail={"runner": owner, "previous_runner": previous,
                                             "state": request.state.value})
            return replace(changed, etag=record.etag)
        return None
