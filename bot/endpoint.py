"""POST /api/messages, the same on every Teams edge: who may call, what the bot accepts, which status answers.

Both SDKs answer 500 to a caller's mistakes (a token they cannot read, a missing Content-Type, broken JSON, a
field of the wrong type); here those get 401 / 415 / 400 before the edge sees the activity. With a Bot
registration the caller is authenticated first (`bot/inbound_auth.py`), before anything about the body is
judged: an unauthenticated request gets 401 whatever it carries, so nobody learns what the bot accepts
without a valid token. A message is answered 201 on every edge (botbuilder's answer; the Agents SDK's is 202).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlparse

from aiohttp import web

from bot.inbound_auth import InboundAuth, Unauthenticated

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class MalformedActivity(ValueError):
    """The activity's fields have the wrong types for the SDK's model (raised by an edge)."""


class Edge(Protocol):
    async def run(self, request: web.Request, body: dict[str, Any],
                  claims: Mapping[str, Any] | None) -> web.StreamResponse | None:
        """Run the activity's turn; `claims` are the verified token's (None in local mode). Returns the invoke's
        response, or None when the activity needs no body (answered 201)."""


def _routable(body: Any) -> bool:
    """The envelope fields an SDK needs before it can even answer: a type, the conversation, where to reply,
    and the bot's own account in it (the Agents SDK cannot address a reply without it; Teams always sends it).
    Anything less crashes inside the SDK (HTTP 500) instead of being refused."""
    if not isinstance(body, dict):
        return False
    conversation = body.get("conversation")
    return (
        isinstance(body.get("type"), str)
        and bool(body["type"])
        and isinstance(conversation, dict)
        and isinstance(conversation.get("id"), str)
        and bool(conversation["id"])
        and isinstance(body.get("recipient"), dict)
        and isinstance(body.get("serviceUrl"), str)
        and urlparse(body["serviceUrl"]).scheme in ("http", "https")
        and bool(urlparse(body["serviceUrl"]).netloc)
    )


def _lenient_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _text_field(envelope: Mapping[str, Any], name: str) -> str | None:
    value = envelope.get(name)
    return value if isinstance(value, str) else None


def _local_refusal(request: web.Request) -> web.Response | None:
    """Local mode has no inbound authentication, so only a client on this machine that is not a web page may
    talk: a loopback Host (no DNS rebinding), no Origin (no browser page posting across sites), and exactly
    `application/json` (a form post a page could send without asking is not)."""
    if "Origin" in request.headers:
        return web.json_response({"error": "cross-origin requests are refused in local mode"}, status=403)
    host = request.headers.get("Host", "")
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() not in ("localhost", "127.0.0.1", "::1") and not name.startswith("127."):
        return web.json_response({"error": "local mode answers only a loopback Host"}, status=403)
    if request.content_type != "application/json":
        return web.json_response({"error": "Content-Type must be application/json"}, status=415)
    return None


def _unauthorized() -> web.Response:
    return web.json_response({"error": "unauthorized"}, status=401)


def messages_handler(edge: Edge, *, auth: InboundAuth | None) -> Handler:
    """`auth` None is local mode (no Bot registration: the Agents Playground), where requests are not
    authenticated; settings.py allows that on a loopback address only."""

    async def handle(request: web.Request) -> web.StreamResponse:
        claims: dict[str, Any] | None = None
        if auth is None and (refused := _local_refusal(request)) is not None:
            return refused
        if auth is not None:
            header = request.headers.get("Authorization", "")
            raw = _lenient_json(await request.read())
            envelope = raw if isinstance(raw, dict) else {}
            # The token is bound to the channel and service URL the activity names.
            try:
                claims = await auth.authenticate(header, channel_id=_text_field(envelope, "channelId"),
                                                 service_url=_text_field(envelope, "serviceUrl"))
            except Unauthenticated:
                return _unauthorized()
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "Content-Type must be application/json"}, status=415)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "the body is not valid JSON"}, status=400)
        if not _routable(body):
            return web.json_response({"error": "the body is not a Bot Framework activity"}, status=400)
        try:
            response = await edge.run(request, body, claims)
        except PermissionError:
            log.info("refused a request with an invalid Authorization header")
            return _unauthorized()
        except MalformedActivity as error:
            log.info("refused a malformed activity")
            return web.json_response({"error": f"malformed activity: {error}"}, status=400)
        return response if response is not None else web.Response(status=201)

    return handle
