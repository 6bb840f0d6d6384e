"""Fixtures shared by every folder (tests/support), and each test's kind as a marker.

Folders mirror the code; the kind of a test is a marker: `unit` (in process, no socket), `http` (real HTTP:
the bot's /api/messages, the sandbox's ARM over HTTPS, Azurite), `restart` (processes killed and started
again), `e2e` (the Agents Playground in Chromium), `bench`. A test marked with none of them is `unit`, or
`http` when it uses a fixture that serves or calls over a socket; `pytest -m <kind>` runs one kind.
"""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.support.bot_http",
    "tests.support.sandbox",
    "tests.support.azurite",
    "tests.support.playground",
    "tests.support.moves",
    "tests.support.fixbot",
    "tests.support.customers",
]

KINDS = ("unit", "http", "restart", "e2e", "bench")
# Fixtures that serve or call over a real socket: a test using one is an `http` test unless marked otherwise.
_SOCKET_FIXTURES = frozenset({"sandbox", "sandbox_factory", "gateway", "gateway_factory", "start_bot",
                              "connector", "move_bot", "fix_bot", "fix_bots", "azurite", "bot_server",
                              "playground", "aiohttp_client", "aiohttp_server", "customers_bot"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(kind) for kind in KINDS):
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        item.add_marker("http" if fixtures & _SOCKET_FIXTURES else "unit")
