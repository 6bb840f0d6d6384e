"""Persistence behind one interface (`migration.ports.DocumentStore`): SQLite by default, Azure Table
Storage to scale out. `open_store(url)` picks the backend from `STORAGE_URL`."""

from __future__ import annotations

from migration.ports import ConcurrencyError, DocumentStore, Record
from storage.sqlite import SqliteDocumentStore

__all__ = ["ConcurrencyError", "DocumentStore", "Record", "SqliteDocumentStore", "open_store"]


def open_store(url: str, *, connection_string: str | None = None) -> DocumentStore:
    """`sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, or `azure-table://[table-prefix]`."""
    if url.startswith("sqlite:///"):
        return SqliteDocumentStore(url.removeprefix("sqlite:///"))
    if url.startswith("azure-table://"):
        from storage.tables import TableDocumentStore  # optional backend, imported only when chosen

        if not connection_string:
            raise ValueError("azure-table:// needs AZURE_STORAGE_CONNECTION_STRING")
        return TableDocumentStore(connection_string, prefix=url.removeprefix("azure-table://") or "cspbot")
    raise ValueError(f"unsupported storage URL {url!r}: use sqlite:///path or azure-table://")
