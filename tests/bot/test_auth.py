"""Inbound authentication: with a Bot registration configured, only Bot Framework-signed requests reach
the bot; without one (local mode, the Agents Playground) requests are accepted as they come."""

from __future__ import annotations

import pytest

from tests.support import teams

REGISTRATION = {
    "MicrosoftAppId": "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "MicrosoftAppPassword": "not-a-real-secret",
    "AZURE_CREDENTIAL": "sandbox",
    "ALLOWED_TENANT_IDS": teams.PARTNER_TENANT,
    "ENGINEER_IDS": teams.ENGINEER["aadObjectId"],
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


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"not json at all", "application/json"), (b"[1, 2]", "application/json"), (b"{}", "application/json"),
     (b'{"type": "message"}', "text/plain"), (b"", "application/json")],
    ids=["broken-json", "not-an-object", "empty-object", "wrong-content-type", "empty-body"],
)
@pytest.mark.parametrize("authorization", [None, "Bearer not.a.jwt"], ids=["no-token", "bad-token"])
async def test_registered_bot_authenticates_before_it_judges_the_body(start_bot, connector, body, content_type,
                                                                       authorization):
    bot = await start_bot(**REGISTRATION)
    headers = {"Content-Type": content_type, **({"Authorization": authorization} if authorization else {})}
    async with bot.session.post(f"{bot.url}/api/messages", data=body, headers=headers) as response:
        assert response.status == 401, "an unauthenticated request learns nothing about what the bot accepts"
    assert connector.sent == []


async def test_local_mode_accepts_requests_without_a_token(start_bot, connector):
    bot = await start_bot()
    response = await bot.post(teams.message("help", connector.url))
    assert response.status in (200, 201)
    await connector.wait_for(1)
