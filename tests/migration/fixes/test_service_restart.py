"""The end-to-end proof for what Azure refuses to move, on a sandbox of its own process: a workspace linked
to an Automation account, a SQL IaaS Agent registration and a free managed certificate bound to a custom
domain move with one approval. The bot is killed with SIGKILL at the boundary of every step and started
again each time; afterwards the link, the registration and the certificate (bound again) exist at the new
scopes, and Azure carried out each write exactly once."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp
import pytest

from migration.model import RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from tests.support.bot_http import Connector
from tests.support.sandbox import FABRIKAM, PAYG
from tests.support.scenarios.services import AUTOMATION, CERT, HOST, LINK, REGISTRATION, SITE, VM, services_scenario
from tests.support.sigkill import approve_and_kill_at_every_step, plan_and_submit, sandbox_and_bot, slow_writes

pytestmark = pytest.mark.restart

SERVICE_WRITES = ("LinkedServices_Delete", "LinkedServices_CreateOrUpdate", "SqlVirtualMachines_Delete",
                  "SqlVirtualMachines_CreateOrUpdate", "Certificates_Delete", "Certificates_CreateOrUpdate",
                  "WebApps_CreateOrUpdateHostNameBinding", "ManagementLocks_DeleteByScope",
                  "ManagementLocks_CreateOrUpdateByScope", "Providers_Register")


def _moved(rid: str, target_group_id: str) -> str:
    return target_group_id + "/providers/" + rid.split("/providers/", 1)[1]


async def test_one_approval_removes_moves_and_makes_again_across_sigkill_at_every_step(tmp_path: Path,
                                                                                       connector: Connector):
    async with sandbox_and_bot(tmp_path, services_scenario()) as run:
        gateway = run.gateway
        stored = await plan_and_submit(gateway, run.workflow, picked=("rg-ops", "rg-site"), request_id="SVC2")
        steps = stored.fix_steps
        assert {StepKind.UNLINK_WORKSPACE, StepKind.RELINK_WORKSPACE, StepKind.DELETE_SQL_REGISTRATION,
                StepKind.REGISTER_SQL_VM, StepKind.DELETE_MANAGED_CERTIFICATE,
                StepKind.RECREATE_MANAGED_CERTIFICATE} <= {s.kind for s in steps}
        async with aiohttp.ClientSession() as session:
            await slow_writes(session, run.arm, run.ca, SERVICE_WRITES)
            kills, seen = await approve_and_kill_at_every_step(
                session, run.workflow, request_id=stored.id, bot_args=run.bot_args, port=run.port,
                connector_url=connector.url)
            async with session.get(f"{run.arm}/_sandbox/stats",
                                   ssl=ssl.create_default_context(cafile=run.ca)) as response:
                stats = await response.json()
        done = await run.workflow.get(stored.id)
        assert done is not None
        target = {g.source_group: g.target_group_id for g in done.request.groups}
        link = await gateway.for_tenant(FABRIKAM).resources.get_resource(_moved(LINK, target["rg-ops"]))
        registration = await gateway.for_tenant(FABRIKAM).resources.get_resource(_moved(REGISTRATION, target["rg-ops"]))
        cert = await gateway.for_tenant(FABRIKAM).resources.get_resource(_moved(CERT, target["rg-site"]))
        binding = await gateway.for_tenant(FABRIKAM).resources.get_resource(
            f"{_moved(SITE, target['rg-site'])}/hostNameBindings/{HOST}")
        source_locks = await gateway.for_tenant(FABRIKAM).locks.list_locks(PAYG)

    assert done.state is RequestState.SUCCEEDED, done
    assert {r.key: r.status for r in done.step_records} == {s.key: StepStatus.SUCCEEDED for s in steps}
    assert seen == {s.key for s in steps}, {s.key for s in steps} - seen  # every step killed at its boundary
    assert kills >= 2
    # Azure carried out every write once: nothing was repeated across the kills.
    ops = stats["applied_by_operation"]
    assert {op: ops.get(op, 0) for op in SERVICE_WRITES} == {
        "LinkedServices_Delete": 1, "LinkedServices_CreateOrUpdate": 1, "SqlVirtualMachines_Delete": 1,
        "SqlVirtualMachines_CreateOrUpdate": 1, "Certificates_Delete": 1, "Certificates_CreateOrUpdate": 1,
        "WebApps_CreateOrUpdateHostNameBinding": 2,  # unbound before the deletion, bound again after
        "ManagementLocks_DeleteByScope": 1, "ManagementLocks_CreateOrUpdateByScope": 1,  # delete protection
        "Providers_Register": 1}
    # At the new scopes, pointing at what moved.
    assert link.properties["resourceId"] == _moved(AUTOMATION, target["rg-ops"])
    assert registration.properties["virtualMachineResourceId"] == _moved(VM, target["rg-ops"])
    assert registration.properties["sqlServerLicenseType"] == "AHUB"
    assert (cert.properties["canonicalName"], binding.properties["thumbprint"]) == (HOST,
                                                                                    cert.properties["thumbprint"])
    assert "keep-sub" in {lk.name for lk in source_locks}  # the delete protection is back
