"""The botbuilder edge's adapter: its workarounds, its turn-error handler, and how an activity the endpoint
(`bot/endpoint.py`) admitted runs on it. Inbound tokens are checked by `bot/inbound_auth.py`, not by botbuilder;
botbuilder's own check only runs in local mode, where it admits anonymous requests."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import botbuilder.integration.aiohttp.cloud_adapter as _cloud_adapter
from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import AuthenticateRequestResult, AuthenticationConstants, ClaimsIdentity
from msrest.exceptions import DeserializationError
from msrest.universal_http.requests import ClientRetryPolicy

from bot.edge_shared import report_turn_failure
from bot.endpoint import MalformedActivity

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
    """botbuilder's own inbound check, which runs only in local mode (a registered bot's tokens are checked by
    bot/inbound_auth.py first), where any failure to verify a token is a refusal (401).

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
    """`configuration` exposes APP_ID / APP_PASSWORD / APP_TYPE / APP_TENANTID (empty id = local mode): what
    botbuilder needs for its outbound tokens (see settings.py)."""
    install_invoke_fix()
    install_retry_policy_fix()
    adapter = CloudAdapter(_RefusingAuthentication(configuration))
    adapter.on_turn_error = report_turn_failure
    return adapter


class BotbuilderEdge:
    """The endpoint's Edge on botbuilder: local mode runs `CloudAdapter.process` (anonymous); a verified
    token's claims run the activity as botbuilder's own check would have, with its connector factory."""

    def __init__(self, adapter: CloudAdapter, bot: Any) -> None:
        self._adapter = adapter
        self._bot = bot

    async def run(self, request: web.Request, body: dict[str, Any],
                  claims: Mapping[str, Any] | None) -> web.StreamResponse | None:
        try:
            if claims is None:
                response: web.StreamResponse | None = await self._adapter.process(request, self._bot)
                return response
            return await self._process_authenticated(body, claims)
        except DeserializationError:
            # An activity whose fields have the wrong types fails inside the SDK's model parsing.
            raise MalformedActivity("a field has the wrong type") from None

    async def _process_authenticated(self, body: dict[str, Any],
                                     claims: Mapping[str, Any]) -> web.StreamResponse | None:
        activity = Activity().deserialize(body)
        invoke_response = await self._adapter.process_activity(self._authenticated(claims), activity,
                                                               self._bot.on_turn)
        if invoke_response:
            return web.json_response(data=_cloud_adapter.serializer_helper(invoke_response.body),
                                     status=invoke_response.status)
        return None

    def _authenticated(self, claims: Mapping[str, Any]) -> AuthenticateRequestResult:
        """What botbuilder's public-cloud check returns for a Bot Connector token (4.17.1,
        _BuiltinBotFrameworkAuthentication.authenticate_request)."""
        identity = ClaimsIdentity(dict(claims), True, "Bearer")
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.caller_id = CallerIdConstants.public_azure_channel
        result.connector_factory = self._adapter.bot_framework_authentication.create_connector_factory(identity)
        return result
