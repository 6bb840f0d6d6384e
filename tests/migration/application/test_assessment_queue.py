"""The assessment queue's order and bounds: a free worker goes to the next customer in turn, the same
ask joins the one on its way, and what is over a bound is refused before anything starts."""

from __future__ import annotations

import asyncio

import pytest

from migration.application.assessment_queue import AssessmentsBusy, Crowded, FairQueue, QueueLimits
from migration.application.ports import Progress


async def test_one_customers_burst_does_not_starve_anothers_ask():
    queue: FairQueue[str] = FairQueue(QueueLimits(running=1, queued=100, per_customer=100, per_user=100))
    order: list[str] = []
    gate = asyncio.Event()

    def job(name: str):
        async def work(progress: Progress) -> str:
            await gate.wait()
            order.append(name)
            return name
        return work

    burst = [asyncio.create_task(queue.run(("a", n), job(f"a{n}"), customer="a", user="alex")) for n in range(10)]
    await asyncio.sleep(0)
    other = asyncio.create_task(queue.run(("b", 0), job("b0"), customer="b", user="diego"))
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*burst, other)
    assert order.index("b0") <= 2, f"the other customer's ask waited behind the burst: {order}"


async def test_the_same_ask_joins_and_a_bound_refuses_with_a_time():
    queue: FairQueue[str] = FairQueue(QueueLimits(running=1, queued=1, per_customer=5, per_user=5))
    runs = 0
    gate = asyncio.Event()

    async def work(progress: Progress) -> str:
        nonlocal runs
        runs += 1
        await gate.wait()
        return "done"

    first = asyncio.create_task(queue.run("s1", work, customer="a", user="alex"))
    joined = asyncio.create_task(queue.run("s1", work, customer="a", user="megan"))
    waiting = asyncio.create_task(queue.run("s2", work, customer="b", user="diego"))
    await asyncio.sleep(0)
    with pytest.raises(AssessmentsBusy) as refused:
        await queue.run("s3", work, customer="c", user="nestor")
    assert refused.value.crowded is Crowded.QUEUE and refused.value.retry_after.total_seconds() >= 30
    gate.set()
    assert await asyncio.gather(first, joined, waiting) == ["done", "done", "done"]
    assert runs == 2, "the joined ask ran once"
