"""The network fixes planned from what the gateway reads and carried out step by step against the sandbox;
each step knows afterwards that it took effect (a step started before a crash is not done again), and when
the move did not happen the app gets its integration back, and the subnet its NAT gateway, where they stayed."""

from __future__ import annotations

import pytest

from migration.assessment.assess import assess
from migration.fixes.carry import already_done, carry_out
from migration.fixes.choice import chosen_fixes
from migration.model import ArmError, GroupMove
from migration.model.plan import PlanStep, StepKind
from migration.planning.plan import plan_with_fixes
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.app_network import APPS, NAT, PICKED, SITE, VNET, app_network_scenario


@pytest.fixture
async def gw(sandbox_factory, gateway_factory):
    return gateway_factory(await sandbox_factory(app_network_scenario()))


async def _steps(gw) -> dict[StepKind, PlanStep]:
    assessment = await assess(gw, tenant_id=FABRIKAM, source_subscription_id=PAYG, target_subscription_id=CSP)
    picked = [g for g in assessment.groups if g.name in PICKED]
    moves = tuple(GroupMove(g.name, group_id(CSP, "rg-web-csp"), "westeurope", g.resource_ids) for g in picked)
    _, plan = await plan_with_fixes(gw.for_tenant(FABRIKAM), source_subscription_id=PAYG, target_subscription_id=CSP,
                                    groups=moves, chosen=chosen_fixes(picked), plan_id="N1")
    return {s.kind: s for s in plan.steps}


async def _do(gw, step: PlanStep) -> None:
    azure = gw.for_tenant(FABRIKAM)
    assert not await already_done(azure, step), step.key
    await carry_out(azure, step)
    assert await already_done(azure, step), step.key  # a crash now: not done again


async def test_when_the_move_did_not_happen_the_app_gets_its_integration_back_where_it_stayed(gw):
    steps = await _steps(gw)
    await _do(gw, steps[StepKind.REMOVE_VNET_INTEGRATION])
    await _do(gw, steps[StepKind.DETACH_NAT_GATEWAY])
    azure = gw.for_tenant(FABRIKAM)
    assert await azure.web.get_vnet_integration(SITE) == ""
    assert await azure.network.get_subnet_nat_gateway(VNET, "egress") == ""
    # The move failed (or was never made): the step after it puts the integration back in the source.
    add = steps[StepKind.ADD_VNET_INTEGRATION]
    assert add.arg("site").startswith(f"/subscriptions/{CSP}/")
    await _do(gw, add)
    assert await azure.web.get_vnet_integration(SITE) == APPS
    # And the NAT gateway goes back on its subnet: the network stayed with it.
    await _do(gw, steps[StepKind.REATTACH_NAT_GATEWAY])
    assert await azure.network.get_subnet_nat_gateway(VNET, "egress") == NAT


async def test_when_the_network_moved_its_nat_gateway_is_not_put_back_anywhere(gw, sandbox_factory):
    steps = await _steps(gw)
    await _do(gw, steps[StepKind.DETACH_NAT_GATEWAY])
    azure = gw.for_tenant(FABRIKAM)
    await (await azure.moves.begin_move(PAYG, "rg-web", resource_ids=[VNET],
                                        target_group_id=group_id(PAYG, "rg-nat"))).wait()
    back = steps[StepKind.REATTACH_NAT_GATEWAY]
    assert await already_done(azure, back)  # nothing stayed to put it on
    await carry_out(azure, back)
    moved = VNET.replace("/resourceGroups/rg-web/", "/resourceGroups/rg-nat/")
    assert await azure.network.get_subnet_nat_gateway(moved, "egress") == ""


async def test_a_locked_group_refuses_the_step_with_azures_reason_and_nothing_changes(gw):
    steps = await _steps(gw)
    azure = gw.for_tenant(FABRIKAM)
    await azure.locks.create_lock(group_id(PAYG, "rg-web"), name="frozen", level="ReadOnly", notes=None)
    with pytest.raises(ArmError) as caught:
        await carry_out(azure, steps[StepKind.REMOVE_VNET_INTEGRATION])
    assert caught.value.code == "ScopeLocked"
    assert await azure.web.get_vnet_integration(SITE) == APPS
    assert not await already_done(azure, steps[StepKind.REMOVE_VNET_INTEGRATION])
