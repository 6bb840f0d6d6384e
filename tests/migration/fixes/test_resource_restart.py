"""The end-to-end proof of the fixes on single resources, on a sandbox of its own process.

A running Stream Analytics job, a disk on a customer-managed key that no VM uses, and a VM whose Azure Backup
restore point collection exists move with one approval: the job is stopped and started again at its new id,
the disk goes to platform-managed keys and back on the target's disk encryption set, the collection is
deleted. The bot is killed with SIGKILL at every step once Azure carried out the step's call (a job's stop and start
are still being polled then), and started again each time; Azure carried out each write once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migration.model import NotFound, RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from tests.support.bot_http import Connector
from tests.support.sandbox import CSP, FABRIKAM, PAYG
from tests.support.scenarios.resource_fixes import (
    CMK,
    COLLECTION,
    DISK,
    JOB,
    PICKED,
    TARGET_DES,
    VM,
    resource_fixes_scenario,
)
from tests.support.sigkill import killed_once_azure_took_each_step, plan_and_submit, sandbox_and_bot

pytestmark = pytest.mark.restart

WRITE_OF = {"stop_job": "StreamingJobs_Stop", "start_job": "StreamingJobs_Start",
            "disk_to_platform_key": "Disks_Update", "disk_to_customer_key": "Disks_Update",
            "delete_restore_points": "RestorePointCollections_Delete"}


async def test_a_job_a_disk_on_its_own_key_and_a_backed_up_vm_move_with_one_approval_across_sigkill(
    tmp_path: Path, connector: Connector
):
    async with sandbox_and_bot(tmp_path, resource_fixes_scenario()) as run:
        workflow, gateway = run.workflow, run.gateway
        stored = await plan_and_submit(gateway, workflow, picked=PICKED, request_id="RES1")
        steps = stored.fix_steps
        assert [s.kind for s in steps] == [
            StepKind.STOP_JOB, StepKind.DISK_TO_PLATFORM_KEY, StepKind.DELETE_RESTORE_POINTS,
            StepKind.START_JOB, StepKind.DISK_TO_CUSTOMER_KEY]
        # Resuming backup from a vault in the target is the engineer's, with its command.
        assert [f.action for f in stored.manual_fixes] == ["remove_restore_points"]
        assert "az backup protection enable-for-vm" in stored.manual_fixes[0].command.posix()

        kills, seen, stats = await killed_once_azure_took_each_step(run, request_id=stored.id,
                                                                    connector_url=connector.url, write_of=WRITE_OF)
        done = await workflow.get(stored.id)
        assert done is not None
        target_of = {g.source_group: g.target_group_id.rsplit("/", 1)[-1] for g in done.request.groups}
        moved = {r.name: r for r in await gateway.for_tenant(FABRIKAM).inventory.list_resources(CSP)}
        job = await gateway.for_tenant(FABRIKAM).resources.get_resource(moved["asa-1"].id)
        disk = await gateway.for_tenant(FABRIKAM).resources.get_resource(moved["data-1"].id)
        with pytest.raises(NotFound):
            await gateway.for_tenant(FABRIKAM).resources.get_resource(COLLECTION)
        with pytest.raises(NotFound):
            await gateway.for_tenant(FABRIKAM).resources.get_resource(JOB)
        left = {r.id for r in await gateway.for_tenant(FABRIKAM).inventory.list_resources(PAYG)}

    assert done.state is RequestState.SUCCEEDED, done
    assert seen == {s.key for s in steps} and kills >= 2  # killed at every step, before and after the moves
    assert {r.key: r.status for r in done.step_records} == {s.key: StepStatus.SUCCEEDED for s in steps}

    # The job runs again at its new id, from where its output stopped; the disk moved and is on the target's
    # encryption set again; the VM moved once its restore point collection was gone.
    assert job.id == JOB.replace(PAYG, CSP).replace("rg-stream", target_of["rg-stream"])
    assert (job.properties["jobState"], job.properties["outputStartMode"]) == ("Running", "LastOutputEventTime")
    assert disk.id == DISK.replace(PAYG, CSP).replace("rg-disks", target_of["rg-disks"])
    assert disk.properties["encryption"] == {"type": CMK, "diskEncryptionSetId": TARGET_DES}
    assert moved["vm-b"].id == VM.replace(PAYG, CSP).replace("rg-backup", target_of["rg-backup"])
    assert not any("AzureBackup_vm-b" in rid for rid in left)
    assert moved["asa-idle"].properties["jobState"] == "Stopped"  # a job that did not run is not started

    # Azure carried out every write once: nothing was repeated across the kills.
    ops = stats["applied_by_operation"]
    assert (ops["StreamingJobs_Stop"], ops["StreamingJobs_Start"], ops["Disks_Update"],
            ops["RestorePointCollections_Delete"]) == (1, 1, 2, 1)
