"""The end-to-end proof of the fixes and follow-through, on a sandbox of its own process.

A subscription with a ReadOnly-locked group, a web app split from its plan (and a provider the target lacks),
a VM on a Standard public IP, group tags, and role assignments on the moved groups and resources (one of a
deleted user, one of a custom role the target cannot use yet) moves with one approval. The bot is killed
with SIGKILL at the boundary of every step, and started again each time; afterwards every lock, tag and role
assignment is back at the new scopes, and Azure saw each write exactly once.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp
import pytest

from migration.application.audit_export import AuditExports
from migration.model import RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from storage.reports import ReportLinks
from tests.support.bot_http import Connector
from tests.support.moves import REQUESTER
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.fixes import ALICE, BOB, CONDITION, HUB, NIC1, OPS, PIP, STAPP1, fixes_scenario
from tests.support.sigkill import approve_and_kill_at_every_step, plan_and_submit, sandbox_and_bot, slow_writes
from tools.verify_audit import verify

pytestmark = pytest.mark.restart

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
PICKED = ("rg-app", "rg-locked", "rg-net", "rg-webapp")
FIX_WRITES = ("ManagementLocks_DeleteByScope", "ManagementLocks_CreateOrUpdateByScope", "Providers_Register",
              "NetworkInterfaces_CreateOrUpdate", "RoleAssignments_Create", "RoleDefinitions_CreateOrUpdate",
              "ResourceGroups_CreateOrUpdate", "VirtualNetworkPeerings_CreateOrUpdate",
              "VirtualNetworkPeerings_Delete")


async def test_one_approval_moves_with_fixes_and_follow_through_across_sigkill_at_every_step(
    tmp_path: Path, connector: Connector
):
    async with sandbox_and_bot(tmp_path, fixes_scenario()) as run:
        arm, ca, port, bot_args, workflow, gateway = (run.arm, run.ca, run.port, run.bot_args, run.workflow,
                                                      run.gateway)
        stored = await plan_and_submit(gateway, workflow, picked=PICKED, request_id="FIX1")
        steps = stored.fix_steps
        kinds = {s.kind for s in steps}
        # Every kind of step around locks, providers, App Service, networks and roles but one (the fixes on
        # single resources, such as jobs and disks, have a sibling test of their own).
        assert kinds == {StepKind.LIFT_LOCK, StepKind.REGISTER_PROVIDER, StepKind.VALIDATE_REGROUPING,
                         StepKind.MOVE_APP_BACK,
                         StepKind.DISASSOCIATE_IP, StepKind.DELETE_PEERING, StepKind.RESTORE_LOCK,
                         StepKind.REASSOCIATE_IP, StepKind.RECREATE_PEERING, StepKind.TAG_GROUP,
                         StepKind.ADD_ASSIGNABLE_SCOPE, StepKind.RECREATE_ASSIGNMENT}
        assert "rg-webapp" not in {g.source_group for g in stored.request.groups}  # app-2 moves from rg-web

        async with aiohttp.ClientSession() as session:
            await slow_writes(session, arm, ca, FIX_WRITES)
            kills, seen = await approve_and_kill_at_every_step(
                session, workflow, request_id=stored.id, bot_args=bot_args, port=port, connector_url=connector.url)
            ssl_ctx = ssl.create_default_context(cafile=ca)
            async with session.get(f"{arm}/_sandbox/stats", ssl=ssl_ctx) as response:
                stats = await response.json()
        done = await workflow.get(stored.id)
        trail = await workflow.audit_trail(stored.id)
        # The audit chain came through every kill whole: its export checks out, the approval in it once.
        reports = ReportLinks(workflow.store)
        export = await AuditExports(workflow, archive=reports).of_request(stored.id, by=REQUESTER, tenant_id=None)
        assert export is not None
        exported = await reports.resolve(export.link.token, "jsonl")
        assert exported is not None and verify(exported.content.splitlines()).ok
        azure = gateway.for_tenant(FABRIKAM)
        locks = [*await azure.locks.list_locks(PAYG), *await azure.locks.list_locks(CSP)]
        target_groups = {g.name: g for g in await gateway.for_tenant(FABRIKAM).groups.list_groups(CSP)}
        assignments = await gateway.for_tenant(FABRIKAM).authorization.list_role_assignments(CSP)
        inventory = {r.id: r for r in await gateway.for_tenant(FABRIKAM).inventory.list_resources(CSP)}
        moved_vnet = next(r.id for r in inventory.values() if r.name == "vnet-1")
        peerings = (await gateway.for_tenant(FABRIKAM).network.get_peering(moved_vnet, "to-hub"),
                    await gateway.for_tenant(FABRIKAM).network.get_peering(HUB, "to-vnet-1"))

    assert done is not None and done.state is RequestState.SUCCEEDED, done
    assert [e.action for e in trail].count("approved") == 1 and not done.unaudited
    # Every step was killed at its boundary (recorded as started, its call on its way or not yet sent); steps
    # that start in the same beat share a kill.
    assert seen == {s.key for s in steps}, {s.key for s in steps} - seen
    assert kills >= 2  # at least once before the moves and once after them
    records = {r.key: r for r in done.step_records}
    failed = {k: r.error.code for k, r in records.items() if r.status is not StepStatus.SUCCEEDED}
    bob = [s.key for s in steps if s.kind is StepKind.RECREATE_ASSIGNMENT and s.arg("principal") == BOB]
    assert failed == {bob[0]: "PrincipalNotFound"}  # a deleted user: reported with the command, not re-created
    # Each step audited on its own, once it ended.
    ended = [e.detail["step"] for e in trail if e.action == "step"]
    assert sorted(ended) == sorted(s.key for s in steps)

    # Azure carried out every write once: nothing was repeated across the kills (a call cut off by a kill
    # before Azure took it is received but not carried out, and is sent again after the restart).
    ops = stats["applied_by_operation"]
    assert ops["ManagementLocks_DeleteByScope"] == 1
    assert ops["ManagementLocks_CreateOrUpdateByScope"] == 2
    assert ops["NetworkInterfaces_CreateOrUpdate"] == 2
    assert ops["RoleDefinitions_CreateOrUpdate"] == 1
    # Every assignment but the deleted user's (refused, so not carried out) was created once.
    assert ops["RoleAssignments_Create"] == sum(1 for s in steps if s.kind is StepKind.RECREATE_ASSIGNMENT) - 1
    assert ops["Providers_Register"] == 1
    assert ops["VirtualNetworkPeerings_Delete"] == 1
    assert ops["VirtualNetworkPeerings_CreateOrUpdate"] == 2  # both sides, pointing at the moved network
    assert ops["Resources_MoveResources"] == 1 + sum(1 for b in done.batches)  # app-2 back, then the batches

    # Everything is back at the new scopes.
    lock_set = {(lk.scope, lk.name, lk.level, lk.notes) for lk in locks}
    target_of = {g.source_group: g.target_group_id for g in done.request.groups}
    assert (group_id(PAYG, "rg-locked"), "freeze", "ReadOnly", "Change freeze") in lock_set
    assert (target_of["rg-locked"], "freeze", "ReadOnly", "Change freeze") in lock_set
    app_target = target_of["rg-app"].rsplit("/", 1)[-1]
    assert target_groups[app_target].tags == {"env": "prod"}
    got = {(a.scope, a.principal_id, a.role_guid, a.condition) for a in assignments}
    moved_st = STAPP1.replace(PAYG, CSP).replace("rg-app", app_target)
    assert (target_of["rg-app"], ALICE, READER, None) in got
    assert (moved_st, OPS, "b24988ac-6180-42a0-ab88-20f7382dd24c", CONDITION) in got
    assert (target_of["rg-web"], ALICE, "f00dcafe-0000-4000-8000-00000000c0de", None) in got
    new_nic = NIC1.replace(PAYG, CSP).replace("rg-app", app_target)
    assert inventory[new_nic].properties["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"] == \
        PIP.replace(PAYG, CSP).replace("rg-app", app_target)
    assert any(r.name == "app-2" for r in inventory.values())
    assert [(p.remote_vnet_id, p.state, p.allow_forwarded_traffic) for p in peerings] == [
        (HUB, "Connected", True), (moved_vnet, "Connected", True)]
    # The checklist ticks what the bot did and checked: locks back, tags; role assignments are not all back.
    ticks = {c.title: c.done for c in done.checklist}
    assert ticks["Put the locks back"] and ticks["Re-apply group tags"]
    assert not ticks["Re-create role assignments"]
