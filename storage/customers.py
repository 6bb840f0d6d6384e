"""The customer registry in the document store: one record per customer tenant, every change a
compare-and-swap on the record's etag (SQLite and Azure Table Storage alike)."""

from __future__ import annotations

from migration.model.codec import decode, to_json
from migration.model.customers import Customer
from migration.model.store import DocumentStore

CUSTOMERS = "customers"


class StoredCustomers:
    """The application's `CustomerStore` port."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def get(self, tenant: str) -> tuple[Customer, str] | None:
        record = await self._store.get(CUSTOMERS, tenant.lower())
        return (decode(Customer, record.value), record.etag) if record else None

    async def list(self) -> list[Customer]:
        return [decode(Customer, r.value) for r in await self._store.list(CUSTOMERS)]

    async def put(self, customer: Customer, *, etag: str) -> None:
        """`etag=""`: only if absent; otherwise only if unchanged since read (ConcurrencyError if not)."""
        await self._store.put(CUSTOMERS, customer.tenant, to_json(customer), etag=etag)
