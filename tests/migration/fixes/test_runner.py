"""The runner carries out the approved fixes and follow-through around the moves (in process, on the
sandbox): one run does every step once, each audited; a failed step stops only what depends on it."""

from __future__ import annotations

from migration.execution.runner import MoveRunner, RunnerConfig
from migration.execution.workflow import Workflow
from migration.model import GroupState, RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from tests.migration.fixes.test_restart import PICKED
from tests.support.commands import script
from tests.support.moves import approver_actor
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.fixes import BOB, fixes_scenario
from tests.support.sigkill import plan_and_submit

FAST = RunnerConfig(lease_seconds=5.0, poll_seconds=0.2, batch_size=3, retry_seconds=0.1)


async def _run(workflow: Workflow, gateway) -> tuple:
    stored = await plan_and_submit(gateway, workflow, picked=PICKED, request_id="FIX1")
    assert (await workflow.approve(stored.id, approver_actor)).changed
    assert await MoveRunner(workflow, gateway, config=FAST).run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None
    return done, await workflow.audit_trail(stored.id)


async def test_one_run_does_the_fixes_then_the_moves_then_the_follow_through(workflow: Workflow, sandbox_factory,
                                                                            gateway_factory):
    sandbox = await sandbox_factory(fixes_scenario(), lro_seconds=0.1)
    done, trail = await _run(workflow, gateway_factory(sandbox))
    assert done.state is RequestState.SUCCEEDED
    outcome = {s.key: done.step_record(s.key).status for s in done.fix_steps}
    failed = [s for s in done.fix_steps if outcome[s.key] is not StepStatus.SUCCEEDED]
    assert [(s.kind, s.arg("principal")) for s in failed] == [(StepKind.RECREATE_ASSIGNMENT, BOB)]
    # Audited one by one, in the order the plan allows: a group's fixes end before its first move call,
    # its follow-through starts after its last one (groups move side by side, each at its own pace).
    step_at = {e.detail["step"]: i for i, e in enumerate(trail) if e.action == "step"}
    assert len(step_at) == len(done.fix_steps)
    batches: dict[str, list[int]] = {}
    for i, e in enumerate(trail):
        if e.action == "batch":
            batches.setdefault(e.detail["group"], []).append(i)
    for s in done.fix_steps:
        served = [s.group] if s.group in batches else list(batches) if not s.group else []
        for g in served:
            if s.phase == "before":
                assert step_at[s.key] < min(batches[g]), (s.key, g)
            elif any(a == f"move:{g}" for a in s.after):
                assert step_at[s.key] > max(batches[g]), (s.key, g)
    assert {c.title for c in done.checklist if c.done} == {"Put the locks back", "Re-apply group tags"}


async def test_a_failed_fix_stops_only_the_group_that_needs_it(workflow: Workflow, sandbox_factory, gateway_factory):
    scenario = fixes_scenario()
    payg = next(s for s in scenario["subscriptions"] if s["id"] == PAYG)
    webapp = next(g for g in payg["resourceGroups"] if g["name"] == "rg-webapp")
    webapp["resources"][0]["outcome"] = {"validate": {"code": "AppServiceMoveBlocked",
                                                      "message": "The app cannot move right now."}}
    sandbox = await sandbox_factory(scenario, lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    done, _ = await _run(workflow, gateway)
    groups = {g.source_group: g for g in done.request.groups}
    assert groups["rg-web"].state is GroupState.SKIPPED and groups["rg-web"].error.code == "FixFailed"
    assert "its command is in the move report" in groups["rg-web"].error.message
    assert groups["rg-app"].state is GroupState.SUCCEEDED and groups["rg-locked"].state is GroupState.SUCCEEDED
    assert done.state is RequestState.PARTIALLY_SUCCEEDED
    by_kind = {}
    for s in done.fix_steps:
        by_kind.setdefault(s.kind, []).append(done.step_record(s.key).status)
    # Azure's dry run of the regrouping refused it: nothing moved in the source, and the group says why.
    assert by_kind[StepKind.VALIDATE_REGROUPING] == [StepStatus.FAILED]
    assert by_kind[StepKind.MOVE_APP_BACK] == [StepStatus.SKIPPED]
    assert "(Check with Azure's dry run that every in-subscription move can be made" in groups["rg-web"].error.message
    left = {r.name: r.resource_group for r in await gateway.for_tenant(FABRIKAM).inventory.list_resources(PAYG)}
    assert left["app-2"] == "rg-webapp"
    web_follow = [done.step_record(s.key).status for s in done.fix_steps if s.group == "rg-web" and s.phase == "after"]
    assert web_follow and set(web_follow) == {StepStatus.SKIPPED}  # nothing moved, nothing to follow through
    assert set(by_kind[StepKind.RESTORE_LOCK]) == {StepStatus.SUCCEEDED}
    locks = {(lk.scope, lk.name) for lk in await gateway.for_tenant(FABRIKAM).locks.list_locks(PAYG)}
    assert (group_id(PAYG, "rg-locked"), "freeze") in locks
    assert CSP


async def test_without_a_role_for_locks_the_step_fails_with_its_command_instead_of_waiting(workflow: Workflow,
                                                                                          sandbox_factory):
    """The partner's app holds Contributor: it may move, not lift a lock. Waiting for access would never end
    (a Lighthouse delegation cannot grant Owner either), so the step fails and says what to run by hand."""
    from migration.model import GroupMove
    from migration.model.plan import ChosenFix
    from migration.planning.plan import plan_with_fixes
    from tests.support.identities import APP, CONSENTED, PARTNER, SUB, app_gateway, scenario
    from tests.support.moves import REQUESTER

    target = "c1c1c1c1-0000-4000-8000-0000000005b2"
    data = scenario()
    source = next(s for s in data["subscriptions"] if s["id"] == SUB[CONSENTED])
    source["resourceGroups"][0]["locks"] = [{"name": "freeze", "level": "ReadOnly", "notes": "Change freeze"}]
    data["subscriptions"].append({"id": target, "tenantId": CONSENTED, "displayName": "CSP",
                                  "quotaId": "CSP_2015-05-01", "resourceGroups": []})
    tenant = next(t for t in data["tenants"] if t["id"] == CONSENTED)
    tenant["roleAssignments"].append({"appId": APP, "role": "Contributor", "scope": f"/subscriptions/{target}"})
    sandbox = await sandbox_factory(data, lro_seconds=0.1)
    gateway = app_gateway(sandbox)
    try:
        src = f"/subscriptions/{SUB[CONSENTED]}/resourceGroups/rg-app"
        groups = (GroupMove("rg-app", f"/subscriptions/{target}/resourceGroups/rg-app-csp", "westeurope",
                            (f"{src}/providers/Microsoft.Storage/storageAccounts/st1",)),)
        chosen = [ChosenFix("rg-app", "lift_read_only_lock", (f"{src}/providers/Microsoft.Authorization/locks/freeze",),
                            script("az lock delete --name freeze --resource-group rg-app"))]
        groups, plan = await plan_with_fixes(gateway.for_tenant(CONSENTED), source_subscription_id=SUB[CONSENTED],
                                             target_subscription_id=target, groups=groups, chosen=chosen,
                                             plan_id="PERM")
        stored = await workflow.submit(customer_tenant_id=CONSENTED, source_subscription_id=SUB[CONSENTED],
                                       target_subscription_id=target, groups=groups, requester=REQUESTER,
                                       requester_tenant_id=PARTNER, fix_steps=plan.steps)
        assert (await workflow.approve(stored.id, approver_actor)).changed
        assert await MoveRunner(workflow, gateway, config=FAST).run_once() == [stored.id]
        done = await workflow.get(stored.id)
    finally:
        await gateway.close()
    assert done is not None and done.access_wait is None and done.report_sent
    [lift] = [s for s in done.fix_steps if s.kind is StepKind.LIFT_LOCK]
    record = done.step_record(lift.key)
    assert record.status is StepStatus.FAILED and record.error.code == "AuthorizationFailed"
    group = done.request.groups[0]
    assert group.state is GroupState.SKIPPED and "its command is in the move report" in group.error.message
    assert done.state is RequestState.FAILED  # nothing moved, and the lock is still in place
    assert [lk["name"] for lk in sandbox.world.group(SUB[CONSENTED], "rg-app").locks] == ["freeze"]
