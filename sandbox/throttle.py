"""ARM's token-bucket throttling (2024+ architecture) and Resource Graph's per-user quota."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BucketSpec:
    capacity: float
    refill_per_second: float


# notes/arm.md §4.1 (per subscription, per principal, per operation type) and §4.2 (15 queries / 5 s).
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
