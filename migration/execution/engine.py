"""The steps of a plan and the engine that runs them side by side.

A step is a small unit of work (validate one group, move one group; fixes before and follow-through after
are steps too). What may run together is data, not code: `after` names the steps that must have
succeeded first (a group waits for the consolidation step it depends on), `holds` names what a step uses
alone (Azure locks a move's source and target groups, so a group takes part in one call at a time).
The engine starts every step whose turn has come, up to `limit` at once. A step reports success or
failure; a failure stops only the steps that wait for it. An exception is not a failure of the step but
of the run (the store is unreachable, the lease was lost): every running step is cancelled and the
exception raised, and the run is resumed later from what the steps saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Step:
    key: str  # unique in the plan, e.g. "move:rg-app"
    after: tuple[str, ...] = ()  # keys of the steps that must succeed first
    holds: frozenset[str] = frozenset()  # what the step uses alone while it runs (lower-case ids)
    ended: tuple[str, ...] = ()  # keys of the steps that must have ended first, whatever their outcome


RunStep = Callable[[Step], Coroutine[Any, Any, bool]]  # True: the step succeeded
SkipStep = Callable[[Step, str], Awaitable[None]]  # told the key of the failed step it waited for


class PlanError(ValueError):
    """Steps that can never run: they wait for a step the plan does not have, or for each other."""


async def run_steps(steps: Sequence[Step], run: RunStep, *, skip: SkipStep,
                    finished: Mapping[str, bool] | None = None, limit: int = 1_000_000) -> dict[str, bool]:
    """Run the steps not in `finished` (already done: key -> succeeded); returns every step's outcome."""
    results: dict[str, bool] = dict(finished or {})
    pending = [s for s in steps if s.key not in results]
    running: dict[asyncio.Task[bool], Step] = {}
    busy: set[str] = set()
    try:
        while pending or running:
            skipped = True
            while skipped:  # until no step is left waiting for one that failed (whatever the plan's order)
                skipped = False
                for step in list(pending):
                    failed = next((a for a in step.after if results.get(a) is False), None)
                    if failed is not None:
                        pending.remove(step)
                        results[step.key] = False
                        await skip(step, failed)
                        skipped = True
            for step in list(pending):
                if len(running) >= limit:
                    break
                if (all(results.get(a) for a in step.after) and all(e in results for e in step.ended)
                        and not step.holds & busy):
                    pending.remove(step)
                    busy |= step.holds
                    running[asyncio.create_task(run(step), name=step.key)] = step
            if not running:
                if pending:
                    raise PlanError(f"steps that can never run: {', '.join(s.key for s in pending)}")
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                step = running.pop(task)
                busy -= step.holds
                results[step.key] = task.result()  # an exception ends the run (see the module's note)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    return results
