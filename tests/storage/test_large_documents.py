"""Documents larger than one record (assessments of big subscriptions, report exports) on both backends."""

from __future__ import annotations

from migration.model.store import DocumentStore
from storage.chunks import delete_large, get_large, get_text, put_large, put_text


async def test_a_large_document_with_heavy_escaping_round_trips(store: DocumentStore) -> None:
    # 1.2 MB of CSV-like text full of quotes and newlines: the worst case for JSON escaping.
    text = ('"vm-1","Microsoft.Compute/virtualMachines","blocked","G7 \\"not movable\\""\n' * 16_000)[:1_200_000]
    value = {"text": text, "note": "é ü 中文"}
    await put_large(store, "reports", "big", value)
    assert await get_large(store, "reports", "big") == value


async def test_rewriting_keeps_one_generation_and_delete_removes_every_part(store: DocumentStore) -> None:
    await put_large(store, "reports", "doc", {"n": "x" * 400_000})
    await put_large(store, "reports", "doc", {"n": "y" * 10})
    assert await get_large(store, "reports", "doc") == {"n": "y" * 10}
    keys = [r.key for r in await store.list("reports")]
    assert len(keys) == 2, f"the head and one part, not the old generation's parts: {keys}"
    await delete_large(store, "reports", "doc")
    assert await store.list("reports") == []
    assert await get_large(store, "reports", "doc") is None


async def test_a_missing_document_reads_as_none(store: DocumentStore) -> None:
    assert await get_large(store, "reports", "nothing") is None


async def test_a_report_text_round_trips_as_plain_parts_and_an_older_report_still_reads(store: DocumentStore) -> None:
    text = ('"vm-1","Microsoft.Compute/virtualMachines","G7 \\"not movable\\"",é 中文\r\n' * 9_000)[:700_000]
    await put_text(store, "reports", "new.csv", text)
    assert await get_text(store, "reports", "new.csv") == text
    assert len(await store.list("reports")) == 1 + 5, "the head and 700,000 characters in parts of 150,000"
    await put_large(store, "reports", "old.csv", {"text": "written before reports were stored as plain text"})
    assert await get_text(store, "reports", "old.csv") == "written before reports were stored as plain text"
    await delete_large(store, "reports", "new.csv")
    assert await get_text(store, "reports", "new.csv") is None
