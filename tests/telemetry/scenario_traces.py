"""Run by test_telemetry.py in a process of its own (OpenTelemetry's providers are set once per process):
telemetry configured as in Azure (the Azure Monitor distro, a connection string), plus an in-memory exporter;
the real app over HTTP with the sandbox behind it; an assessment and a move request as background jobs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from cards import verbs
from settings import load_settings
from telemetry import background_job, configure_telemetry
from tests.support.moves import CUSTOMER, SOURCE, MoveBot
from tests.support.teams import APPROVER

# Ingestion goes to a closed loopback port: the Azure Monitor exporter runs for real and fails fast.
INSTRUMENTATION_KEY = "5c1f3a2e-7d4b-4e8a-9c6f-1b2d3e4f5a6b"
CONNECTION_STRING = f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint=http://127.0.0.1:9/"
EXPORTER = InMemorySpanExporter()
READER = InMemoryMetricReader()
CARD_NOTE = "note-only-in-the-card-data-7f3a"
assert configure_telemetry(
    load_settings({"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION_STRING}),
    span_processors=[SimpleSpanProcessor(EXPORTER)],
    metric_readers=[READER],
    disable_offline_storage=True,
    enable_live_metrics=False,
)


def _spans(name: str) -> list[ReadableSpan]:
    return [s for s in EXPORTER.get_finished_spans() if s.name == name]


async def _until_span(name: str, count: int = 1, timeout: float = 20.0) -> list[ReadableSpan]:
    async def wait() -> list[ReadableSpan]:
        while len(_spans(name)) < count:
            await asyncio.sleep(0.05)
        return _spans(name)

    return await asyncio.wait_for(wait(), timeout)


def _descendants(root: ReadableSpan) -> list[ReadableSpan]:
    spans = [s for s in EXPORTER.get_finished_spans() if s.context.trace_id == root.context.trace_id]
    by_id = {s.context.span_id: s for s in spans}
    out = []
    for span in spans:
        parent = span.parent
        while parent is not None and parent.span_id != root.context.span_id:
            above = by_id.get(parent.span_id)
            parent = above.parent if above is not None else None
        if parent is not None:
            out.append(span)
    return out


def _azure_calls(spans: Iterable[ReadableSpan]) -> list[ReadableSpan]:
    """azure-core's spans of HTTP calls to Azure (here the sandbox)."""
    return [s for s in spans if s.kind is SpanKind.CLIENT and "az.namespace" in (s.attributes or {})
            or s.kind is SpanKind.CLIENT and any(k.startswith(("http.", "url.")) for k in (s.attributes or {}))]


def _metric(name: str) -> dict[str, float]:
    data = READER.get_metrics_data()
    out: dict[str, float] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        key = ",".join(f"{k}={v}" for k, v in sorted(point.attributes.items()))
                        out[key] = out.get(key, 0) + point.value
    return out


async def test_turns_and_jobs_are_traces_with_azure_calls_inside_and_nothing_secret(
    move_bot: MoveBot,
) -> None:
    bot = move_bot
    # Turns: a message in a group chat, a message in the personal chat.
    assert await bot.say("approvals here", user=APPROVER, conversation="19:approvals@thread.v2",
                         kind="groupChat") in (200, 201)
    assess_text = f"assess {CUSTOMER} {SOURCE}"
    assert await bot.say(assess_text) in (200, 201)

    # The assessment runs after the turn: a trace of its own, linked to the turn that asked for it.
    [assess] = await _until_span("job assess")
    turn = next(s for s in _spans("turn message") if s.context.span_id == assess.links[0].context.span_id)
    assert assess.parent is None and assess.context.trace_id != turn.context.trace_id
    assert turn.parent is None and turn.attributes["cspbot.activity.type"] == "message"
    assert turn.attributes["http.response.status_code"] in (200, 201)
    # Every assessment runs in the worker pool: its Azure reads are the worker process's, none is this one's.
    assert _azure_calls(_descendants(assess)) == []
    assert assess.status.status_code is not StatusCode.ERROR

    # A move request: the approver's click is a turn; the move itself is a job whose Azure calls are inside.
    assert await bot.say("status") in (200, 201)  # the requester's chat, where the final report goes
    stored = await bot.request("rg-app", "rg-bad")
    assert stored.card is not None
    await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id, "note": CARD_NOTE},
                    reply_to_id=stored.card.activity_id)
    done = await bot.until(stored.id, lambda s: s.report_sent)
    [click] = [s for s in _spans("turn invoke") if s.attributes.get("cspbot.card.verb") == verbs.REQUEST_APPROVE]
    assert click.attributes["cspbot.activity.name"] == "adaptiveCard/action"
    moves = [s for s in await _until_span("job move") if s.attributes["cspbot.request.id"] == stored.id]
    assert moves and all(s.parent is None for s in moves)
    move_calls = [s for m in moves for s in _azure_calls(_descendants(m))]
    urls = json.dumps([dict(s.attributes or {}) for s in move_calls])
    assert "moveResources" in urls and "validateMoveResources" in urls

    # Counters: one move with its outcome; one step per resource group, with the group's outcome.
    assert _metric("cspbot.moves") == {f"outcome={done.state.value}": 1}
    expected: dict[str, float] = {}
    for group in done.request.groups:
        key = f"outcome={group.state.value}"
        expected[key] = expected.get(key, 0) + 1
    assert _metric("cspbot.move_steps") == expected and sum(expected.values()) == 2

    # A job that fails is an error: the span says so, the counter counts it.
    async def broken() -> None:
        raise RuntimeError("the sandbox went away")

    try:
        await background_job("probe", broken())
    except RuntimeError:
        pass
    [probe] = _spans("job probe")
    assert probe.status.status_code is StatusCode.ERROR and probe.attributes["error.type"] == "RuntimeError"
    assert _metric("cspbot.errors") == {"cspbot.source=job": 1}

    # Nothing secret or private in any span: no token, no key, no message text, no card content or data.
    texts = _all_text(EXPORTER.get_finished_spans())
    cards = [c for a in bot.connector.sent + bot.connector.updated for c in _card_texts(a)]
    # An exception's message may quote anything: failures are recorded by type only.
    for forbidden in ["sandbox.", "Bearer", INSTRUMENTATION_KEY, assess_text, CARD_NOTE, "went away", *cards]:
        assert forbidden not in texts, f"{forbidden!r} reached a span"


def _all_text(spans: Iterable[ReadableSpan]) -> str:
    parts: list[str] = []
    for span in spans:
        parts.append(span.name)
        parts.extend(f"{k}={v}" for k, v in (span.attributes or {}).items())
        for event in span.events:
            parts.append(event.name)
            parts.extend(f"{k}={v}" for k, v in (event.attributes or {}).items())
    return "\n".join(parts)


def _card_texts(activity: dict[str, Any]) -> list[str]:
    """The longer texts shown on the cards the bot sent: none may be in a span."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            text = node.get("text")
            if isinstance(text, str) and len(text) > 24:
                found.append(text)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(activity.get("attachments") or [])
    return found
