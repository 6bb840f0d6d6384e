"""A Bot Framework `Storage` over the project's document store, so conversation and dialog state
survive restarts and share the backend (SQLite or Azure Table) with move requests.

Serialization and e_tag handling follow botbuilder-azure's BlobStorage: jsonpickle on write, the
stored etag put back into the item on read, a write with a stale e_tag refused.
"""

from __future__ import annotations

import json
from typing import Any

from botbuilder.core import Storage
from jsonpickle import encode
from jsonpickle.unpickler import Unpickler

from migration.model.store import ConcurrencyError, DocumentStore

COLLECTION = "botstate"


class DocumentBotStorage(Storage):
    def __init__(self, store: DocumentStore) -> None:
        super().__init__()
        self._store = store

    async def read(self, keys: list[str]) -> dict[str, Any]:
        items: dict[str, Any] = {}
        for key in keys or []:
            record = await self._store.get(COLLECTION, key)
            if record is None:
                continue
            item = dict(record.value)
            item["e_tag"] = record.etag
            items[key] = Unpickler().restore(item)
        return items

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise ValueError("changes are required when writing")
        for key, item in changes.items():
            e_tag = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
            if e_tag == "":
                raise ValueError("storage write: e_tag missing")
            value = json.loads(encode(item))
            value.pop("e_tag", None)
            condition = None if e_tag in (None, "*") else e_tag
            try:
                record = await self._store.put(COLLECTION, key, value, etag=condition)
            except ConcurrencyError as error:
                # Same signal MemoryStorage gives: another turn saved this state first.
                raise KeyError(f"e_tag conflict on {key}") from error
            # Keep the cached item current so a second save in the same turn is not a false conflict.
            if isinstance(item, dict):
                item["e_tag"] = record.etag

    async def delete(self, keys: list[str]) -> None:
        for key in keys or []:
            await self._store.delete(COLLECTION, key)
