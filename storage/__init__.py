"""Persistence behind one interface (`migration.azure.ports.DocumentStore`): SQLite by default, Azure Table
Storage to scale out. `open_store(url)` picks the backend from `STORAGE_URL`."""

from __future__ import annotations

from azure.core.credentials_async import AsyncTokenCredential

from migration.model.store import ConcurrencyError, DocumentStore, Record
from storage.sqlite import SqliteDocumentStore

__all__ = ["ConcurrencyError", "DocumentStore", "Record", "SqliteDocumentStore", "open_store"]


def open_store(
    url: str, *, connection_string: str | None = None, managed_identity_client_id: str | None = None
) -> DocumentStore:
    """`sqlite:///relative/path.db`, `sqlite:////absolute/path.db`; `azure-table://[table-prefix]` with a
    connection string; `azure-table://<account>` (or `<host[:port]>/<account>`) with Entra ID: the
    user-assigned managed identity `managed_identity_client_id`, else DefaultAzureCredential."""
    if url.startswith("sqlite:///"):
        return SqliteDocumentStore(url.removeprefix("sqlite:///"))
    if url.startswith("azure-table://"):
        from storage.tables import TableDocumentStore, table_endpoint  # optional backend, imported when chosen

        target = url.removeprefix("azure-table://")
        if connection_string:
            return TableDocumentStore(connection_string, prefix=target or "cspbot")
        if not target:
            raise ValueError("azure-table:// needs the account (azure-table://<account>) or a connection string")
        credential = _entra_credential(managed_identity_client_id)
        return TableDocumentStore(endpoint=table_endpoint(target), credential=credential)
    raise ValueError(f"unsupported storage URL {url!r}: use sqlite:///path or azure-table://")


def _entra_credential(client_id: str | None) -> AsyncTokenCredential:
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential()  # a developer's `az login`, or the environment's identity
