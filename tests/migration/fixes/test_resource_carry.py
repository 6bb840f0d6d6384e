"""The fixes on single resources planned from what the gateway reads and carried out step by step against
the sandbox; each step knows afterwards that it took effect (so a step started before a crash is not done
again), and a step Azure refuses fails with Azure's reason."""

from __future__ import annotations

import pytest

from migration.assessment.assess import assess
from migration.fixes.carry import already_done, carry_out
from migration.fixes.choice import chosen_fixes
from migration.fixes.families import command
from migration.model import ArmError, GroupMove
from migration.model.plan import PlanStep, StepKind
from migration.planning.plan import plan_with_fixes
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.resource_fixes import BUSY_VM, CMK, DISK, JOB, PICKED, TARGET_DES, resource_fixes_scenario


async def _plan(gw, names=PICKED) -> tuple[tuple[GroupMove, ...], tuple[PlanStep, ...]]:
    assessment = await assess(gw, tenant_id=FABRIKAM, source_subscription_id=PAYG, target_subscription_id=CSP)
    picked = [g for g in assessment.groups if g.name in names]
    moves = tuple(GroupMove(g.name, group_id(CSP, "rg-target"), "westeurope", g.resource_ids) for g in picked)
    groups, plan = await plan_with_fixes(gw.for_tenant(FABRIKAM), source_subscription_id=PAYG,
                                         target_subscription_id=CSP, groups=moves, chosen=chosen_fixes(picked),
                                         plan_id="R1")
    return groups, plan.steps


async def _do(gw, step: PlanStep) -> None:
    azure = gw.for_tenant(FABRIKAM)
    assert not await already_done(azure, step), step.key
    await carry_out(azure, step)
    assert await already_done(azure, step), step.key  # a crash now: not done again


async def _move(gw, group: GroupMove) -> None:
    op = await gw.for_tenant(FABRIKAM).moves.begin_move(PAYG, group.source_group, resource_ids=group.resource_ids,
                                                        target_group_id=group.target_group_id)
    await op.wait()


@pytest.fixture
async def sb(sandbox_factory):
    return await sandbox_factory(resource_fixes_scenario())


async def test_each_step_takes_effect_once_and_knows_it_did(sb, gateway_factory):
    gw = gateway_factory(sb)
    groups, steps = await _plan(gw)
    for step in (s for s in steps if s.phase == "before"):
        await _do(gw, step)
    for group in groups:
        await _move(gw, group)  # Azure refused all three before the fixes (azure/test_resource_fixes_gateway.py)
    for step in (s for s in steps if s.phase == "after"):
        await _do(gw, step)
    azure = gw.for_tenant(FABRIKAM)
    moved = {r.name: r for r in await azure.inventory.list_resources(CSP)}
    job = await azure.resources.get_resource(moved["asa-1"].id)
    disk = await azure.resources.get_resource(moved["data-1"].id)
    assert job.properties["jobState"] == "Running"
    assert disk.properties["encryption"] == {"type": CMK, "diskEncryptionSetId": TARGET_DES}


async def test_a_job_whose_group_did_not_move_is_started_again_where_it_stayed(sb, gateway_factory):
    gw = gateway_factory(sb)
    _, steps = await _plan(gw, ("rg-stream",))
    stop, start = steps
    await _do(gw, stop)
    await _do(gw, start)  # the move failed or never ran: no job at the new id
    assert (await gw.for_tenant(FABRIKAM).resources.get_resource(JOB)).properties["jobState"] == "Running"


async def test_a_disk_a_vm_started_using_since_the_plan_fails_with_azures_reason_and_its_command(sb, gateway_factory):
    gw = gateway_factory(sb)
    _, steps = await _plan(gw, ("rg-disks",))
    off, back = steps
    assert off.key in back.after  # the way back waits for it (and so does the group's move)
    sb.world.resource(DISK).managed_by = BUSY_VM  # attached to a running VM after the plan was approved
    azure = gw.for_tenant(FABRIKAM)
    with pytest.raises(ArmError) as caught:
        await carry_out(azure, off)
    assert caught.value.code == "OperationNotAllowed"
    assert command(off).posix() == f"az disk update --ids {DISK} --encryption-type EncryptionAtRestWithPlatformKey"
    assert not await already_done(azure, off)
    assert (await azure.resources.get_resource(DISK)).properties["encryption"]["type"] == CMK
    assert [s.kind for s in steps] == [StepKind.DISK_TO_PLATFORM_KEY, StepKind.DISK_TO_CUSTOMER_KEY]


async def test_a_stop_sent_before_a_restart_is_waited_for_and_not_sent_again(sb, gateway_factory):
    gw = gateway_factory(sb)
    _, steps = await _plan(gw, ("rg-stream",))
    stop, start = steps
    azure = gw.for_tenant(FABRIKAM)
    await azure.jobs.begin_stop(JOB)  # the call went out, then the bot died
    assert (await azure.resources.get_resource(JOB)).properties["jobState"] == "Stopping"
    assert not await already_done(azure, stop)
    await carry_out(azure, stop)
    assert (await azure.resources.get_resource(JOB)).properties["jobState"] == "Stopped"
    await azure.jobs.begin_start(JOB, output_start_mode="LastOutputEventTime")
    assert not await already_done(azure, start)  # still starting: it may yet fail
    await carry_out(azure, start)
    assert await already_done(azure, start)
    applied = sb.stats()["applied_by_operation"]
    assert (applied["StreamingJobs_Stop"], applied["StreamingJobs_Start"]) == (1, 1)
