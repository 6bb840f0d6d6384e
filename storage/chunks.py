"""Documents larger than one record may hold (Azure Table: 1 MiB an entity) stored as numbered parts.

The head record is written last, so a reader never sees a head whose parts are not all there.
"""

from __future__ import annotations

import json
from typing import Any

from migration.model.store import DocumentStore

# A part is JSON text stored inside JSON again; escaping can double it, and Azure Table counts an
# entity (1 MiB at most) in UTF-16: 150,000 characters stay well inside that.
PART_CHARS = 150_000


async def put_large(store: DocumentStore, collection: str, key: str, value: dict[str, Any]) -> None:
    await _put_parts(store, collection, key, json.dumps(value, separators=(",", ":")), raw=False)


async def _put_parts(store: DocumentStore, collection: str, key: str, text: str, *, raw: bool) -> None:
    count = max(1, -(-len(text) // PART_CHARS))
    previous = await store.get(collection, key)
    generation = int(previous.value.get("generation", 0)) + 1 if previous else 1
    for index in range(count):  # sliced one part at a time: no second copy of the whole text
        part = text[index * PART_CHARS:(index + 1) * PART_CHARS]
        await store.put(collection, f"{key}#{generation}.{index}", {"text": part})
    head: dict[str, Any] = {"generation": generation, "parts": count}
    if raw:
        head["raw"] = True
    await store.put(collection, key, head)
    if previous:  # the old generation's parts are no longer reachable
        for index in range(int(previous.value.get("parts", 0))):
            await store.delete(collection, f"{key}#{previous.value['generation']}.{index}")


async def put_text(store: DocumentStore, collection: str, key: str, text: str) -> None:
    """Plain text (a report) as parts of the text itself: no JSON copy of a text that may run to tens of MB."""
    await _put_parts(store, collection, key, text, raw=True)


async def get_text(store: DocumentStore, collection: str, key: str) -> str | None:
    head = await store.get(collection, key)
    if head is None:
        return None
    text = await _get_parts(store, collection, key, head.value)
    if text is None or head.value.get("raw"):
        return text
    return str(json.loads(text).get("text", ""))  # stored by put_large({"text": ...}) before put_text existed


async def get_large(store: DocumentStore, collection: str, key: str) -> dict[str, Any] | None:
    head = await store.get(collection, key)
    if head is None:
        return None
    text = await _get_parts(store, collection, key, head.value)
    if text is None:
        return None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


async def _get_parts(store: DocumentStore, collection: str, key: str, head: dict[str, Any]) -> str | None:
    texts = []
    for index in range(int(head["parts"])):
        part = await store.get(collection, f"{key}#{head['generation']}.{index}")
        if part is None:
            return None
        texts.append(part.value["text"])
    return "".join(texts)


async def delete_large(store: DocumentStore, collection: str, key: str) -> None:
    head = await store.get(collection, key)
    if head is None:
        return
    await store.delete(collection, key)  # first, so no reader starts on parts about to vanish
    for index in range(int(head.value["parts"])):
        await store.delete(collection, f"{key}#{head.value['generation']}.{index}")
