"""Documents larger than one record may hold (Azure Table: 1 MiB an entity) stored as numbered parts.

The head record is written last, so a reader never sees a head whose parts are not all there.
"""

from __future__ import annotations

import json
from typing import Any

from migration.ports import DocumentStore

# A part is JSON text stored inside JSON again; escaping can double it, and Azure Table counts an
# entity (1 MiB at most) in UTF-16: 150,000 characters stay well inside that.
PART_CHARS = 150_000


async def put_large(store: DocumentStore, collection: str, key: str, value: dict[str, Any]) -> None:
    text = json.dumps(value, separators=(",", ":"))
    parts = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
    previous = await store.get(collection, key)
    generation = int(previous.value.get("generation", 0)) + 1 if previous else 1
    for index, part in enumerate(parts):
        await store.put(collection, f"{key}#{generation}.{index}", {"text": part})
    await store.put(collection, key, {"generation": generation, "parts": len(parts)})
    if previous:  # the old generation's parts are no longer reachable
        for index in range(int(previous.value.get("parts", 0))):
            await store.delete(collection, f"{key}#{previous.value['generation']}.{index}")


async def get_large(store: DocumentStore, collection: str, key: str) -> dict[str, Any] | None:
    head = await store.get(collection, key)
    if head is None:
        return None
    texts = []
    for index in range(int(head.value["parts"])):
        part = await store.get(collection, f"{key}#{head.value['generation']}.{index}")
        if part is None:
            return None
        texts.append(part.value["text"])
    loaded: dict[str, Any] = json.loads("".join(texts))
    return loaded


async def delete_large(store: DocumentStore, collection: str, key: str) -> None:
    head = await store.get(collection, key)
    if head is None:
        return
    await store.delete(collection, key)  # first, so no reader starts on parts about to vanish
    for index in range(int(head.value["parts"])):
        await store.delete(collection, f"{key}#{head.value['generation']}.{index}")
