"""What the sandbox counts (GET /_sandbox/stats): requests by kind and operation, throttling, faults, moves."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sandbox.routing import RouteSpec

LRO_POLL = "OperationResults_Get"


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._counts: Counter[str] = Counter()
        self._by_operation: Counter[str] = Counter()  # requests received
        self._throttled: Counter[str] = Counter()  # 429s of the throttle (booked, so no token spent)
        self._applied: Counter[str] = Counter()  # writes carried out (answered below 400)
        self._faults: Counter[str] = Counter()
        self._moves: Counter[str] = Counter()

    def received(self, spec: RouteSpec) -> None:
        self._counts[spec.kind.value] += 1
        if spec.operation == LRO_POLL:
            self._counts["lro_polls"] += 1
        self._by_operation[spec.operation] += 1

    def throttled(self, operation: str) -> None:
        self._counts["throttled_429"] += 1
        self._throttled[operation] += 1

    def applied(self, operation: str) -> None:
        self._applied[operation] += 1

    def fault(self, name: str) -> None:
        self._faults[name] += 1

    def move(self, outcome: str) -> None:
        self._moves[outcome] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "reads": self._counts["reads"], "writes": self._counts["writes"], "graph": self._counts["graph"],
            "lro_polls": self._counts["lro_polls"], "throttled_429": self._counts["throttled_429"],
            "faults": dict(self._faults), "by_operation": dict(self._by_operation), "moves": dict(self._moves),
            "throttled_by_operation": dict(self._throttled), "applied_by_operation": dict(self._applied),
        }
