"""Who gets the assessment workers, and when: the limits of issue 19.

- One assessment of a subscription at a time: a second ask for the same subscription (same target, same
  export) joins the one on its way and gets its result, with its progress, instead of a second run.
- A bounded queue: at most `queued` asks wait for the workers, at most `per_customer` of one customer and
  `per_user` of one person are waiting or running; anything over is refused with when to try again.
- Fair across customers: a free worker goes to the next customer in turn, so one customer's 50 asks do
  not starve another's one (round robin between customers, first come first served within one).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Generic, TypeVar

from migration.application.ports import Progress

T = TypeVar("T")
Work = Callable[[Progress], Awaitable[T]]
FIRST_GUESS = 60.0  # seconds an assessment takes, until the queue has timed some
MIN_RETRY = 30.0  # never ask to try again sooner than this
TIMED = 20  # how many recent runs the estimate of a run's length is taken from


@dataclass(frozen=True, slots=True)
class QueueLimits:
    running: int = 2  # the worker pool's processes
    queued: int = 50  # waiting for a worker, all customers together
    per_customer: int = 20  # waiting or running, for one customer
    per_user: int = 5  # waiting or running, asked by one person


class Crowded(StrEnum):
    """Which limit refused an ask."""

    USER = "user"
    CUSTOMER = "customer"
    QUEUE = "queue"


class AssessmentsBusy(Exception):
    """An ask refused by a limit; `retry_after` is when a place is likely to be free."""

    def __init__(self, crowded: Crowded, retry_after: timedelta, *, limit: int) -> None:
        super().__init__(f"assessments: the {crowded} limit ({limit}) is reached")
        self.crowded = crowded
        self.retry_after = retry_after
        self.limit = limit


class _Shared(Generic[T]):
    """One run and everyone who asked for it: its result once, its progress to each."""

    def __init__(self) -> None:
        self.result: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.result.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved, joined or not
        self.listeners: list[Progress] = []

    async def progress(self, done: int, total: int | None) -> None:
        for listener in list(self.listeners):
            await listener(done, total)


class FairQueue(Generic[T]):
    def __init__(self, limits: QueueLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._runs: dict[Hashable, _Shared[T]] = {}
        self._running = 0
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()  # customer -> turns
        self._users: Counter[str] = Counter()
        self._customers: Counter[str] = Counter()
        self._took: deque[float] = deque(maxlen=TIMED)

    @property
    def waiting(self) -> int:
        return sum(len(turns) for turns in self._waiting.values())

    async def run(self, key: Hashable, work: Work[T], *, customer: str, user: str,
                  on_progress: Progress | None = None) -> T:
        """`work(progress)` when a worker is free and it is this customer's turn, or the result of the same
        `key` already on its way. Raises AssessmentsBusy when a limit is reached (nothing started)."""
        if (shared := self._runs.get(key)) is not None:
            if on_progress is not None:
                shared.listeners.append(on_progress)
            return await asyncio.shield(shared.result)
        self._admit(customer, user)
        shared = _Shared()
        if on_progress is not None:
            shared.listeners.append(on_progress)
        self._runs[key] = shared
        self._users[user] += 1
        self._customers[customer] += 1
        try:
            await self._turn(customer)
            started = self._clock()
            try:
                result = await work(shared.progress)
            finally:
                self._took.append(self._clock() - started)
                self._release()
        except BaseException as error:
            if not shared.result.done():
                shared.result.set_exception(error if isinstance(error, Exception) else asyncio.CancelledError())
            raise
        else:
            shared.result.set_result(result)
            return result
        finally:
            del self._runs[key]
            self._users[user] -= 1
            self._customers[customer] -= 1

    def _admit(self, customer: str, user: str) -> None:
        limits = self._limits
        if self._users[user] >= limits.per_user:
            raise AssessmentsBusy(Crowded.USER, self._estimate(1), limit=limits.per_user)
        if self._customers[customer] >= limits.per_customer:
            raise AssessmentsBusy(Crowded.CUSTOMER, self._estimate(1), limit=limits.per_customer)
        if self._running >= limits.running and self.waiting >= limits.queued:
            raise AssessmentsBusy(Crowded.QUEUE, self._estimate(self.waiting - limits.queued + 1),
                                  limit=limits.queued)

    def _estimate(self, places: int) -> timedelta:
        """When `places` workers' runs have likely ended: rounds of the pool times a run's usual length."""
        took = sum(self._took) / len(self._took) if self._took else FIRST_GUESS
        rounds = math.ceil(places / max(self._limits.running, 1))
        return timedelta(seconds=max(MIN_RETRY, math.ceil(rounds * took)))

    async def _turn(self, customer: str) -> None:
        if self._running < self._limits.running and not self._waiting:
            self._running += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(customer, deque()).append(turn)
        try:
            await turn  # the worker is handed over by _release: _running already counts it
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed over just as the ask was given up: pass it on
            else:
                self._drop(customer, turn)
            raise

    def _drop(self, customer: str, turn: asyncio.Future[None]) -> None:
        turns = self._waiting.get(customer)
        if turns is not None and turn in turns:
            turns.remove(turn)
            if not turns:
                del self._waiting[customer]

    def _release(self) -> None:
        """A worker is free: the next customer in turn gets it, and goes to the back of the line."""
        while self._waiting:
            customer, turns = self._waiting.popitem(last=False)
            turn = turns.popleft()
            if turns:
                self._waiting[customer] = turns
            if not turn.done():
                turn.set_result(None)
                return
        self._running -= 1
