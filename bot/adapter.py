"""The Bot Framework adapter: inbound JWT authentication and the invoke-serialization workaround."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

import botbuilder.integration.aiohttp.cloud_adapter as _cloud_adapter
import jwt
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult
from msrest.exceptions import DeserializationError
from msrest.universal_http.requests import ClientRetryPolicy

log = logging.getLogger(__name__)

_original_serializer_helper = _cloud_adapter.serializer_helper


def _serialize_once(obj: Any) -> Any:
    # botbuilder 4.17.1: ActivityHandler._create_invoke_response() already turns the invoke body into
    # a dict, then CloudAdapter.process() serializes it again and fails ("'dict' object has no
    # attribute 'is_xml_model'"), answering HTTP 500 to every card click. Plain data passes through.
    if obj is None or isinstance(obj, dict | list | str | int | float | bool):
        return obj
    return _original_serializer_helper(obj)


def install_retry_policy_fix() -> None:
    """msrest builds its retry-code list by scanning a 501-item list 999 times (about 5 ms), and
    botbuilder builds it several times per activity: more than half the bot's CPU under load. The same
    codes, from a set. Idempotent."""
    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)


def install_invoke_fix(enabled: bool = True) -> None:
    """Apply (or, for the test that proves the bug, remove) the workaround. Idempotent."""
    _cloud_adapter.serializer_helper = _serialize_once if enabled else _original_serializer_helper


class _RefusingAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's inbound check, where any failure to verify the caller's token is a refusal (401).

    botbuilder 4.17.1 lets other errors escape (HTTP 500): a token whose `kid` the signing keys do not
    list (IndexError), keys that cannot be fetched (no network: requests' ConnectionError), a broken
    metadata document. None of them may let a request through, and none is the bot's own failure."""

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await super().authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever went wrong, the caller is not authenticated
            log.warning("refused a request: its token could not be verified (%s)", type(error).__name__)
            raise PermissionError("the token could not be verified") from error


def create_adapter(configuration: Any) -> CloudAdapter:
    """`configuration` exposes APP_ID / APP_PASSWORD / APP_TYPE / APP_TENANTID (empty id = local mode), and
    optionally botbuilder's other names, e.g. TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL (see settings.py)."""
    install_invoke_fix()
    install_retry_policy_fix()
    adapter = CloudAdapter(_RefusingAuthentication(configuration))

    async def on_error(context: TurnContext, error: Exception) -> None:
        # The exception text can carry Azure or HTTP details; users get a plain sentence, logs get
        # the type and activity id only (secrets never reach logs).
        log.exception(
            "turn failed: %s on %s activity %s",
            type(error).__name__,
            context.activity.type,
            context.activity.id,
            exc_info=error,
        )
        if context.activity.type == "message":
            try:
                await context.send_activity(
                    "Sorry, something went wrong on my side. Nothing was changed. Please try again, or type `help`."
                )
            except Exception as send_error:  # noqa: BLE001 - the channel itself is unreachable
                # A 5xx here would make Teams retry the activity and run the command twice.
                log.warning("could not tell the user about the failure: %s", type(send_error).__name__)

    adapter.on_turn_error = on_error
    return adapter


def _routable(body: Any) -> bool:
    """The envelope fields botbuilder needs before it can even answer: a type, the conversation, and
    where to reply. Anything less crashes inside the SDK (HTTP 500) instead of being refused."""
    if not isinstance(body, dict):
        return False
    conversation = body.get("conversation")
    return (
        isinstance(body.get("type"), str)
        and bool(body["type"])
        and isinstance(conversation, dict)
        and isinstance(conversation.get("id"), str)
        and bool(conversation["id"])
        and isinstance(body.get("serviceUrl"), str)
        and urlparse(body["serviceUrl"]).scheme in ("http", "https")
        and bool(urlparse(body["serviceUrl"]).netloc)
    )


def _lenient_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


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


def messages_handler(adapter: CloudAdapter, bot: Any, *,
                     authenticate_first: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """POST /api/messages. botbuilder answers 500 to a malformed token, a missing Content-Type or broken
    JSON; those are the caller's mistakes, so they get 401 / 415 / 400 here before the SDK sees them.

    With `authenticate_first` (a registered bot), the caller is authenticated before anything about the
    body is judged: an unauthenticated request gets 401 whatever it carries, so nobody learns what the bot
    accepts without a valid token. The token is verified once; the activity then runs with that result."""

    async def handle(request: web.Request) -> web.StreamResponse:
        auth: AuthenticateRequestResult | None = None
        if not authenticate_first and (refused := _local_refusal(request)) is not None:
            return refused
        if authenticate_first:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer ") or not header[len("Bearer "):].strip():
                return web.json_response({"error": "unauthorized"}, status=401)
            raw = _lenient_json(await request.read())
            envelope = raw if isinstance(raw, dict) else {}
            # The token is bound to the channel and service URL the activity names.
            probe = Activity(channel_id=envelope.get("channelId") if isinstance(envelope.get("channelId"), str)
                             else None,
                             service_url=envelope.get("serviceUrl") if isinstance(envelope.get("serviceUrl"), str)
                             else None)
            try:
                auth = await adapter.bot_framework_authentication.authenticate_request(probe, header)
            except (jwt.PyJWTError, PermissionError):
                log.info("refused a request with an invalid Authorization header")
                return web.json_response({"error": "unauthorized"}, status=401)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "Content-Type must be application/json"}, status=415)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "the body is not valid JSON"}, status=400)
        if not _routable(body):
            return web.json_response({"error": "the body is not a Bot Framework activity"}, status=400)
        try:
            if auth is None:
                response: web.StreamResponse | None = await adapter.process(request, bot)
            else:
                response = await _process_authenticated(adapter, bot, body, auth)
        except (jwt.PyJWTError, PermissionError):
            log.info("refused a request with an invalid Authorization header")
            return web.json_response({"error": "unauthorized"}, status=401)
        except DeserializationError:
            # An activity whose fields have the wrong types fails inside the SDK's model parsing.
            log.info("refused a malformed activity")
            return web.json_response({"error": "malformed activity"}, status=400)
        return response if response is not None else web.Response(status=201)

    return handle


async def _process_authenticated(adapter: CloudAdapter, bot: Any, body: dict[str, Any],
                                 auth: AuthenticateRequestResult) -> web.StreamResponse:
    """What CloudAdapter.process does for a POST, with the authentication already done."""
    activity = Activity().deserialize(body)
    invoke_response = await adapter.process_activity(auth, activity, bot.on_turn)
    if invoke_response:
        return web.json_response(data=_cloud_adapter.serializer_helper(invoke_response.body),
                                 status=invoke_response.status)
    return web.Response(status=201)
