"""The `DocumentStore` contract (migration/azure/ports.py), run on both backends: SQLite in a temporary file
and Azure Table Storage on Azurite. A backend that fails here would lose or double-apply a move
request's state change, or show an audit trail out of order."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from migration.model.store import ConcurrencyError, DocumentStore, Record
from tests.storage.conftest import StoreFactory

AUDIT_KEYS = [
    "MR-ABC123/2026-11-23T10:00:00+00:00/6f1c0a52-6c1e-4a8e-9d43-0d3b8f1e2a01",
    "MR-ABC123/2026-11-23T10:05:00+00:00/0a9e5f3b-2d1f-4c5e-8a7b-3e4d5c6b7a80",
    "MR-ABC124/2026-11-23T09:00:00+00:00/1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b",
]
STATE_KEYS = [
    "msteams/conversations/a:1xyz/",
    "msteams/conversations/19:abc@thread.tacv2;messageid=1700000000000/",
    "msteams/users/29:1engineer/",
]
# Everything Table Storage forbids in a RowKey, plus characters near the escapes and beyond ASCII.
AWKWARD_KEYS = [
    "back\\slash",
    "hash#tag",
    "what?",
    "100%",
    "tab\there",
    "line\nbreak",
    "nul\x00byte",
    "del\x7fand\x85c1",
    "it's",
    'double"quote',
    "trailing space ",
    "dots.and..more",
    "tilde~",
    "[bracket]",
    "a>b",
    "Zürich",
    "東京",
    "emoji😀",
    "",
]


async def test_missing_record_is_none(store: DocumentStore) -> None:
    assert await store.get("requests", "MR-NOPE") is None


async def test_put_then_get_returns_the_value_and_the_same_etag(store: DocumentStore) -> None:
    value = {"state": "draft", "resources": ["/subscriptions/1/rg/a"], "count": 3, "ok": True, "note": None}
    written = await store.put("requests", "MR-1", value)
    assert written == Record("MR-1", value, written.etag)
    assert written.etag
    assert await store.get("requests", "MR-1") == written


async def test_unconditional_put_overwrites_and_changes_the_etag(store: DocumentStore) -> None:
    first = await store.put("requests", "MR-1", {"state": "draft"})
    second = await store.put("requests", "MR-1", {"state": "pending_approval"})
    assert second.etag != first.etag
    assert await store.get("requests", "MR-1") == second


async def test_insert_only_if_absent(store: DocumentStore) -> None:
    created = await store.put("requests", "MR-1", {"state": "draft"}, etag="")
    with pytest.raises(ConcurrencyError):
        await store.put("requests", "MR-1", {"state": "forged"}, etag="")
    assert await store.get("requests", "MR-1") == created


async def test_replace_only_with_the_current_etag(store: DocumentStore) -> None:
    draft = await store.put("requests", "MR-1", {"state": "draft"})
    pending = await store.put("requests", "MR-1", {"state": "pending_approval"}, etag=draft.etag)
    assert pending.etag != draft.etag
    with pytest.raises(ConcurrencyError):
        await store.put("requests", "MR-1", {"state": "approved"}, etag=draft.etag)  # stale read
    assert await store.get("requests", "MR-1") == pending


async def test_replace_with_an_etag_fails_when_the_record_is_gone(store: DocumentStore) -> None:
    draft = await store.put("requests", "MR-1", {"state": "draft"})
    await store.delete("requests", "MR-1")
    with pytest.raises(ConcurrencyError):
        await store.put("requests", "MR-1", {"state": "approved"}, etag=draft.etag)
    assert await store.get("requests", "MR-1") is None, "a lost compare-and-swap must not recreate the record"


async def test_delete(store: DocumentStore) -> None:
    await store.delete("requests", "MR-NOPE")  # unconditional delete of nothing is fine
    record = await store.put("requests", "MR-1", {"state": "draft"})
    await store.delete("requests", "MR-1")
    assert await store.get("requests", "MR-1") is None
    with pytest.raises(ConcurrencyError):
        await store.delete("requests", "MR-1", etag=record.etag)  # conditional delete of nothing


async def test_conditional_delete_only_with_the_current_etag(store: DocumentStore) -> None:
    old = await store.put("requests", "MR-1", {"state": "draft"})
    current = await store.put("requests", "MR-1", {"state": "pending_approval"})
    with pytest.raises(ConcurrencyError):
        await store.delete("requests", "MR-1", etag=old.etag)
    assert await store.get("requests", "MR-1") == current
    await store.delete("requests", "MR-1", etag=current.etag)
    assert await store.get("requests", "MR-1") is None


async def test_list_orders_by_key_filters_by_prefix_and_limits(store: DocumentStore) -> None:
    keys = AUDIT_KEYS + ["MR-ABC12", "MR-ABC123", "OTHER"]
    for key in random.Random(7).sample(keys, len(keys)):
        await store.put("audit", key, {"key": key})
    await store.put("requests", "MR-ABC123", {"elsewhere": True})  # another collection stays apart

    listed = await store.list("audit")
    assert [r.key for r in listed] == sorted(keys)
    assert all(r.value == {"key": r.key} and r.etag for r in listed)
    assert [r.key for r in await store.list("audit", prefix="MR-ABC123/")] == sorted(AUDIT_KEYS[:2])
    assert [r.key for r in await store.list("audit", prefix="MR-ABC123")] == sorted(["MR-ABC123", *AUDIT_KEYS[:2]])
    assert [r.key for r in await store.list("audit", prefix="MR-", limit=2)] == sorted(keys)[:2]
    assert await store.list("audit", prefix="NONE") == []
    assert await store.list("neverwritten") == []


async def test_listed_etags_allow_a_compare_and_swap(store: DocumentStore) -> None:
    await store.put("requests", "MR-1", {"state": "pending_approval"})
    [listed] = await store.list("requests")
    updated = await store.put("requests", "MR-1", {"state": "approved"}, etag=listed.etag)
    assert (await store.get("requests", "MR-1")) == updated


async def test_keys_with_characters_table_storage_forbids(store: DocumentStore) -> None:
    keys = AUDIT_KEYS + STATE_KEYS + AWKWARD_KEYS
    for key in keys:
        await store.put("botstate", key, {"key": key})
    for key in keys:
        record = await store.get("botstate", key)
        assert record is not None and record.value == {"key": key}, repr(key)

    # Ordered by key exactly as SQLite (code point order), and prefixes still select the right keys.
    assert [r.key for r in await store.list("botstate")] == sorted(keys)
    assert [r.key for r in await store.list("botstate", prefix="msteams/conversations/")] == sorted(STATE_KEYS[:2])
    for prefix in ("MR-ABC123/", "dots.", "tilde~", "[", "a>", "what?", "100%", "nul\x00", "emoji", "Z"):
        expected = sorted(k for k in keys if k.startswith(prefix))
        assert [r.key for r in await store.list("botstate", prefix=prefix)] == expected, repr(prefix)

    first = await store.get("botstate", "hash#tag")
    assert first is not None
    await store.put("botstate", "hash#tag", {"key": "changed"}, etag=first.etag)
    await store.delete("botstate", "back\\slash")
    assert await store.get("botstate", "back\\slash") is None
    assert await store.get("botstate", "back") is None


def _move_request(size: int) -> dict[str, object]:
    """A move request as large as `size` characters of JSON: many resource ids, non-ASCII names."""
    ids: list[str] = []
    i = 0
    while sum(len(x) + 3 for x in ids) < size:
        ids.append(
            f"/subscriptions/7d2c1a9e-0000-4000-8000-{i:012d}/resourceGroups/rg-zürich-東京/providers/"
            f"Microsoft.Compute/virtualMachines/vm-{i:05d}"
        )
        i += 1
    return {"id": "MR-BIG", "state": "draft", "resources": ids, "note": "Überprüfung — 検証 😀"}


async def test_large_values_round_trip(store: DocumentStore) -> None:
    big = _move_request(300_000)
    assert len(json.dumps(big, ensure_ascii=False)) >= 300_000
    written = await store.put("requests", "MR-BIG", big, etag="")
    assert written.value == big
    assert await store.get("requests", "MR-BIG") == written
    [listed] = await store.list("requests")
    assert listed.value == big

    # Shrinking and growing again leave nothing of the older value behind.
    small = await store.put("requests", "MR-BIG", {"state": "cancelled"}, etag=written.etag)
    assert (await store.get("requests", "MR-BIG")) == small
    bigger = _move_request(200_000)
    await store.put("requests", "MR-BIG", bigger, etag=small.etag)
    record = await store.get("requests", "MR-BIG")
    assert record is not None and record.value == bigger


async def test_concurrent_compare_and_swap_has_exactly_one_winner(store: DocumentStore) -> None:
    read = await store.put("requests", "MR-1", {"state": "pending_approval", "approver": None})

    async def approve(n: int) -> Record | ConcurrencyError:
        try:
            return await store.put("requests", "MR-1", {"state": "approved", "approver": n}, etag=read.etag)
        except ConcurrencyError as lost:
            return lost

    results = await asyncio.gather(*(approve(n) for n in range(20)))
    winners = [r for r in results if isinstance(r, Record)]
    assert len(winners) == 1
    assert sum(isinstance(r, ConcurrencyError) for r in results) == 19
    assert await store.get("requests", "MR-1") == winners[0]


async def test_concurrent_inserts_have_exactly_one_winner(store: DocumentStore) -> None:
    async def create(n: int) -> Record | ConcurrencyError:
        try:
            return await store.put("leases", "runner", {"owner": n}, etag="")
        except ConcurrencyError as lost:
            return lost

    results = await asyncio.gather(*(create(n) for n in range(20)))
    winners = [r for r in results if isinstance(r, Record)]
    assert len(winners) == 1
    assert await store.get("leases", "runner") == winners[0]


async def test_two_processes_see_each_others_writes_and_conflicts(open_same: StoreFactory) -> None:
    bot_a, bot_b = open_same(), open_same()
    created = await bot_a.put("requests", "MR-1", {"state": "pending_approval"}, etag="")
    assert await bot_b.get("requests", "MR-1") == created

    # Both read the same version; B approves first, so A's reject loses and A sees B's decision.
    approved = await bot_b.put("requests", "MR-1", {"state": "approved"}, etag=created.etag)
    with pytest.raises(ConcurrencyError):
        await bot_a.put("requests", "MR-1", {"state": "rejected"}, etag=created.etag)
    assert await bot_a.get("requests", "MR-1") == approved
    with pytest.raises(ConcurrencyError):
        await bot_a.put("requests", "MR-1", {"state": "draft"}, etag="")

    # Concurrent compare-and-swaps from the two processes: one wins.
    async def attempt(store: DocumentStore, state: str) -> bool:
        try:
            await store.put("requests", "MR-1", {"state": state}, etag=approved.etag)
            return True
        except ConcurrencyError:
            return False

    outcomes = await asyncio.gather(*(attempt(s, f"validating-{i}") for i in range(5) for s in (bot_a, bot_b)))
    assert outcomes.count(True) == 1

    await bot_b.delete("requests", "MR-1")
    assert await bot_a.get("requests", "MR-1") is None
    assert await bot_a.list("requests") == []
