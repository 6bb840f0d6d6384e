"""Telemetry: OpenTelemetry traces and metrics, sent to Application Insights by the Azure Monitor distro
(azure-monitor-opentelemetry), on only when APPLICATIONINSIGHTS_CONNECTION_STRING is set.

- A trace per turn (`/api/messages`) and per background job (assessment, move request); the Azure SDK's
  calls are child spans (the distro turns on azure-core's OpenTelemetry tracing).
- Counters: moves finished (by outcome), steps finished (resource groups, by outcome), errors (turns
  and jobs that failed).
- Spans carry ids and kinds only: never message text, card data, tokens or settings. With no connection
  string the OpenTelemetry API stays a no-op and none of this costs anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web
from opentelemetry import context, metrics, trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import Link, SpanKind, StatusCode

from migration.model import GroupState
from migration.model.records import StoredRequest
from settings import Settings

log = logging.getLogger(__name__)

NAME = "cspbot"
SERVICE = "csp-migration-bot"
# The attribute that marks our own spans; the error counter counts those that fail.
SOURCE = "cspbot.source"

_tracer = trace.get_tracer(NAME)
_meter = metrics.get_meter(NAME)
MOVES = _meter.create_counter("cspbot.moves", unit="{move}", description="Move requests finished, by outcome")
STEPS = _meter.create_counter(
    "cspbot.move_steps", unit="{step}", description="Resource groups a move finished with, by outcome"
)
ERRORS = _meter.create_counter("cspbot.errors", unit="{error}", description="Turns and background jobs that failed")
_FINISHED_GROUP = frozenset({GroupState.SUCCEEDED, GroupState.FAILED, GroupState.SKIPPED})


def configure_telemetry(settings: Settings, **azure_monitor_options: Any) -> bool:
    """Send traces, metrics and logs to Application Insights when its connection string is set. In Azure the
    managed identity authenticates (the template turns the component's key-based ingestion off).
    `azure_monitor_options` go to configure_azure_monitor (tests add an in-memory exporter)."""
    if not settings.applicationinsights_connection_string:
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor
    from opentelemetry.sdk.resources import Resource

    credential = None
    if settings.managed_identity_client_id:
        from azure.identity import ManagedIdentityCredential

        credential = ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
    processors = [*azure_monitor_options.pop("span_processors", []), ErrorCounter()]
    # Every trace is kept: a chat bot makes a few a minute, and a move's trace must be there when it fails
    # (the distro's default samples at most 5 traces a second, starting from none).
    azure_monitor_options.setdefault("sampling_ratio", 1.0)
    configure_azure_monitor(
        connection_string=settings.applicationinsights_connection_string,
        credential=credential,
        resource=Resource.create({"service.name": SERVICE}),
        span_processors=processors,
        # The bot serves aiohttp and talks to Azure through azure-core; the web-framework hooks stay off.
        instrumentation_options={name: {"enabled": False} for name in ("django", "fastapi", "flask", "psycopg2")},
        **azure_monitor_options,
    )
    log.info("telemetry: traces and metrics go to Application Insights")
    return True


class ErrorCounter(SpanProcessor):
    """Counts our turns and jobs that end in error (an exception, or a 5xx answer)."""

    def on_end(self, span: ReadableSpan) -> None:
        attributes = span.attributes or {}
        if span.status.status_code is StatusCode.ERROR and SOURCE in attributes:
            ERRORS.add(1, {SOURCE: str(attributes[SOURCE])})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def traced_turns(handler: Handler) -> Handler:
    """Wraps POST /api/messages: one trace per turn, named for the activity's kind, nothing of its content."""

    async def handle(request: web.Request) -> web.StreamResponse:
        attributes: dict[str, str] = {SOURCE: "turn"}
        try:
            body = await request.json()  # aiohttp keeps the body; the handler reads it again
        except ValueError:
            body = None
        if isinstance(body, dict):
            attributes.update(_activity_attributes(body))
        name = f"turn {attributes.get('cspbot.activity.type', 'unknown')}"
        with _quiet_span(name, kind=SpanKind.SERVER, attributes=attributes) as span:
            try:
                response = await handler(request)
            except Exception as error:
                _failed(span, error)
                raise
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(StatusCode.ERROR, f"answered {response.status}")
            return response

    return handle


def _quiet_span(name: str, **options: Any) -> Any:
    """A span that records a failure by its type only: exception messages may carry what spans must not."""
    return _tracer.start_as_current_span(name, record_exception=False, set_status_on_exception=False, **options)


def _failed(span: trace.Span, error: Exception) -> None:
    span.set_status(StatusCode.ERROR, type(error).__name__)
    span.set_attribute("error.type", type(error).__name__)


def _activity_attributes(body: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, attribute in (("type", "cspbot.activity.type"), ("name", "cspbot.activity.name"),
                           ("channelId", "cspbot.channel")):
        if isinstance(body.get(key), str):
            out[attribute] = body[key][:64]
    conversation = body.get("conversation")
    if isinstance(conversation, dict) and isinstance(conversation.get("conversationType"), str):
        out["cspbot.conversation.type"] = conversation["conversationType"][:32]
    value = body.get("value")
    action = value.get("action") if isinstance(value, dict) else None
    if isinstance(action, dict) and isinstance(action.get("verb"), str):
        out["cspbot.card.verb"] = action["verb"][:64]  # which button; its data stays out
    return out


def background_job(kind: str, work: Coroutine[Any, Any, Any], **attributes: str) -> Coroutine[Any, Any, Any]:
    """`work` as a trace of its own (`job <kind>`), linked to the turn that started it, if any."""
    started_by = trace.get_current_span().get_span_context()

    async def run() -> Any:
        links = [Link(started_by)] if started_by.is_valid else []
        with _quiet_span(
            f"job {kind}",
            context=context.Context(),  # a new trace: the job outlives the turn
            kind=SpanKind.INTERNAL,
            links=links,
            attributes={SOURCE: "job", "cspbot.job": kind, **attributes},
        ) as span:
            try:
                return await work
            except Exception as error:
                _failed(span, error)
                raise

    return run()


class MoveCounters:
    """The runner's telemetry (`MoveTelemetry`): counts the steps and moves that finish."""

    def __init__(self) -> None:
        # Per process: a request resumed after a restart counts the groups it finishes from then on.
        self._seen: dict[str, set[str]] = {}
        self._finished: set[str] = set()

    def request_changed(self, stored: StoredRequest, *, final: bool) -> None:
        seen = self._seen.setdefault(stored.id, set())
        for group in stored.request.groups:
            if group.state in _FINISHED_GROUP and group.source_group not in seen:
                seen.add(group.source_group)
                STEPS.add(1, {"outcome": group.state.value})
        if final and stored.id not in self._finished:
            self._finished.add(stored.id)
            self._seen.pop(stored.id, None)
            MOVES.add(1, {"outcome": stored.state.value})
