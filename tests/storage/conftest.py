"""Both storage backends behind one fixture, so every contract test runs on each."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from migration.model.store import DocumentStore
from storage import open_store

# Opens another store on the same data (another "process"); the fixture closes what it opened.
StoreFactory = Callable[[], DocumentStore]


@pytest.fixture(params=["sqlite", "azure-table"])
async def open_same(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    if request.param == "sqlite":
        url, connection = f"sqlite:///{tmp_path / 'store.db'}", None
    else:
        # A fresh table prefix per test keeps tests apart on the one emulator.
        url, connection = f"azure-table://t{uuid.uuid4().hex[:12]}", request.getfixturevalue("azurite")
    opened: list[DocumentStore] = []

    def open_one() -> DocumentStore:
        store = open_store(url, connection_string=connection)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
def store(open_same: StoreFactory) -> DocumentStore:
    return open_same()
