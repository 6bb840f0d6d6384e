"""Inbound authentication with real signatures: the bot is registered (a user-assigned managed identity) and
reads the Bot Framework's signing keys from an OpenID metadata document on a loopback server. A token
signed with the published key is accepted and the bot's reply reaches the Bot Connector; a well-formed
token signed with any other key, or one the bot cannot check, gets 401 and reaches no handler."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from tests.support import connector_tokens as identity
from tests.support import teams
from tests.support.bot_http import BotFactory, Connector
from tests.support.cardtools import text_of
from tests.support.connector_tokens import Identity, SigningKey
from tests.support.contoso import CONTOSO, PAYG

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


async def _send(bot: Any, connector: Connector, token: str, text: str = "help") -> int:
    response = await bot.post(teams.message(text, connector.url), headers={"Authorization": f"Bearer {token}"})
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


async def test_cards_sent_after_the_turn_carry_the_bots_own_token(
    start_bot: BotFactory, connector: Connector, idp: Identity
) -> None:
    """An assessment's progress card is updated by background work, outside any turn (a proactive send): it
    too gets the managed identity's token, on either edge."""
    bot = await start_bot(**_registration(idp.metadata_url))
    for text in (f"attach {CONTOSO}", f"assess {CONTOSO} {PAYG}"):
        assert await _send(bot, connector, idp.trusted.token(audience=APP_ID, service_url=connector.url),
                           text) in (200, 201)
    for _ in range(300):
        if any("Assessment:" in text_of(a["attachments"][0]["content"]) for a in connector.updated
               if a.get("attachments")):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the assessment never showed")
    assert connector.updated, "the summary replaced the progress card in place"
    assert set(connector.authorizations) == {f"Bearer {identity.OUTBOUND_TOKEN}"}


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
        # The published key, but no kid: the Agents SDK's validator answers 500 (KeyError).
        lambda idp, url: idp.trusted.token(audience=APP_ID, service_url=url, kid=""),
        # No serviceurl claim: the Agents SDK's validator does not require it.
        lambda idp, url: idp.trusted.token(audience=APP_ID, service_url=None),
        # Another algorithm, keyed with what is public (the key id and the JWKS).
        lambda idp, url: jwt.encode({"iss": identity.ISSUER, "aud": APP_ID, "serviceurl": url,
                                     "exp": int(time.time()) + 600}, idp.trusted.jwk()["n"],
                                    algorithm="HS256", headers={"kid": idp.trusted.kid}),
        lambda idp, url: jwt.encode({"iss": identity.ISSUER, "aud": APP_ID, "serviceurl": url,
                                     "exp": int(time.time()) + 600}, None, algorithm="none",
                                    headers={"kid": idp.trusted.kid}),
    ],
    ids=["unknown-key-id", "other-key-same-key-id", "other-key-no-key-id", "other-bots-audience",
         "other-service-url", "other-issuer", "expired", "published-key-no-key-id", "no-service-url-claim",
         "hs256", "unsigned"],
)
async def test_token_not_signed_by_the_published_key_or_not_for_this_bot_is_refused(
    start_bot: BotFactory, connector: Connector, idp: Identity, forge: Any
) -> None:
    bot = await start_bot(**_registration(idp.metadata_url))
    assert await _send(bot, connector, forge(idp, connector.url)) == 401
    # The handler never ran: nothing reached the Bot Connector, no outbound token was even asked for.
    assert connector.sent == [] and connector.updated == []
    assert identity.MSI_PATH not in idp.requests


async def test_a_token_expired_within_five_minutes_is_still_accepted(
    start_bot: BotFactory, connector: Connector, idp: Identity
) -> None:
    """Clock skew between the Bot Connector and the bot: Microsoft allows five minutes."""
    bot = await start_bot(**_registration(idp.metadata_url))
    assert await _send(bot, connector, idp.trusted.token(audience=APP_ID, service_url=connector.url,
                                                         lifetime=-120)) in (200, 201)
    await connector.wait_for(1)


@pytest.mark.parametrize(
    ("key", "jwks_uri"),
    [(SigningKey("skype-only", endorsements=("skype",)), None),
     (SigningKey("no-endorsements", endorsements=()), None),
     (SigningKey("trusted-key-1"), "http://keys.example.com/v1/.well-known/keys")],
    ids=["key-endorsed-for-another-channel", "key-endorsed-for-no-channel", "key-url-over-plain-http"],
)
async def test_a_key_not_endorsed_for_teams_or_published_over_plain_http_is_not_trusted(
    start_bot: BotFactory, connector: Connector, monkeypatch: pytest.MonkeyPatch, key: SigningKey,
    jwks_uri: str | None
) -> None:
    for server in identity.serve(key, jwks_uri=jwks_uri):
        monkeypatch.setenv("IDENTITY_ENDPOINT", server.msi_endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", identity.MSI_HEADER)
        bot = await start_bot(**_registration(server.metadata_url))
        assert await _send(bot, connector, key.token(audience=APP_ID, service_url=connector.url)) == 401
        assert connector.sent == []
        assert identity.KEYS_PATH not in server.requests or jwks_uri is None


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
