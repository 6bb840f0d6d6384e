"""Injected failures (`FaultConfig`: CLI flags, admin endpoint, `Sandbox.set_faults`), drawn for ARM requests
and move jobs from one seeded RNG, so a seed replays the same faults.

A dropped read is aborted before it is handled; a dropped write is carried out and only its answer is lost
(`DROP_ANSWER`): the client cannot know whether it happened.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from aiohttp import web

from sandbox.answers import json_answer, seconds_header
from sandbox.errors import error_body
from sandbox.stats import Stats

DROP_ANSWER = web.RequestKey("drop_answer", bool)


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Injected failures. Rates are probabilities per ARM request (drawn from a seeded RNG)."""

    latency_ms: float = 0.0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0  # reads: dropped before handling; writes: handled, then the answer is lost
    lro_failure_rate: float = 0.0  # a move job fails (409 ResourceMoveFailed) after validating
    retry_after: float = 1.0  # seconds announced on injected 429/503
    limit: int | None = None  # inject at most this many faults, then behave
    operations: tuple[str, ...] = ()  # only these operations (names as in stats' by_operation); () = all

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["operations"] = list(self.operations)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], base: FaultConfig | None = None) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        changes = dict(data)
        if "operations" in changes:
            changes["operations"] = tuple(changes["operations"] or ())
        return replace(base or cls(), **changes)


class FaultInjector:
    def __init__(self, config: FaultConfig, *, seed: int, stats: Stats) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self._stats = stats
        self._injected = 0

    def configure(self, config: FaultConfig) -> None:
        """New faults; the `limit` counts afresh."""
        self.config = config
        self._injected = 0

    def reset(self) -> None:
        self._injected = 0

    def _applies(self, operation: str) -> bool:
        return not self.config.operations or operation in self.config.operations

    async def delay(self, operation: str) -> None:
        if self.config.latency_ms > 0 and self._applies(operation):
            self._stats.fault("latency")
            await asyncio.sleep(self.config.latency_ms / 1000)

    def draw(self, operation: str, request: web.Request) -> web.Response | None:
        """The injected answer for this request, if one is drawn (a dropped read never returns)."""
        f = self.config
        if not self._applies(operation) or (f.limit is not None and self._injected >= f.limit):
            return None
        draw = self._rng.random()
        for name, rate in (("429", f.rate_429), ("500", f.rate_500), ("503", f.rate_503), ("drop", f.rate_drop)):
            if draw < rate:
                self._injected += 1
                self._stats.fault(name)
                break
            draw -= rate
        else:
            return None
        retry = {"Retry-After": seconds_header(f.retry_after), "retry-after-ms": str(int(f.retry_after * 1000))}
        if name == "429":
            return json_answer(error_body("SubscriptionRequestsThrottled",
                                          "The request was throttled. Please try again later."), 429, retry)
        if name == "500":
            return json_answer(error_body("InternalServerError", "Encountered internal server error. "
                                          f"Diagnostic information: tracking id '{uuid.uuid4()}'."), 500)
        if name == "503":
            return json_answer(error_body("ServiceUnavailable", "The server is currently unable to handle the "
                                          "request due to a temporary overloading. Please try again later."), 503,
                               retry)
        if request.method == "GET":
            drop(request)
        request[DROP_ANSWER] = True  # a write is carried out; only its answer is lost
        return None

    def job_fails(self) -> bool:
        """Whether a move job whose time has come fails (`lro_failure_rate`)."""
        if self.config.lro_failure_rate <= 0 or self._rng.random() >= self.config.lro_failure_rate:
            return False
        self._stats.fault("lro_failure")
        return True


def drop(request: web.Request) -> None:
    """Abort the TCP connection: the client sees a reset and no HTTP answer at all."""
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError
