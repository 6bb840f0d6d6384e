"""The step engine's ordering rules that the fixes rely on: `ended` waits for a step whatever its outcome,
and a failure skips everything that waits for it, wherever it stands in the plan."""

from __future__ import annotations

from migration.execution.engine import Step, run_steps


async def _run(steps, fail=()):
    order: list[str] = []
    skipped: list[tuple[str, str]] = []

    async def run(step: Step) -> bool:
        order.append(step.key)
        return step.key not in fail

    async def skip(step: Step, failed: str) -> None:
        skipped.append((step.key, failed))

    results = await run_steps(steps, run, skip=skip)
    return order, skipped, results


async def test_a_step_that_waits_for_another_to_end_runs_even_when_it_failed():
    steps = [Step("lift"), Step("move", after=("lift",)), Step("restore", after=("lift",), ended=("move",))]
    order, skipped, results = await _run(steps, fail={"move"})
    assert order == ["lift", "move", "restore"] and skipped == []
    assert results == {"lift": True, "move": False, "restore": True}


async def test_a_failure_skips_what_waits_for_it_even_when_listed_earlier():
    # The follow-through listed before the move it waits for, which waits for a fix that fails.
    steps = [Step("after", after=("move",)), Step("fix"), Step("move", after=("fix",))]
    order, skipped, results = await _run(steps, fail={"fix"})
    assert order == ["fix"]
    assert sorted(skipped) == [("after", "move"), ("move", "fix")]
    assert results == {"fix": False, "move": False, "after": False}
