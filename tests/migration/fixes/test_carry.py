"""The fixes and the follow-through planned from what the gateway reads, and carried out step by step
against the sandbox: afterwards every lock, tag, public IP, peering and role assignment is back, at the
new scopes."""

from __future__ import annotations

import pytest

from migration.fixes.carry import already_done, carry_out
from migration.fixes.families import command
from migration.fixes.plan import plan_fixes
from migration.model import ArmError, GroupMove
from migration.model.plan import ChosenFix, StepKind
from migration.planning.plan import read_facts
from tests.support.commands import script
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.fixes import (
    ALICE,
    BOB,
    CONDITION,
    HUB,
    NIC1,
    OPS,
    PIP,
    STAPP1,
    VNET1,
    fixes_scenario,
)

APP_GROUP = group_id(PAYG, "rg-app")


def _group(gw_resources, name, target):
    ids = tuple(sorted(r.id for r in gw_resources if r.resource_group.lower() == name and "/" not in r.name))
    return GroupMove(source_group=name, target_group_id=group_id(CSP, target), location="westeurope",
                     resource_ids=ids)


def _fixes():
    return [
        ChosenFix("rg-locked", "lift_read_only_lock", (f"{group_id(PAYG, 'rg-locked')}/providers/Microsoft."
                                                       "Authorization/locks/freeze",), script("az lock delete ...")),
        ChosenFix("rg-webapp", "move_app_service_back", (group_id(PAYG, "rg-webapp") + "/providers/Microsoft.Web/"
                                                         "sites/app-2",),
                  script("az resource move --destination-group rg-web --ids ...")),
        ChosenFix("rg-web", "register_provider", (), script("az provider register --namespace Microsoft.Web "
                  f"--subscription {CSP}")),
        ChosenFix("rg-app", "disassociate_public_ip", (NIC1,), script("az network nic ip-config update ...")),
        ChosenFix("rg-net", "disable_peering", (VNET1,), script("az network vnet peering delete ...")),
        ChosenFix("rg-app", "unlink_automation_workspace", ("x",), script("az monitor log-analytics ...")),
    ]


async def _run(gw, steps, *, outcome, before_moves=None):
    """Run the steps in plan order as their `after`/`ended` allow (the runner's engine does this for real)."""
    pending = list(steps)
    while pending:
        ready = [s for s in pending if all(outcome.get(a) for a in s.after) and all(e in outcome for e in s.ended)]
        blocked = [s for s in pending if any(outcome.get(a) is False for a in s.after)]
        for s in blocked:
            outcome[s.key] = False
            pending.remove(s)
        if not ready:
            if blocked:
                continue
            return [s.key for s in pending]
        step = ready[0]
        pending.remove(step)
        try:
            await carry_out(gw.for_tenant(FABRIKAM), step)
            outcome[step.key] = True
        except ArmError as exc:
            outcome[step.key] = False
            outcome[f"error:{step.key}"] = exc.code
    return []


async def _move(gw, group: GroupMove, outcome):
    azure = gw.for_tenant(FABRIKAM)
    await azure.groups.ensure_group(CSP, group.target_group_id.rsplit("/", 1)[-1], location="westeurope")
    try:
        op = await azure.moves.begin_validate(PAYG, group.source_group, resource_ids=group.resource_ids,
                                              target_group_id=group.target_group_id)
        await op.wait()
        op = await azure.moves.begin_move(PAYG, group.source_group, resource_ids=group.resource_ids,
                                          target_group_id=group.target_group_id)
        await op.wait()
        outcome[f"move:{group.source_group}"] = True
    except ArmError as exc:
        outcome[f"move:{group.source_group}"] = False
        outcome[f"error:move:{group.source_group}"] = exc.code


@pytest.fixture
async def gw(sandbox_factory, gateway_factory):
    return gateway_factory(await sandbox_factory(fixes_scenario()))


async def test_fixes_moves_and_follow_through_leave_everything_back_at_the_new_scopes(gw):
    azure = gw.for_tenant(FABRIKAM)
    await azure.groups.update_tags(PAYG, "rg-app", tags={"env": "prod", "owner": "ops"})
    inventory = await azure.inventory.list_resources(PAYG)
    app = _group(inventory, "rg-app", "rg-target")
    app = GroupMove(app.source_group, app.target_group_id, app.location,
                    tuple(i for i in app.resource_ids if "/storageAccounts/" in i or "/publicIPAddresses/" in i
                          or "/networkInterfaces/" in i or "/disks/" in i or "/virtualMachines/" in i))
    groups = (app, _group(inventory, "rg-locked", "rg-locked-csp"), _group(inventory, "rg-net", "rg-net-csp"))
    facts = await read_facts(azure, source_subscription_id=PAYG, target_subscription_id=CSP,
                             groups=groups, plan_id="req-1")
    plan = plan_fixes(facts, _fixes())
    kinds = [s.kind for s in plan.steps]
    assert [f.action for f in plan.manual] == ["unlink_automation_workspace"]
    assert kinds.index(StepKind.LIFT_LOCK) < kinds.index(StepKind.RESTORE_LOCK)
    assert {s.phase for s in plan.steps[:kinds.index(StepKind.RESTORE_LOCK)]} <= {"before", "after"}
    by_kind = {k: [s for s in plan.steps if s.kind is k] for k in StepKind}
    assert len(by_kind[StepKind.RESTORE_LOCK]) == 2  # on the source group and on its target group
    # The one made on the source subscription itself goes to the target subscription (a subscription setting).
    assert {s.arg("scope") for s in by_kind[StepKind.RECREATE_ASSIGNMENT]} == {
        group_id(CSP, "rg-target"), STAPP1.replace(PAYG, CSP).replace("rg-app", "rg-target"), f"/subscriptions/{CSP}"}
    assert all("az " in command(s).posix() for s in plan.steps)

    outcome: dict[str, object] = {}
    before = [s for s in plan.steps if s.phase == "before"]
    after = [s for s in plan.steps if s.phase == "after"]
    assert await _run(gw, before, outcome=outcome) == []
    assert all(outcome[s.key] for s in before), outcome
    for g in groups:
        await _move(gw, g, outcome)
    assert all(outcome[f"move:{g.source_group}"] for g in groups), outcome
    assert await _run(gw, after, outcome=outcome) == []
    assert all(outcome[s.key] for s in after), outcome

    # Locks: back on the source group and on its new target group, same name, level and notes.
    locks = {(lk.scope, lk.name, lk.level, lk.notes) for lk in [*await azure.locks.list_locks(PAYG),
                                                                *await azure.locks.list_locks(CSP)]}
    assert (group_id(PAYG, "rg-locked"), "freeze", "ReadOnly", "Change freeze") in locks
    assert (group_id(CSP, "rg-locked-csp"), "freeze", "ReadOnly", "Change freeze") in locks
    # Tags of the source group on the target group.
    target_groups = {g.name: g for g in await azure.groups.list_groups(CSP)}
    assert target_groups["rg-target"].tags == {"env": "prod", "owner": "ops"}
    # The public IP is associated again, in the target.
    rows = {r.id: r for r in await azure.inventory.list_resources(CSP)}
    new_nic, new_pip = (NIC1.replace(PAYG, CSP).replace("rg-app", "rg-target"),
                        PIP.replace(PAYG, CSP).replace("rg-app", "rg-target"))
    assert rows[new_nic].properties["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"] == new_pip
    # The peering exists again on both sides, connected.
    new_vnet = VNET1.replace(PAYG, CSP).replace("rg-net", "rg-net-csp")
    assert (await azure.network.get_peering(new_vnet, "to-hub")).state == "Connected"
    hub_side = await azure.network.get_peering(HUB, "to-vnet-1")
    assert (hub_side.remote_vnet_id, hub_side.state) == (new_vnet, "Connected")
    # Role assignments made on the moved group and resource are back on the new scopes.
    csp = {(a.scope, a.principal_id, a.role_guid, a.condition, a.description)
           for a in await azure.authorization.list_role_assignments(CSP)}
    assert (group_id(CSP, "rg-target"), ALICE, "acdd72a7-3385-48ef-bd42-f606fba81ae7", None,
            "Auditors read the app group") in csp
    assert (STAPP1.replace(PAYG, CSP).replace("rg-app", "rg-target"), OPS, "b24988ac-6180-42a0-ab88-20f7382dd24c",
            CONDITION, "Ops write the logs container") in csp
    assert (f"/subscriptions/{CSP}", ALICE, "acdd72a7-3385-48ef-bd42-f606fba81ae7") in {c[:3] for c in csp}
    # The App Service app went back to its plan's group first, and the provider was registered.
    assert any(r.name == "app-2" and r.resource_group == "rg-web"
               for r in await azure.inventory.list_resources(PAYG))
    # Every follow-through step reads as done, so a run resumed after a crash does none of them again.
    assert [await already_done(azure, s) for s in after] == [True] * len(after)


async def test_a_deleted_principal_and_a_custom_role_are_handled_and_reported(gw):
    azure = gw.for_tenant(FABRIKAM)
    inventory = await azure.inventory.list_resources(PAYG)
    web = _group(inventory, "rg-web", "rg-web-csp")
    facts = await read_facts(azure, source_subscription_id=PAYG, target_subscription_id=CSP,
                             groups=(web,), plan_id="req-2")
    plan = plan_fixes(facts, [ChosenFix("rg-web", "register_provider", (), script("az provider register --namespace "
                                        f"Microsoft.Web --subscription {CSP}"))])
    widen = [s for s in plan.steps if s.kind is StepKind.ADD_ASSIGNABLE_SCOPE]
    assert [s.arg("role_name") for s in widen] == ["App Operator"]
    outcome: dict[str, object] = {}
    await _run(gw, [s for s in plan.steps if s.phase == "before"], outcome=outcome)
    await _move(gw, web, outcome)
    assert outcome["move:rg-web"] is True, outcome
    await _run(gw, [s for s in plan.steps if s.phase == "after"], outcome=outcome)
    recreate = {s.arg("principal"): s for s in plan.steps if s.kind is StepKind.RECREATE_ASSIGNMENT}
    assert outcome[recreate[ALICE].key] is True
    assert outcome[recreate[BOB].key] is False and outcome[f"error:{recreate[BOB].key}"] == "PrincipalNotFound"
    assert f"--assignee-object-id {BOB}" in command(recreate[BOB]).posix() and group_id(CSP, "rg-web-csp") in \
        command(recreate[BOB]).posix()
    assert not await already_done(azure, recreate[BOB])


async def test_split_dependencies_are_brought_into_one_group_validated_first(sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(fixes_scenario())
    gw = gateway_factory(sandbox)
    vm3 = group_id(PAYG, "rg-split") + "/providers/Microsoft.Compute/virtualMachines/vm-3"
    fix = ChosenFix("rg-split", "consolidate_dependencies", (vm3,),
                    script(f"az resource move --destination-group rg-net --ids {vm3}"))
    azure = gw.for_tenant(FABRIKAM)
    inventory = await azure.inventory.list_resources(PAYG)
    groups = (_group(inventory, "rg-net", "rg-net-csp"), _group(inventory, "rg-split", "rg-split-csp"))
    facts = await read_facts(azure, source_subscription_id=PAYG, target_subscription_id=CSP,
                             groups=groups, plan_id="req-3")
    (step,) = [s for s in plan_fixes(facts, [fix]).steps if s.kind is StepKind.CONSOLIDATE]
    assert step.text == ("Move vm-3 from group rg-split into group rg-net (same subscription) so dependencies "
                         "move together")
    assert not await already_done(azure, step)
    await carry_out(azure, step)
    assert await already_done(azure, step)
    where = {r.name: r.resource_group for r in await azure.inventory.list_resources(PAYG)}
    assert where["vm-3"] == "rg-net"
    ops = sandbox.stats()["by_operation"]
    assert (ops["Resources_ValidateMoveResources"], ops["Resources_MoveResources"]) == (1, 1)
    await carry_out(azure, step)  # a second run finds nothing left to move, and moves nothing
    ops = sandbox.stats()["by_operation"]
    assert (ops["Resources_ValidateMoveResources"], ops["Resources_MoveResources"]) == (1, 1)
