"""The runner carries out only the plan that was approved: the approval records the plan's digest, and a
plan changed in the store after it (a resource added, a target group switched) is refused, audited, and its
card says why and what to do. Against the ARM sandbox over HTTPS with the real Azure SDK."""

from __future__ import annotations

from dataclasses import replace

from bot.notifier import render
from migration.execution.runner import MoveRunner
from migration.execution.stored import REQUESTS, stored_to_json
from migration.model import GroupState, RequestState
from migration.model.digest import plan_digest, short
from tests.support.cardtools import text_of
from tests.support.moves import HTTP_RUNNER as FAST
from tests.support.moves import TARGET, approver_actor, move_scenario, submit_move


async def test_a_plan_changed_in_the_store_after_approval_is_not_carried_out(workflow, sandbox_factory,
                                                                             gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stored = await submit_move(workflow, "rg-app", "rg-web")
    approved = (await workflow.approve(stored.id, approver_actor)).stored
    assert approved is not None and approved.approved_hash == plan_digest(stored)
    assert [e.detail.get("plan_hash") for e in await workflow.audit_trail(stored.id)
            if e.action == "approved"] == [approved.approved_hash]

    # Someone with the store points rg-app at another target group after the approval.
    record = await workflow.store.get(REQUESTS, stored.id)
    groups = tuple(replace(g, target_group_id=f"/subscriptions/{TARGET}/resourceGroups/rg-elsewhere")
                   if g.source_group == "rg-app" else g for g in approved.request.groups)
    tampered = replace(approved, request=replace(approved.request, groups=groups))
    await workflow.store.put(REQUESTS, stored.id, stored_to_json(tampered), etag=record.etag)

    runner = MoveRunner(workflow, gateway_factory(sandbox), config=FAST)
    assert await runner.run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None and done.state is RequestState.FAILED
    assert {g.state for g in done.request.groups} == {GroupState.SKIPPED}
    assert sandbox.stats()["moves"] == {}, "nothing was moved"
    assert sandbox.world.group(TARGET, "rg-elsewhere") is None and sandbox.world.group(TARGET, "rg-app-csp") is None

    [refused] = [e for e in await workflow.audit_trail(stored.id) if e.action == "refused_to_run"]
    assert refused.detail["approved_hash"] == approved.approved_hash
    assert refused.detail["plan_hash"] == plan_digest(tampered) != approved.approved_hash

    card = text_of(render(done, approver_mris=[]))
    assert "not the plan that was approved" in card and short(approved.approved_hash) in card
    assert "plan the move again and ask for approval" in card and "not to be run by hand" in card


async def test_the_plan_as_approved_runs(workflow, sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stored = await submit_move(workflow, "rg-web")
    await workflow.approve(stored.id, approver_actor)
    await MoveRunner(workflow, gateway_factory(sandbox), config=FAST).run_once()
    done = await workflow.get(stored.id)
    assert done is not None and done.state is RequestState.SUCCEEDED
    assert not [e for e in await workflow.audit_trail(stored.id) if e.action == "refused_to_run"]
