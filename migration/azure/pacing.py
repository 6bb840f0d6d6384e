"""Pacing by Azure's own throttle headers, and retries through azure-core's retry policy.

ARM answers every call with what is left of the caller's token bucket for that subscription
(`x-ms-ratelimit-remaining-subscription-writes` / `-reads`); Resource Graph with the caller's quota
(`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after` as hh:mm:ss). The bucket sizes and refill
rates are Azure's to change, so none is assumed here: a request is held back only while Azure's last
answer said nothing is left once the requests already on their way are counted, and it goes as soon as
an answer says otherwise (or, with nothing on its way, as a probe whose 429 says how long to wait).

A pacer with a read reserve (an assessment worker's) leaves the last `read_reserve` ARM reads of a
subscription's bucket to others: the bucket is per principal, so the move runner in the web process
spends from the same one, and its calls must not wait behind a burst of assessment reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, AsyncRetryPolicy

_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?]+)", re.IGNORECASE)
_GRAPH = "/providers/microsoft.resourcegraph/resources"
_VALIDATE = "/validatemoveresources"
_RESETS = re.compile(r"^(\d+):(\d{2}):(\d{2})(?:\.\d+)?$")
READ_METHODS = frozenset({"GET", "HEAD"})
RESERVE_PROBE = 1.0  # seconds of quiet after which a reserve-holding pacer sends one read to learn the refill


def kind_of(method: str, url: str) -> tuple[str, str]:
    """(scope, kind) whose budget a request spends: Resource Graph's per-user quota, or ARM's reads or
    writes of the subscription in the URL (the tenant's for calls outside a subscription)."""
    path = url.split("?", 1)[0].lower()
    if path.endswith(_GRAPH):
        return "user", "graph"
    match = _SUBSCRIPTION.search(path)
    scope = f"subscription:{match.group(1)}" if match else "tenant"
    return scope, "reads" if method.upper() in READ_METHODS else "writes"


def resets_after(value: str | None) -> float | None:
    """Resource Graph's `x-ms-user-quota-resets-after` (hh:mm:ss) in seconds."""
    match = _RESETS.match((value or "").strip())
    if not match:
        return None
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


@dataclass(slots=True)
class _Budget:
    remaining: int | None = None  # what Azure's last answer said is left (None: not told yet)
    in_flight: int = 0  # sent, not answered: each will spend one of `remaining`
    resume_at: float = 0.0  # monotonic time before which Azure asked us not to send (Retry-After)
    # Requests answered 429, until their retry: each was told when its turn comes, so it goes first then
    # (request id -> when to forget it, should its retry never come).
    booked: dict[str, float] = field(default_factory=dict)
    # While the bucket is empty: how long one token takes, learnt from Retry-After (a request sent `since`
    # after the last one served was told to wait `w` more: a token takes about since + w).
    spacing: float = 0.0
    last_served: float = 0.0  # when the last request was served with nothing left after it
    last_answer: float = 0.0  # when Azure last answered a request of this budget
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    def waiting(self, now: float) -> int:
        for key in [k for k, until in self.booked.items() if until < now]:
            del self.booked[key]
        return self.in_flight + len(self.booked)


class Pacer:
    """What Azure said is left, per budget; `acquire` before a request, `release` with its answer."""

    def __init__(self, *, read_reserve: int = 0) -> None:
        self._budgets: dict[tuple[str, str], _Budget] = {}
        self._reserve = read_reserve
        self.held = 0  # requests that had to wait for the budget (a figure for benchmarks and tests)

    def _budget(self, key: tuple[str, str]) -> _Budget:
        budget = self._budgets.get(key)
        if budget is None:
            budget = self._budgets[key] = _Budget()
        return budget

    def remaining(self, scope: str, kind: str) -> int | None:
        return self._budget((scope, kind)).remaining

    async def acquire(self, key: tuple[str, str], request_id: str = "") -> None:
        budget = self._budget(key)
        waited = False
        while True:
            now = time.monotonic()
            if now < budget.resume_at:
                waited = True
                await asyncio.sleep(budget.resume_at - now)
                continue
            if request_id and budget.booked.pop(request_id, None) is not None:
                break  # the retry of a throttled request: its turn, as Azure said
            ahead = budget.waiting(now)
            keep = self._reserve if key[1] == "reads" else 0
            if budget.remaining is None or budget.remaining - ahead > keep:
                break  # budget left (beyond what is kept for others)
            if ahead == 0 and (not keep or now - budget.last_answer >= RESERVE_PROBE):
                break  # nothing on its way that could tell us more: this one finds out
            waited = True
            budget.answered.clear()
            with contextlib.suppress(TimeoutError):  # a booked retry that never comes is forgotten
                await asyncio.wait_for(budget.answered.wait(), 1.0)
        self.held += waited
        budget.in_flight += 1

    def release(self, key: tuple[str, str], *, status: int | None, headers: Any, retry_after: float | None,
                request_id: str = "") -> None:
        budget = self._budget(key)
        budget.in_flight = max(0, budget.in_flight - 1)
        budget.last_answer = time.monotonic()
        if headers is not None:
            names = ("x-ms-user-quota-remaining",) if key[1] == "graph" else (
                f"x-ms-ratelimit-remaining-{key[0].split(':', 1)[0]}-{key[1]}",)
            for name in names:
                value = _int(headers.get(name))
                if value is not None:
                    budget.remaining = value
            if status == 429:
                wait = retry_after
                if wait is None and key[1] == "graph":
                    wait = resets_after(headers.get("x-ms-user-quota-resets-after"))
                now = time.monotonic()
                if wait:
                    budget.resume_at = max(budget.resume_at, now + wait)
                    if not budget.booked and budget.last_served and now - budget.last_served < 60:
                        budget.spacing = max(budget.spacing, (now - budget.last_served + wait) * 1.05)
                if request_id:
                    budget.booked[request_id] = time.monotonic() + (wait or 0.0) + 10.0
            elif key[1] == "graph" and budget.remaining == 0:
                wait = resets_after(headers.get("x-ms-user-quota-resets-after"))
                if wait:
                    budget.resume_at = max(budget.resume_at, time.monotonic() + wait)
            elif budget.remaining == 0 and status is not None and status < 400:
                # Served, and the bucket is empty again: the next token is about one spacing away. The
                # spacing shrinks a little each time, so a faster refill is found too.
                now = budget.last_served = time.monotonic()
                budget.spacing *= 0.995
                budget.resume_at = max(budget.resume_at, now + budget.spacing)
        budget.answered.set()


class PacingPolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]  # azure-core types it by transport; any will do
    """Every attempt (it runs inside the retry policy) waits for its budget and reports Azure's figures."""

    def __init__(self, pacer: Pacer) -> None:
        super().__init__()
        self._pacer = pacer

    async def send(self, request: PipelineRequest) -> PipelineResponse:  # type: ignore[type-arg]  # azure-core types it by transport; any will do
        http = request.http_request
        key = kind_of(http.method, http.url)
        request_id = http.headers.get("x-ms-client-request-id", "")  # the same on every retry
        await self._pacer.acquire(key, request_id)
        status: int | None = None
        headers: Any = None
        retry_after: float | None = None
        try:
            response = await self.next.send(request)
            status, headers = response.http_response.status_code, response.http_response.headers
            if status == 429:
                retry_after = ArmRetryPolicy.header_retry_after(headers)
            return response
        finally:
            self._pacer.release(key, status=status, headers=headers, retry_after=retry_after, request_id=request_id)


class ArmRetryPolicy(AsyncRetryPolicy):  # type: ignore[type-arg]  # azure-core types it by transport; any will do
    """azure-core's retry policy with two facts about ARM it cannot know:

    - a Resource Graph query and a validateMoveResources call are POSTs that change nothing in Azure,
      so they are sent again after a lost answer, like a GET (moveResources is never resent that way);
    - a Resource Graph 429 may come without Retry-After: its quota reset time says how long to wait.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("retry_total", 12)  # a crowd of throttled callers may each be told to wait more than once
        super().__init__(**kwargs)

    @staticmethod
    def header_retry_after(headers: Any) -> float | None:
        for name, scale in (("retry-after-ms", 1000.0), ("x-ms-retry-after-ms", 1000.0)):
            value = headers.get(name)
            if value:
                try:
                    return float(value) / scale
                except ValueError:
                    pass
        value = headers.get("Retry-After")
        if value:
            try:
                return float(value)
            except ValueError:
                return None
        return None

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        path = request.url.split("?", 1)[0].lower()
        if request.method.upper() == "POST" and path.endswith((_GRAPH, _VALIDATE)):
            return True
        return bool(super()._is_method_retryable(settings, request, response=response))

    def get_retry_after(self, response: PipelineResponse) -> float | None:  # type: ignore[type-arg]  # azure-core types it by transport; any will do
        found = super().get_retry_after(response)
        if found is None and response.http_response.status_code == 429:
            return resets_after(response.http_response.headers.get("x-ms-user-quota-resets-after"))
        return found
