"""Deciding on a move request through the decisions service, with the real runner as its RunnerSignal, the
real workflow on SQLite and the ARM sandbox over HTTPS: an approval starts the move at once, a refusal
changes nothing and is audited, and "Check again" on a move that does not wait says so."""

from __future__ import annotations

import asyncio

from migration.application.decisions import Recheck, RequestDecisions
from migration.execution.runner import MoveRunner, RunnerConfig
from migration.model import RequestState
from migration.model.records import Actor
from tests.support.moves import (
    OTHER_APPROVER,
    TARGET,
    approver_actor,
    move_scenario,
    requester_actor,
    submit_move,
)

# The runner scans for work once a minute: only its wake-up can start a move within seconds.
SLOW_SCAN = RunnerConfig(lease_seconds=5.0, poll_seconds=60.0, batch_size=3, retry_seconds=0.1)


async def test_an_approval_wakes_the_runner_and_the_move_starts_at_once(workflow, sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stored = await submit_move(workflow, "rg-web")
    runner = MoveRunner(workflow, gateway_factory(sandbox), config=SLOW_SCAN)
    runner.start()
    try:
        await asyncio.sleep(0.3)  # the first scan found nothing to do; the next is a minute away
        decisions = RequestDecisions(workflow, runner=runner)
        outcome = await decisions.approve(stored.id, approver_actor)
        assert outcome.changed and outcome.stored is not None and outcome.stored.state is RequestState.APPROVED

        async def moved() -> None:
            while (current := await workflow.get(stored.id)) is None or current.state is not RequestState.SUCCEEDED:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(moved(), 15)
    finally:
        await runner.stop()
    assert len(sandbox.world.group(TARGET, "rg-web-csp").resources) == 2


async def test_a_refused_decision_changes_nothing_and_is_audited_once(workflow, sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stored = await submit_move(workflow, "rg-web")
    runner = MoveRunner(workflow, gateway_factory(sandbox), config=SLOW_SCAN)
    decisions = RequestDecisions(workflow, runner=runner)
    self_approval = Actor(requester_actor.person, requester_actor.tenant_id, may_approve=True)
    assert decisions.refusal(stored, self_approval, "approved") == \
        "You asked for this move, so another approver must decide."
    assert decisions.refusal(stored, Actor(OTHER_APPROVER, None, may_approve=True), "cancelled") == \
        "Only the person who asked for this move can cancel it."

    outcome = await decisions.approve(stored.id, self_approval)
    assert not outcome.changed and outcome.refusal
    current = await workflow.get(stored.id)
    assert current is not None and current.etag == stored.etag
    assert [e.action for e in await workflow.audit_trail(stored.id)] == ["requested", "refused"]

    await decisions.refused("MR-NOSUCH", by=requester_actor.person, tenant_id=None, detail={"verb": "x"})
    assert await workflow.audit_trail("MR-NOSUCH") == [], "a forged id leaves no trail"


async def test_check_again_on_a_move_that_does_not_wait_for_access_says_so(workflow, sandbox_factory,
                                                                          gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stored = await submit_move(workflow, "rg-web")
    decisions = RequestDecisions(workflow, runner=MoveRunner(workflow, gateway_factory(sandbox), config=SLOW_SCAN))
    assert await decisions.recheck(stored, by=requester_actor.person, tenant_id=None) is Recheck.NOT_WAITING
    assert "access_recheck" not in [e.action for e in await workflow.audit_trail(stored.id)]
