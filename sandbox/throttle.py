"""ARM's token-bucket throttling (2024+ architecture) and Resource Graph's per-user quota, and what a
request is charged."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sandbox.answers import seconds_header
from sandbox.errors import ArmFailure
from sandbox.routing import Kind


@dataclass(frozen=True, slots=True)
class BucketSpec:
    capacity: float
    refill_per_second: float


# Per subscription, per principal, per operation type (learn.microsoft.com, "Understand how Azure Resource Manager
# throttles requests"); Resource Graph: 15 queries per 5 s per user ("Guidance for throttled requests in Azure
# Resource Graph").
READS = BucketSpec(250, 25)
WRITES = BucketSpec(200, 10)
GRAPH = BucketSpec(15, 3)


class Bucket:
    """A token bucket that hands a throttled caller a reserved slot.

    Tokens may go negative: a 429 books the next free token for that request (recognised on its
    retry by `x-ms-client-request-id`, which azure-core keeps across retries), so Retry-After says
    when *this* caller will be served and a crowd of throttled callers does not wake up at once.
    """

    __slots__ = ("spec", "tokens", "stamp", "booked")

    def __init__(self, spec: BucketSpec) -> None:
        self.spec = spec
        self.tokens = spec.capacity
        self.stamp = time.monotonic()
        self.booked: dict[str, float] = {}  # request id -> monotonic time its token is due

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.spec.capacity, self.tokens + (now - self.stamp) * self.spec.refill_per_second)
        self.stamp = now

    def take(self, request_id: str | None = None) -> float:
        """Spend a token. Returns 0 when granted, else the seconds until this caller's token is due."""
        self._refill()
        now = time.monotonic()
        if request_id and request_id in self.booked:
            due = self.booked[request_id]
            if due - now <= 0.01:
                del self.booked[request_id]
                return 0.0  # paid for when it was booked
            return due - now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        self.tokens -= 1
        wait = -self.tokens / self.spec.refill_per_second
        if request_id:
            self.booked[request_id] = now + wait
            for key in [k for k, due in self.booked.items() if due < now - 60]:
                del self.booked[key]  # callers that gave up
        else:
            self.tokens += 1  # nobody will claim a booking without an id
            wait = (1 - self.tokens) / self.spec.refill_per_second
        return wait

    @property
    def remaining(self) -> int:
        self._refill()
        return max(0, math.floor(self.tokens))


class Throttle:
    def __init__(self, *, enabled: bool = True, reads: BucketSpec = READS, writes: BucketSpec = WRITES,
                 graph: BucketSpec = GRAPH) -> None:
        self.enabled = enabled
        self.specs = {"reads": reads, "writes": writes, "graph": graph}
        self._buckets: dict[tuple[str, str, str], Bucket] = {}

    def bucket(self, kind: str, scope: str, principal: str) -> Bucket:
        key = (kind, scope.lower(), principal)
        if key not in self._buckets:
            self._buckets[key] = Bucket(self.specs[kind])
        return self._buckets[key]

    def reset(self) -> None:
        self._buckets.clear()


class Throttled(ArmFailure):
    """A 429 of the token buckets, with the headers saying when to come back."""

    def __init__(self, code: str, message: str, wait: float, extra: dict[str, str], *,
                 retry_after: bool = True) -> None:
        timing = {"Retry-After": seconds_header(wait), "retry-after-ms": str(max(1, math.ceil(wait * 1000)))}
        super().__init__(429, code, message, headers={**(timing if retry_after else {}), **extra})


def charge(throttle: Throttle, kind: Kind, subscription_id: str | None, caller_token: str,
           request_id: str | None) -> dict[str, str]:
    """Spend a token of the caller's bucket for this kind of request: the remaining-quota headers to answer
    with, or `Throttled` when the bucket is empty."""
    if not throttle.enabled:
        return {}
    if kind is Kind.GRAPH:
        bucket = throttle.bucket("graph", "user", caller_token)
        wait = bucket.take(request_id)
        if wait:
            # Resource Graph's 429 may carry no Retry-After, only its quota headers (same Resource Graph page).
            raise Throttled("RateLimiting", "Client application has been throttled and should not attempt to "
                            "repeat the request until an amount of time has elapsed.", wait,
                            {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": _clock(wait)},
                            retry_after=False)
        full_in = (bucket.spec.capacity - bucket.remaining) / bucket.spec.refill_per_second
        return {"x-ms-user-quota-remaining": str(bucket.remaining), "x-ms-user-quota-resets-after": _clock(full_in)}
    scope_kind, scope = ("subscription", subscription_id) if subscription_id else ("tenant", "tenant")
    bucket = throttle.bucket(kind.value, f"{scope_kind}:{scope}", caller_token)
    wait = bucket.take(request_id)
    header = f"x-ms-ratelimit-remaining-{scope_kind}-{kind.value}"
    if wait:
        raise Throttled(
            "SubscriptionRequestsThrottled" if scope_kind == "subscription" else "TenantRequestsThrottled",
            f"Number of '{'read' if kind is Kind.READ else 'write'}' requests for {scope_kind} '{scope}' actor "
            f"'{caller_token}' exceeded. Please try again after '{math.ceil(wait)}' seconds after additional tokens "
            "are available. Refer to https://aka.ms/arm-throttling for additional information.", wait, {header: "0"})
    return {header: str(bucket.remaining)}


def _clock(seconds: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(math.ceil(seconds)))
