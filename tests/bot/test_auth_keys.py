"""Inbound authentication with real signatures: the bot is registered (a user-assigned managed identity) and
reads the Bot Framework's signing keys from an OpenID metadata document on a loopback server. A token
signed with the published key is accepted and the bot's reply reaches the Bot Connector; a well-formed
token signed with any other key, or one the bot cannot check, gets 401 and reaches no handler."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import connector_tokens as identity
from tests.support import teams
from tests.support.bot_http import BotFactory, Connector
from tests.support.connector_tokens import Identity, SigningKey

APP_ID = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
BOT_TENANT = "7a1e5c3d-9b2f-4d6e-8a0c-1f3e5d7b9c2a"


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Identity]:
    for server in identity.serve(SigningKey("trusted-key-1")):
        # Where the managed identity of an App Service gets its tokens (read by msal at call time).
        monkeypatch.setenv("IDENTITY_ENDPOINT", server.msi_endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", identity.MSI_HEADER)
        yield server


def _registration(metadata_url: str) -> dict[str, str]:
    return {"MicrosoftAppId": APP_ID, "MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppTenantId": BOT_TENANT,
            "AZURE_CREDENTIAL": "sandbox", "ALLOWED_TENANT_IDS": teams.PARTNER_TENANT,
            "ENGINEER_IDS": teams.ENGINEER["aadObjectId"],
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": metadata_url}


async def _send(bot: Any, connector: Connector, token: str) -> int:
    response = await bot.post(teams.message("help", connector.url), headers={"Authorization": f"Bearer {token}"})
    return int(response.status)


async def test_token_signed_with_the_published_key_is_accepted_and_the_reply_is_sent(
    start_bot: BotFactory, connector: Connector, idp: Identity
) -> None:
    bot = await start_bot(**_registration(idp.metadata_url))
    token = idp.trusted.token(audience=APP_ID, service_url=connector.url)
    assert await _send(bot, connector, token) in (200, 201)
    [reply] = await connector.wait_for(1)
    assert reply["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"  # the help card
    # The keys came from the configured document, and the reply carried the bot's own outbound token.
    assert idp.requests[:2] == [identity.METADATA_PATH, identity.KEYS_PATH]
    assert identity.MSI_PATH in idp.requests


@pytest.mark.parametrize(
    "forge",
    [
        lambda idp, url: SigningKey("rogue-key").token(audience=APP_ID, service_url=url),
        lambda idp, url: SigningKey("x").token(audience=APP_ID, service_url=url, kid=idp.trusted.kid),
        lambda idp, url: SigningKey("x").token(audience=APP_ID, service_url=url, kid=""),
        lambda idp, url: idp.trusted.token(audience="0d2c4e6f-0000-4000-8000-00000000b0b0", service_url=url),
        lambda idp, url: idp.trusted.token(audience=APP_ID, service_url="https://evil.example.com/"),
        lambda idp, url: idp.trusted.token(audience=APP_ID, service_url=url, issuer="https://sts.example.com/"),
        lambda idp, url: idp.trusted.token(audience=APP_ID, service_url=url, lifetime=-3600),
    ],
    ids=["unknown-key-id", "other-key-same-key-id", "other-key-no-key-id", "other-bots-audience",
         "other-service-url", "other-issuer", "expired"],
)
async def test_token_not_signed_by_the_published_key_or_not_for_this_bot_is_refused(
    start_bot: BotFactory, connector: Connector, idp: Identity, forge: Any
) -> None:
    bot = await start_bot(**_registration(idp.metadata_url))
    assert await _send(bot, connector, forge(idp, connector.url)) == 401
    # The handler never ran: nothing reached the Bot Connector, no outbound token was even asked for.
    assert connector.sent == [] and connector.updated == []
    assert identity.MSI_PATH not in idp.requests


async def test_signing_keys_that_cannot_be_fetched_refuse_with_401(
    start_bot: BotFactory, connector: Connector, idp: Identity
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on: like login.botframework.com offline
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}{identity.METADATA_PATH}"
    bot = await start_bot(**_registration(closed))
    token = idp.trusted.token(audience=APP_ID, service_url=connector.url)
    assert await _send(bot, connector, token) == 401
    assert connector.sent == []
