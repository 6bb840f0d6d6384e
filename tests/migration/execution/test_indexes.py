"""The runner and `history` find requests through indexes (by state, by time), not by reading every request."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from migration.execution.stored import ACTIVE, REQUESTS, SETTINGS, TIMELINE, stored_to_json
from migration.execution.workflow import Workflow
from migration.model import RequestState
from storage import SqliteDocumentStore
from tests.support.moves import APPROVER_PERSON, REQUESTER, approver_actor, requester_actor, submit_sample


async def test_only_approved_and_unreported_requests_are_in_the_active_index(store: SqliteDocumentStore):
    workflow = Workflow(store)
    waiting = await submit_sample(workflow, source_subscription_id="sub-a")
    approved = await submit_sample(workflow, source_subscription_id="sub-b")
    cancelled = await submit_sample(workflow, source_subscription_id="sub-c")
    await workflow.approve(approved.id, approver_actor)
    await workflow.cancel(cancelled.id, requester_actor)
    assert [r.key for r in await store.list(ACTIVE)] == [approved.id]
    assert await workflow.claimable() == [approved.id]

    claimed = await workflow.claim(approved.id, "runner-1", lease_seconds=30)
    assert claimed is not None
    await workflow.update(approved.id, lambda s: replace(s, request=replace(
        s.request, state=RequestState.SUCCEEDED)), owner="runner-1")
    assert [r.key for r in await store.list(ACTIVE)] == [approved.id], "its report is still to be sent"
    await workflow.update(approved.id, lambda s: replace(s, report_sent=True, lease=None), owner="runner-1")
    assert await store.list(ACTIVE) == [] and await workflow.claimable() == []
    assert waiting.state is RequestState.PENDING_APPROVAL


async def test_history_is_paged_from_the_time_index(store: SqliteDocumentStore):
    ticks = iter(datetime(2026, 11, 23, 10, m, s, tzinfo=UTC) for m in range(60) for s in (0, 30))
    workflow = Workflow(store, clock=lambda: next(ticks))
    made = [await submit_sample(workflow, source_subscription_id=f"sub-{i}") for i in range(12)]
    page, total = await workflow.history_page(2, per_page=5)
    assert total == 12
    assert [s.id for s in page] == [s.id for s in reversed(made)][5:10]
    assert len(await store.list(TIMELINE)) == 12


async def test_requests_stored_before_the_indexes_are_indexed_once(store: SqliteDocumentStore):
    workflow = Workflow(store)
    stored = await submit_sample(workflow)
    await workflow.approve(stored.id, approver_actor)
    # As an earlier version left the store: the request, no index entries, no "indexed" mark.
    record = await store.get(REQUESTS, stored.id)
    assert record is not None
    for collection in (ACTIVE, TIMELINE):
        for entry in await store.list(collection):
            await store.delete(collection, entry.key)
    await store.delete(SETTINGS, "request_indexes")
    await store.put(REQUESTS, stored.id, record.value)

    fresh = Workflow(store)
    assert await fresh.claimable() == [stored.id]
    assert [s.id for s in await fresh.history()] == [stored.id]
    assert stored_to_json(stored)["request"]["id"] == stored.id


class _HeldRequestWrites:
    """The store, with writes of move requests held until released: the moment an approval has indexed
    the request as active but not yet written it, when another bot's runner scans."""

    def __init__(self, inner: SqliteDocumentStore) -> None:
        self._inner = inner
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def put(self, collection: str, key: str, value: dict, etag: str | None = None):  # type: ignore[no-untyped-def]
        if collection == REQUESTS:
            self.held.set()
            await self.release.wait()
        return await self._inner.put(collection, key, value, etag=etag)


async def test_a_scan_during_an_approval_never_drops_the_request_from_the_runners_index(
    store: SqliteDocumentStore,
) -> None:
    submitted = await submit_sample(Workflow(store))
    held = _HeldRequestWrites(store)
    approving = asyncio.create_task(Workflow(held).approve(submitted.id, approver_actor))  # type: ignore[arg-type]
    await asyncio.wait_for(held.held.wait(), 5)
    other_runner = Workflow(store)
    assert await other_runner.claimable() == [], "still pending approval when it scans"
    held.release.set()
    assert (await approving).changed
    assert await other_runner.claimable() == [submitted.id], "approved, so a runner must find it"


async def test_history_lists_newest_first(store: SqliteDocumentStore):
    ticks = iter(datetime(2026, 11, 23, 10, m, tzinfo=UTC) for m in range(60))
    workflow = Workflow(store, clock=lambda: next(ticks))
    first = await submit_sample(workflow)
    second = await submit_sample(workflow, requester=APPROVER_PERSON, source_subscription_id="src-sub-2")
    assert [s.id for s in await workflow.history()] == [second.id, first.id]
    assert [s.id for s in await workflow.history(requester_id=REQUESTER.id)] == [first.id]
