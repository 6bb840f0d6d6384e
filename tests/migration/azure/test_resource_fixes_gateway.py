"""Stream Analytics jobs, disks' keys and restore point collections through the gateway: the real Azure SDK
over HTTPS against the sandbox, whose dry run refuses each resource until its own state changed."""

from __future__ import annotations

import pytest

from migration.model import ArmError, NotFound
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.resource_fixes import (
    BUSY_DISK,
    CMK,
    COLLECTION,
    DES,
    DISK,
    IDLE_JOB,
    JOB,
    TARGET_DES,
    VM,
    resource_fixes_scenario,
)

TARGET = group_id(CSP, "rg-target")
PLATFORM = "EncryptionAtRestWithPlatformKey"


@pytest.fixture
async def gw(sandbox_factory, gateway_factory):
    return gateway_factory(await sandbox_factory(resource_fixes_scenario()))


async def _refusals(gw, resource_id: str) -> set[str]:
    """The codes of Azure's dry run for moving this one resource to the CSP subscription (empty: accepted)."""
    group = resource_id.split("/")[4]
    azure = gw.for_tenant(FABRIKAM)
    try:
        op = await azure.moves.begin_validate(PAYG, group, resource_ids=[resource_id], target_group_id=TARGET)
        await op.wait()
    except ArmError as exc:
        return {inner.code for d in exc.error.details for inner in d.details}
    return set()


async def _state(gw, job_id: str) -> str:
    return str((await gw.for_tenant(FABRIKAM).resources.get_resource(job_id)).properties["jobState"])


async def test_a_running_job_moves_only_once_stopped_and_starts_again_from_its_last_output(gw):
    assert await _state(gw, JOB) == "Running"
    assert await _refusals(gw, JOB) == {"StreamingJobMustBeStopped"}

    azure = gw.for_tenant(FABRIKAM)
    op = await azure.jobs.begin_stop(JOB)
    await op.wait()  # long-running: Stopping, then Stopped
    assert await _state(gw, JOB) == "Stopped"
    assert await _refusals(gw, JOB) == set()

    op = await azure.jobs.begin_start(JOB, output_start_mode="LastOutputEventTime")
    await op.wait()
    job = await azure.resources.get_resource(JOB)
    assert (job.properties["jobState"], job.properties["outputStartMode"]) == ("Running", "LastOutputEventTime")


async def test_a_job_without_output_cannot_start_from_its_last_output_and_stays_stopped(gw):
    azure = gw.for_tenant(FABRIKAM)
    with pytest.raises(ArmError, match="has produced no output yet"):
        await azure.jobs.begin_start(IDLE_JOB, output_start_mode="LastOutputEventTime")
    assert await _state(gw, IDLE_JOB) == "Stopped"
    with pytest.raises(ArmError, match="outputStartMode must be one of"):
        await azure.jobs.begin_start(IDLE_JOB, output_start_mode="Yesterday")


async def test_a_disk_moves_on_platform_keys_and_goes_back_on_a_set_of_its_own_subscription(gw):
    assert await _refusals(gw, DISK) == {"DiskWithCustomerManagedKeyCannotBeMoved"}
    azure = gw.for_tenant(FABRIKAM)
    disk = await azure.resources.get_resource(DISK)
    assert disk.properties["diskState"] == "Unattached"

    op = await azure.compute.begin_set_disk_encryption(DISK, encryption_type=PLATFORM, disk_encryption_set_id=None)
    await op.wait()
    assert (await azure.resources.get_resource(DISK)).properties["encryption"] == {"type": PLATFORM}
    assert await _refusals(gw, DISK) == set()

    with pytest.raises(ArmError, match="must be in the disk's subscription and region"):
        await azure.compute.begin_set_disk_encryption(DISK, encryption_type=CMK, disk_encryption_set_id=TARGET_DES)
    op = await azure.compute.begin_set_disk_encryption(DISK, encryption_type=CMK, disk_encryption_set_id=DES)
    await op.wait()
    assert (await azure.resources.get_resource(DISK)).properties["encryption"] == {
        "type": CMK, "diskEncryptionSetId": DES}


async def test_a_disk_a_running_vm_uses_keeps_its_key(gw):
    azure = gw.for_tenant(FABRIKAM)
    with pytest.raises(ArmError) as caught:
        await azure.compute.begin_set_disk_encryption(BUSY_DISK, encryption_type=PLATFORM, disk_encryption_set_id=None)
    assert caught.value.error.code == "OperationNotAllowed" and "Deallocate the VM" in caught.value.error.message
    disk = await azure.resources.get_resource(BUSY_DISK)
    assert (disk.properties["diskState"], disk.properties["encryption"]["type"]) == ("Attached", CMK)


async def test_a_vm_moves_once_its_restore_point_collection_is_deleted(gw):
    assert await _refusals(gw, VM) == {"VirtualMachineHasRestorePointCollection"}
    azure = gw.for_tenant(FABRIKAM)
    assert (await azure.resources.get_resource(COLLECTION)).properties["source"] == {"id": VM}

    op = await azure.compute.begin_delete_restore_points(COLLECTION)
    await op.wait()
    with pytest.raises(NotFound):
        await azure.resources.get_resource(COLLECTION)
    left = [r.id for r in await azure.inventory.list_resources(PAYG) if "AzureBackup_vm-b" in r.id]
    assert left == []  # its restore points went with it
    assert await _refusals(gw, VM) == set()
    op = await azure.compute.begin_delete_restore_points(COLLECTION)  # already gone: not an error
    await op.wait()
