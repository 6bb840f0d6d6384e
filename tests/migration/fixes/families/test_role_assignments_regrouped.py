"""Role assignments on a resource that an in-subscription fix moves (in process, on the sandbox): the web app
split from its plan goes back to the plan's group first, which drops the assignments made on it, then moves
to the CSP subscription with that group. The assignments made on the app and on its plan are back on their
new ids in the target, read from the sandbox; the one on the plan's group is not copied onto the app."""

from __future__ import annotations

from bot.notifier import report_card
from migration.execution.runner import MoveRunner
from migration.execution.workflow import Workflow
from migration.fixes.families import command
from migration.model import RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from tests.migration.fixes.test_restart import PICKED
from tests.migration.fixes.test_runner import FAST
from tests.support.cardtools import text_of
from tests.support.moves import approver_actor
from tests.support.sandbox import CSP, FABRIKAM, PAYG, arm_id
from tests.support.scenarios.fixes import ALICE, APP_OPERATOR, BOB, OPS, READER, fixes_scenario
from tests.support.sigkill import plan_and_submit

APP2 = arm_id(PAYG, "rg-webapp", "Microsoft.Web/sites/app-2")
PLAN1 = arm_id(PAYG, "rg-web", "Microsoft.Web/serverFarms/plan-1")
WRITER = "b24988ac-6180-42a0-ab88-20f7382dd24c"  # Contributor


async def test_assignments_on_a_web_app_moved_back_to_its_plan_are_on_its_new_id_in_the_target(
        workflow: Workflow, sandbox_factory, gateway_factory):
    scenario = fixes_scenario()
    fabrikam = next(t for t in scenario["tenants"] if t["id"] == FABRIKAM)
    fabrikam["roleAssignments"] += [
        {"principalId": OPS, "role": WRITER, "scope": APP2, "principalType": "Group",
         "description": "Ops deploy the app"},
        {"principalId": OPS, "role": APP_OPERATOR, "scope": APP2, "principalType": "Group"},  # custom role
        {"principalId": ALICE, "role": READER, "scope": PLAN1, "principalType": "User",
         "description": "Alice reads the plan"},
        {"principalId": BOB, "role": READER, "scope": APP2, "principalType": "User"},  # a user since deleted
    ]
    sandbox = await sandbox_factory(scenario, lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    stored = await plan_and_submit(gateway, workflow, picked=PICKED, request_id="FIX1")
    web = next(g for g in stored.request.groups if g.source_group == "rg-web")
    assert "rg-webapp" not in {g.source_group for g in stored.request.groups}  # emptied by the fix
    assert (await workflow.approve(stored.id, approver_actor)).changed
    assert await MoveRunner(workflow, gateway, config=FAST).run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None and done.state is RequestState.SUCCEEDED  # a failed follow-through step stops nothing

    app_now = f"{web.target_group_id}/providers/Microsoft.Web/sites/app-2"
    plan_now = f"{web.target_group_id}/providers/Microsoft.Web/serverFarms/plan-1"
    azure = gateway.for_tenant(FABRIKAM)
    in_target = await azure.authorization.list_role_assignments(CSP)
    on_app = sorted((a.principal_id, a.role_guid, a.description or "") for a in in_target
                    if a.scope.lower() == app_now.lower())
    # Alice's App Operator on rg-web, which the app inherits there, is not copied onto it.
    assert on_app == sorted([(OPS, WRITER, "Ops deploy the app"), (OPS, APP_OPERATOR, "")])
    on_plan = {(a.principal_id, a.role_guid, a.description) for a in in_target
               if a.scope.lower() == plan_now.lower()}
    assert on_plan == {(ALICE, READER, "Alice reads the plan")}
    on_group = {(a.principal_id, a.role_guid) for a in in_target if a.scope.lower() == web.target_group_id.lower()}
    assert (ALICE, APP_OPERATOR) in on_group  # the group's own, on the group only
    # Nothing of the app's is left behind in the source (Azure dropped them with the move back).
    in_source = await azure.authorization.list_role_assignments(PAYG)
    assert not [a for a in in_source if "/sites/app-2" in a.scope.lower()]
    # Each assignment is a step the report lists: done, or not (the deleted user's), with its command.
    for_app = {(s.arg("principal"), s.arg("role").rsplit("/", 1)[-1]): s for s in done.fix_steps
               if s.kind is StepKind.RECREATE_ASSIGNMENT and s.arg("source_scope").lower() == APP2.lower()}
    assert {k: done.step_record(s.key).status for k, s in for_app.items()} == {
        (OPS, WRITER): StepStatus.SUCCEEDED, (OPS, APP_OPERATOR): StepStatus.SUCCEEDED,
        (BOB, READER): StepStatus.FAILED}
    assert all(f"--scope {app_now}" in command(s).posix() for s in for_app.values())
    assert done.step_record(for_app[BOB, READER].key).error.code == "PrincipalNotFound"
    report = text_of(report_card(done))
    assert f"--assignee-object-id {BOB}" in report and f"--scope {app_now}" in report
