"""The whole regrouping is put to Azure's dry run before any of its in-subscription moves (in process, on the
sandbox): when Azure refuses one part (a type that cannot change group, by the sandbox's own move facts), no
part moves, the groups that needed it stay with the reason, and the report says which step failed and why."""

from __future__ import annotations

from datetime import UTC, datetime

from migration.execution.runner import MoveRunner
from migration.execution.workflow import Workflow
from migration.model import GroupMove, GroupState
from migration.model.plan import ChosenFix, StepKind
from migration.model.records import StepStatus
from migration.planning.plan import plan_with_fixes
from migration.reports.move import Outcome, build
from tests.migration.fixes.test_runner import FAST
from tests.support.commands import script
from tests.support.moves import REQUESTER, approver_actor
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.resource_fixes import COLLECTION, IDLE_JOB, resource_fixes_scenario
from tests.support.teams import PARTNER_TENANT


async def test_a_refused_part_of_the_regrouping_stops_every_part_before_anything_moves(
        workflow: Workflow, sandbox_factory, gateway_factory) -> None:
    sandbox = await sandbox_factory(resource_fixes_scenario(), lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    azure = gateway.for_tenant(FABRIKAM)
    # Two sets to bring together: a job into rg-disks (Azure would move it), and a restore point collection
    # into rg-backup (Azure moves no restore point collection to another group).
    chosen = [ChosenFix("rg-disks", "consolidate_dependencies", (IDLE_JOB,),
                        script(f"az resource move --destination-group rg-disks --ids {IDLE_JOB}")),
              ChosenFix("rg-backup", "consolidate_dependencies", (COLLECTION,),
                        script(f"az resource move --destination-group rg-backup --ids {COLLECTION}"))]
    groups = tuple(GroupMove(g, group_id(CSP, g), "westeurope", ()) for g in ("rg-disks", "rg-backup"))
    groups, plan = await plan_with_fixes(azure, source_subscription_id=PAYG, target_subscription_id=CSP,
                                         groups=groups, chosen=chosen, plan_id="REGROUP1")
    kinds = [s.kind for s in plan.steps]
    assert kinds[0] is StepKind.VALIDATE_REGROUPING and kinds.count(StepKind.CONSOLIDATE) == 2
    stored = await workflow.submit(customer_tenant_id=FABRIKAM, source_subscription_id=PAYG,
                                   target_subscription_id=CSP, groups=groups, requester=REQUESTER,
                                   requester_tenant_id=PARTNER_TENANT, fix_steps=plan.steps, request_id="REGROUP1")
    assert (await workflow.approve(stored.id, approver_actor)).changed
    assert await MoveRunner(workflow, gateway, config=FAST).run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None

    # Nothing moved: the job Azure would have moved is still where it was.
    where = {r.id.lower(): r.resource_group for r in await azure.inventory.list_resources(PAYG)}
    assert where[IDLE_JOB.lower()] == "rg-stream" and where[COLLECTION.lower()] == "AzureBackupRG_westeurope_1"
    status = {s.kind: done.step_record(s.key).status for s in done.fix_steps if done.step_record(s.key)}
    assert status[StepKind.VALIDATE_REGROUPING] is StepStatus.FAILED
    assert status[StepKind.CONSOLIDATE] is StepStatus.SKIPPED
    for group in done.request.groups:
        assert group.state is GroupState.SKIPPED
        assert "Check with Azure's dry run that every in-subscription move can be made (2 in all)" in \
            group.error.message
    # The report says which step failed, with Azure's reason, and how to ask Azure again by hand.
    line = next(s for s in build(done, now=datetime.now(UTC)).steps if s.kind == StepKind.VALIDATE_REGROUPING)
    assert line.outcome is Outcome.FAILED and line.error is not None
    assert "restorePointCollections" in f"{line.error.code} {line.error.message} {line.error.details}"
    assert "validateMoveResources" in line.command.posix()
