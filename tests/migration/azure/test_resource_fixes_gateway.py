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
    try:
        op = await gw.begin_validate_move(PAYG, group, resource_ids=[resource_id], target_resource_group_id=TARGET,
                                          tenant_id=FABRIKAM)
        await op.wait()
    except ArmError as exc:
        return {inner.code for d in exc.error.details for inner in d.details}
    return set()


async def _state(gw, job_id: str) -> str:
    return str((await gw.get_resource(job_id, tenant_id=FABRIKAM)).properties["jobState"])


async def test_a_running_job_moves_only_once_stopped_and_starts_again_from_its_last_output(gw):
    assert await _state(gw, JOB) == "Running"
    assert await _refusals(gw, JOB) == {"StreamingJobMustBeStopped"}

    op = await gw.begin_stop_job(JOB, tenant_id=FABRIKAM)
    await op.wait()  # long-running: Stopping, then Stopped
    assert await _state(gw, JOB) == "Stopped"
    assert await _refusals(gw, JOB) == set()

    op = await gw.begin_start_job(JOB, output_start_mode="LastOutputEventTime", tenant_id=FABRIKAM)
    await op.wait()
    job = await gw.get_resource(JOB, tenant_id=FABRIKAM)
    assert (job.properties["jobState"], job.properties["outputStartMode"]) == ("Running", "LastOutputEventTime")


async def test_a_job_without_output_cannot_start_from_its_last_output_and_stays_stopped(gw):
    with pytest.raises(ArmError, match="has produced no output yet"):
        await gw.begin_start_job(IDLE_JOB, output_start_mode="LastOutputEventTime", tenant_id=FABRIKAM)
    assert await _state(gw, IDLE_JOB) == "Stopped"
    with pytest.raises(ArmError, match="outputStartMode must be one of"):
        await gw.begin_start_job(IDLE_JOB, output_start_mode="Yesterday", tenant_id=FABRIKAM)


async def test_a_disk_moves_on_platform_keys_and_goes_back_on_a_set_of_its_own_subscription(gw):
    assert await _refusals(gw, DISK) == {"DiskWithCustomerManagedKeyCannotBeMoved"}
    disk = await gw.get_resource(DISK, tenant_id=FABRIKAM)
    assert disk.properties["diskState"] == "Unattached"

    op = await gw.begin_set_disk_encryption(DISK, encryption_type=PLATFORM, disk_encryption_set_id=None,
                                            tenant_id=FABRIKAM)
    await op.wait()
    assert (await gw.get_resource(DISK, tenant_id=FABRIKAM)).properties["encryption"] == {"type": PLATFORM}
    assert await _refusals(gw, DISK) == set()

    with pytest.raises(ArmError, match="must be in the disk's subscription and region"):
        await gw.begin_set_disk_encryption(DISK, encryption_type=CMK, disk_encryption_set_id=TARGET_DES,
                                           tenant_id=FABRIKAM)
    op = await gw.begin_set_disk_encryption(DISK, encryption_type=CMK, disk_encryption_set_id=DES, tenant_id=FABRIKAM)
    await op.wait()
    assert (await gw.get_resource(DISK, tenant_id=FABRIKAM)).properties["encryption"] == {
        "type": CMK, "diskEncryptionSetId": DES}


async def test_a_disk_a_running_vm_uses_keeps_its_key(gw):
    with pytest.raises(ArmError) as caught:
        await gw.begin_set_disk_encryption(BUSY_DISK, encryption_type=PLATFORM, disk_encryption_set_id=None,
                                           tenant_id=FABRIKAM)
    assert caught.value.error.code == "OperationNotAllowed" and "Deallocate the VM" in caught.value.error.message
    disk = await gw.get_resource(BUSY_DISK, tenant_id=FABRIKAM)
    assert (disk.properties["diskState"], disk.properties["encryption"]["type"]) == ("Attached", CMK)


async def test_a_vm_moves_once_its_restore_point_collection_is_deleted(gw):
    assert await _refusals(gw, VM) == {"VirtualMachineHasRestorePointCollection"}
    assert (await gw.get_resource(COLLECTION, tenant_id=FABRIKAM)).properties["source"] == {"id": VM}

    op = await gw.begin_delete_restore_points(COLLECTION, tenant_id=FABRIKAM)
    await op.wait()
    with pytest.raises(NotFound):
        await gw.get_resource(COLLECTION, tenant_id=FABRIKAM)
    left = [r.id for r in await gw.list_resources(PAYG, tenant_id=FABRIKAM) if "AzureBackup_vm-b" in r.id]
    assert left == []  # its restore points went with it
    assert await _refusals(gw, VM) == set()
    op = await gw.begin_delete_restore_points(COLLECTION, tenant_id=FABRIKAM)  # already gone: not an error
    await op.wait()
