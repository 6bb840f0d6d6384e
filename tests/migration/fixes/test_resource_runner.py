"""The runner and the fixes on single resources (in process, on the sandbox): a disk Azure will not switch
off its customer-managed key stops only its own group; the job and the backed-up VM move on."""

from __future__ import annotations

from migration.execution.runner import MoveRunner, RunnerConfig
from migration.execution.workflow import Workflow
from migration.model import GroupState, RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from tests.support.moves import approver_actor
from tests.support.sandbox import CSP, FABRIKAM
from tests.support.scenarios.resource_fixes import BUSY_VM, DISK, PICKED, resource_fixes_scenario
from tests.support.sigkill import plan_and_submit

FAST = RunnerConfig(lease_seconds=5.0, poll_seconds=0.2, batch_size=3, retry_seconds=0.1)


async def test_a_disk_a_vm_took_since_approval_stops_only_its_group(workflow: Workflow, sandbox_factory,
                                                                    gateway_factory):
    sandbox = await sandbox_factory(resource_fixes_scenario(), lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    stored = await plan_and_submit(gateway, workflow, picked=PICKED, request_id="RES2")
    assert (await workflow.approve(stored.id, approver_actor)).changed
    sandbox.world.resource(DISK).managed_by = BUSY_VM  # a running VM uses the disk now: Azure keeps its key
    assert await MoveRunner(workflow, gateway, config=FAST).run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None

    status = {s.kind: done.step_record(s.key).status for s in done.fix_steps}
    assert status == {StepKind.STOP_JOB: StepStatus.SUCCEEDED, StepKind.DELETE_RESTORE_POINTS: StepStatus.SUCCEEDED,
                      StepKind.START_JOB: StepStatus.SUCCEEDED, StepKind.DISK_TO_PLATFORM_KEY: StepStatus.FAILED,
                      StepKind.DISK_TO_CUSTOMER_KEY: StepStatus.SKIPPED}
    failed = next(s for s in done.fix_steps if s.kind is StepKind.DISK_TO_PLATFORM_KEY)
    assert done.step_record(failed.key).error.code == "OperationNotAllowed"
    groups = {g.source_group: g for g in done.request.groups}
    assert groups["rg-disks"].state is GroupState.SKIPPED and groups["rg-disks"].error.code == "FixFailed"
    assert "its command is in the move report" in groups["rg-disks"].error.message  # what to do by hand
    assert groups["rg-stream"].state is GroupState.SUCCEEDED and groups["rg-backup"].state is GroupState.SUCCEEDED
    assert done.state is RequestState.PARTIALLY_SUCCEEDED
    azure = gateway.for_tenant(FABRIKAM)
    moved = {r.name: r for r in await azure.inventory.list_resources(CSP)}
    assert (await azure.resources.get_resource(moved["asa-1"].id)).properties["jobState"] == "Running"
    assert "vm-b" in moved and "data-1" not in moved
