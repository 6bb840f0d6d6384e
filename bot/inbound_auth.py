"""Inbound authentication: the Bot Connector's token on each request to /api/messages, checked by the bot
itself, the same way on every Teams edge.

Neither SDK checks everything Microsoft asks for ("Authenticate requests from the Bot Connector service to
your bot", https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
the Agents SDK 1.9.0 has no OpenID metadata URL setting, only logs a `serviceurl` claim that does not match,
answers 500 to a token without `kid`, and ignores key endorsements. Here, with a Bot registration, a request
passes only if all of these hold, and anything else (including keys that cannot be fetched) is a refusal:

- a `Bearer` token, signed with RS256 by a key the OpenID metadata document's `jwks_uri` lists (found by the
  token's `kid`, which is required); the key URL is https, or http on a loopback address;
- the key's `endorsements` name the activity's channel (`msteams`);
- issuer `https://api.botframework.com`, audience the bot's app id, not expired (5 minutes' leeway);
- the `serviceurl` claim equals the activity's `serviceUrl`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt

from migration.azure.credentials import is_loopback_url

log = logging.getLogger(__name__)

# From the Microsoft Learn page above: the Bot Connector's issuer and its OpenID metadata document.
BOT_CONNECTOR_ISSUER = "https://api.botframework.com"
PUBLIC_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
ALGORITHMS = ("RS256",)  # "the token was signed with the RS256 algorithm" (same page)
LEEWAY_SECONDS = 300  # "allow for some clock skew ... 5 minutes" (same page)
KEYS_TTL_SECONDS = 24 * 3600  # the keys change rarely; the page asks bots to cache them
# A token naming a key the cache lacks refetches the keys, at most this often (a stream of forged kids
# must not turn into a stream of requests to the metadata host).
REFRESH_SECONDS = 300
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)


class Unauthenticated(Exception):
    """The request's caller could not be verified; the reason is for the log (it never names a secret)."""


@dataclass(frozen=True, slots=True)
class InboundAuthConfig:
    app_id: str  # the Bot registration's application id: the token's audience
    metadata_url: str = PUBLIC_METADATA_URL
    issuer: str = BOT_CONNECTOR_ISSUER
    leeway_seconds: int = LEEWAY_SECONDS


@dataclass(frozen=True, slots=True)
class _SigningKey:
    key: jwt.PyJWK
    endorsements: frozenset[str]


@dataclass
class _KeyCache:
    keys: dict[str, _SigningKey] = field(default_factory=dict)
    fetched_at: float = float("-inf")


def _url_allowed(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback_url(url)))


class InboundAuth:
    """Verifies the Authorization header of one request; `authenticate` returns the token's claims."""

    def __init__(self, config: InboundAuthConfig) -> None:
        if not config.app_id:
            raise ValueError("inbound authentication needs the bot's app id")
        self.config = config
        self._cache = _KeyCache()
        self._lock = asyncio.Lock()

    async def authenticate(self, authorization: str, *, channel_id: str | None,
                           service_url: str | None) -> dict[str, Any]:
        try:
            return await self._authenticate(authorization, channel_id=channel_id, service_url=service_url)
        except Unauthenticated as refusal:
            log.info("refused a request: %s", refusal)
            raise
        except Exception as error:  # noqa: BLE001 - whatever went wrong, the caller is not authenticated
            log.warning("refused a request: its token could not be verified (%s)", type(error).__name__)
            raise Unauthenticated(type(error).__name__) from None

    async def _authenticate(self, authorization: str, *, channel_id: str | None,
                            service_url: str | None) -> dict[str, Any]:
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme != "Bearer" or not token:
            raise Unauthenticated("no Bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated(f"algorithm {str(header.get('alg'))[:20]!r} is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("the token names no signing key (kid)")
        if not channel_id:
            raise Unauthenticated("the activity names no channel")
        signing = await self._key(kid)
        if channel_id not in signing.endorsements:
            raise Unauthenticated(f"the signing key is not endorsed for channel {channel_id[:40]!r}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, signing.key, algorithms=list(ALGORITHMS), audience=self.config.app_id,
                issuer=self.config.issuer, leeway=self.config.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"the token is not valid for this bot ({type(error).__name__})") from None
        if not service_url or claims.get("serviceurl") != service_url:
            raise Unauthenticated("the token's serviceurl claim is not the activity's serviceUrl")
        return claims

    async def _key(self, kid: str) -> _SigningKey:
        now = time.monotonic()
        cache = self._cache
        if kid in cache.keys and now - cache.fetched_at < KEYS_TTL_SECONDS:
            return cache.keys[kid]
        async with self._lock:
            cache = self._cache
            stale = now - cache.fetched_at >= KEYS_TTL_SECONDS
            if stale or (kid not in cache.keys and now - cache.fetched_at >= REFRESH_SECONDS):
                self._cache = cache = _KeyCache(await self._fetch_keys(), time.monotonic())
        if kid not in cache.keys:
            raise Unauthenticated("the token's signing key is not published")
        return cache.keys[kid]

    async def _fetch_keys(self) -> dict[str, _SigningKey]:
        async with aiohttp.ClientSession(timeout=FETCH_TIMEOUT) as session:
            metadata = await _get_json(session, self.config.metadata_url)
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not _url_allowed(jwks_uri):
                raise Unauthenticated("the metadata document's key URL is not https (nor a loopback address)")
            document = await _get_json(session, jwks_uri)
        keys: dict[str, _SigningKey] = {}
        for entry in document.get("keys") or []:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str) or entry.get("kty") != "RSA":
                continue
            try:
                key = jwt.PyJWK(dict(entry), algorithm="RS256")
            except jwt.PyJWTError:
                log.warning("a published signing key could not be read; it is ignored")
                continue  # one broken key must not lock out the others
            endorsements = entry.get("endorsements")
            keys[entry["kid"]] = _SigningKey(
                key,
                frozenset(e for e in endorsements if isinstance(e, str)) if isinstance(endorsements, list)
                else frozenset(),
            )
        return keys


async def _get_json(session: aiohttp.ClientSession, url: str) -> Mapping[str, Any]:
    async with session.get(url) as response:
        response.raise_for_status()
        body = json.loads(await response.read())
    if not isinstance(body, Mapping):
        raise Unauthenticated("the key document is not a JSON object")
    return body
