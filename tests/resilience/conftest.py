"""Fixtures for the resilience tests: the sandbox and gateway factories, and a move workflow on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from migration.execution.workflow import Workflow
from storage import SqliteDocumentStore
from tests.plugins.sandbox import gateway_factory, sandbox_factory  # noqa: F401 - fixtures used here


@pytest.fixture
async def workflow(tmp_path: Path) -> AsyncIterator[Workflow]:
    store = SqliteDocumentStore(tmp_path / "bot.db")
    yield Workflow(store)
    await store.close()
