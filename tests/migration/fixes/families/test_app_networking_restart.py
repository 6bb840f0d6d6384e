"""The end-to-end proof of the network fixes, on a sandbox of its own process.

A web app integrated with a subnet of the network in its group, whose other subnet goes out through a NAT
gateway in a group that stays, moves with one approval: the integration is removed and the NAT gateway taken
off its subnet before the move, the integration added again after it on the app's and the subnet's new ids.
The bot is killed with SIGKILL at every step once Azure carried out the step's call, and started again each
time; Azure carried out each write once. When Azure refuses the move, the integration and the NAT gateway come
back where they stayed, across SIGKILL too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migration.model import RequestState
from migration.model.plan import PlanStep, StepKind
from migration.model.records import StepStatus, StoredRequest
from tests.support.bot_http import Connector
from tests.support.sandbox import CSP, FABRIKAM, PAYG
from tests.support.scenarios.app_network import APPS, NAT, PICKED, SITE, VNET, app_network_scenario
from tests.support.scenarios.refused import refused_moves
from tests.support.sigkill import killed_once_azure_took_each_step, plan_and_submit, sandbox_and_bot

pytestmark = pytest.mark.restart

WRITE_OF = {"remove_vnet_integration": "WebApps_DeleteSwiftVirtualNetwork",
            "add_vnet_integration": "WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck",
            "detach_nat_gateway": "Subnets_CreateOrUpdate", "register_provider": "Providers_Register"}


async def test_an_integrated_app_and_a_subnet_on_a_nat_gateway_move_with_one_approval_across_sigkill(
    tmp_path: Path, connector: Connector
):
    async with sandbox_and_bot(tmp_path, app_network_scenario()) as run:
        workflow, gateway = run.workflow, run.gateway
        stored = await plan_and_submit(gateway, workflow, picked=PICKED, request_id="NET1")
        steps = stored.fix_steps
        fixes = [(s.phase, s.kind) for s in steps if s.kind is not StepKind.REGISTER_PROVIDER]
        assert sorted(fixes) == [("after", StepKind.ADD_VNET_INTEGRATION), ("after", StepKind.REATTACH_NAT_GATEWAY),
                                 ("before", StepKind.DETACH_NAT_GATEWAY), ("before", StepKind.REMOVE_VNET_INTEGRATION)]
        # A NAT gateway in the target is the engineer's, with its command.
        assert [f.action for f in stored.manual_fixes] == ["detach_subnet_resource"]
        assert "az network nat gateway create" in stored.manual_fixes[0].command.posix()

        kills, seen, stats = await killed_once_azure_took_each_step(run, request_id=stored.id,
                                                                    connector_url=connector.url, write_of=WRITE_OF)
        done = await workflow.get(stored.id)
        assert done is not None
        target = next(g.target_group_id for g in done.request.groups if g.source_group == "rg-web")
        new_site = SITE.replace(f"/subscriptions/{PAYG}/resourceGroups/rg-web", target)
        new_vnet = VNET.replace(f"/subscriptions/{PAYG}/resourceGroups/rg-web", target)
        integration = await gateway.for_tenant(FABRIKAM).web.get_vnet_integration(new_site)
        egress_nat = await gateway.for_tenant(FABRIKAM).network.get_subnet_nat_gateway(new_vnet, "egress")
        left = {r.id.lower() for r in await gateway.for_tenant(FABRIKAM).inventory.list_resources(PAYG)}

    assert done.state is RequestState.SUCCEEDED, done
    assert seen == {s.key for s in steps} and kills >= 2  # killed at every step, before and after the moves
    assert {r.key: r.status for r in done.step_records} == {s.key: StepStatus.SUCCEEDED for s in steps}
    # The app is integrated again, on its new id, with the subnet's new id; the moved subnet has no NAT
    # gateway, and the NAT gateway stayed in the source (nothing stayed to put it back on).
    assert target.startswith(f"/subscriptions/{CSP}/")
    assert integration == APPS.replace(f"/subscriptions/{PAYG}/resourceGroups/rg-web", target)
    assert egress_nat == ""
    assert NAT.lower() in left and SITE.lower() not in left
    # Azure carried out every write once: nothing was repeated across the kills.
    ops = stats["applied_by_operation"]
    assert (ops["WebApps_DeleteSwiftVirtualNetwork"], ops["Subnets_CreateOrUpdate"],
            ops["WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck"]) == (1, 1, 1)


async def test_when_the_move_fails_integration_and_nat_gateway_come_back_where_they_stayed_across_sigkill(
    tmp_path: Path, connector: Connector
):
    """Azure accepts the dry run, then refuses the move: the steps after it put back what the steps before it
    took away, on the app and the network where they stayed, each once, with the bot killed at every step."""
    async with sandbox_and_bot(tmp_path, refused_moves(app_network_scenario(), PICKED)) as run:
        workflow, gateway = run.workflow, run.gateway
        stored = await plan_and_submit(gateway, workflow, picked=PICKED, request_id="NET2")
        kills, seen, stats = await killed_once_azure_took_each_step(
            run, request_id=stored.id, connector_url=connector.url,
            write_of={**WRITE_OF, "reattach_nat_gateway": "Subnets_CreateOrUpdate"})
        done = await workflow.get(stored.id)
        assert done is not None
        azure = gateway.for_tenant(FABRIKAM)
        integration = await azure.web.get_vnet_integration(SITE)
        egress_nat = await azure.network.get_subnet_nat_gateway(VNET, "egress")

    assert done.state is RequestState.FAILED
    restores = {s.key for s in steps_of(done, StepKind.ADD_VNET_INTEGRATION, StepKind.REATTACH_NAT_GATEWAY)}
    assert restores <= seen and kills >= 2  # killed on the restores too
    assert {r.key: r.status for r in done.step_records if r.key in restores} == dict.fromkeys(restores,
                                                                                          StepStatus.SUCCEEDED)
    assert integration == APPS and egress_nat == NAT  # as before the move, in the source
    ops = stats["applied_by_operation"]
    assert (ops["WebApps_DeleteSwiftVirtualNetwork"], ops["Subnets_CreateOrUpdate"],
            ops["WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck"]) == (1, 2, 1)  # each write once


def steps_of(done: StoredRequest, *kinds: StepKind) -> list[PlanStep]:
    return [s for s in done.fix_steps if s.kind in kinds]
