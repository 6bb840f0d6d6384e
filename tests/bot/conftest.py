"""The bot's HTTP suite runs on both Teams edges: every test that starts the bot runs once per BOT_SDK."""

from __future__ import annotations

import pytest

from settings import BotSdk


@pytest.fixture(params=[sdk.value for sdk in BotSdk])
def edge(request: pytest.FixtureRequest) -> str:
    return str(request.param)
