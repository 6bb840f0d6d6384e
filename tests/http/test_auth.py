"""Inbound authentication: with a Bot registration configured, only Bot Framework-signed requests reach
the bot; without one (local mode, the Agents Playground) requests are accepted as they come."""

from __future__ import annotations

import pytest

from tests.http import teams

REGISTRATION = {
    "MicrosoftAppId": "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "MicrosoftAppPassword": "not-a-real-secret",
}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz"],
    ids=["no-header", "empty-bearer", "malformed-jwt", "basic-auth"],
)
async def test_registered_bot_refuses_requests_without_a_valid_token(start_bot, connector, authorization):
    bot = await start_bot(**REGISTRATION)
    headers = {"Authorization": authorization} if authorization else None
    response = await bot.post(teams.message("help", connector.url), headers=headers)
    assert response.status == 401
    # The handler never ran: nothing was sent to the connector.
    assert connector.sent == []


async def test_local_mode_accepts_requests_without_a_token(start_bot, connector):
    bot = await start_bot()
    response = await bot.post(teams.message("help", connector.url))
    assert response.status in (200, 201)
    await connector.wait_for(1)
