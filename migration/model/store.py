"""The store's interface: keyed JSON documents with etag concurrency (implemented in
`storage/`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class ConcurrencyError(Exception):
    """A compare-and-swap lost: the record changed (or exists / vanished) since it was read."""


@dataclass(frozen=True, slots=True)
class Record:
    key: str
    value: dict[str, Any]
    etag: str


class DocumentStore(Protocol):
    """Keyed JSON documents in named collections, with etag optimistic concurrency.

    Both storage backends (SQLite, Azure Table) pass the same contract tests.
    """

    async def get(self, collection: str, key: str) -> Record | None: ...

    async def put(self, collection: str, key: str, value: dict[str, Any], *, etag: str | None = None) -> Record:
        """Write. `etag=None`: unconditional. `etag=""`: only if absent. Otherwise: only if the
        stored etag matches. Raises ConcurrencyError when the condition fails."""

    async def delete(self, collection: str, key: str, *, etag: str | None = None) -> None: ...

    async def list(self, collection: str, *, prefix: str = "", limit: int | None = None) -> list[Record]:
        """Records whose key starts with `prefix`, ordered by key."""

    async def close(self) -> None: ...
