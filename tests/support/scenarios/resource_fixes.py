"""test-small plus what the fixes on single resources need: a running Stream Analytics job (and a stopped
one), a disk on a customer-managed key that no VM uses (and one a running VM uses), with a disk encryption
set of the same name in the target, and a VM whose Azure Backup restore point collection lives in the
backup group."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.state import load_scenario
from tests.support.sandbox import CSP, PAYG, arm_id

JOB = arm_id(PAYG, "rg-stream", "Microsoft.StreamAnalytics/streamingjobs/asa-1")
IDLE_JOB = arm_id(PAYG, "rg-stream", "Microsoft.StreamAnalytics/streamingjobs/asa-idle")
DES = arm_id(PAYG, "rg-keys", "Microsoft.Compute/diskEncryptionSets/des-1")
TARGET_DES = arm_id(CSP, "rg-keys", "Microsoft.Compute/diskEncryptionSets/des-1")
DISK = arm_id(PAYG, "rg-disks", "Microsoft.Compute/disks/data-1")
BUSY_DISK = arm_id(PAYG, "rg-busy", "Microsoft.Compute/disks/data-2")
BUSY_VM = arm_id(PAYG, "rg-busy", "Microsoft.Compute/virtualMachines/vm-busy")
VM = arm_id(PAYG, "rg-backup", "Microsoft.Compute/virtualMachines/vm-b")
COLLECTION = arm_id(PAYG, "AzureBackupRG_westeurope_1", "Microsoft.Compute/restorePointCollections/"
                    "AzureBackup_vm-b_7391")
CMK = "EncryptionAtRestWithCustomerKey"
PICKED = ("rg-stream", "rg-disks", "rg-backup")


def _des(name: str) -> dict[str, Any]:
    vault = arm_id(PAYG, "rg-vault", "Microsoft.KeyVault/vaults/kv-keys")  # not in the inventory
    return {"name": name, "type": "Microsoft.Compute/diskEncryptionSets",
            "properties": {"activeKey": {"sourceVault": {"id": vault}, "keyUrl": "https://kv-keys/keys/k/1"}}}


def resource_fixes_scenario() -> dict[str, Any]:
    data = copy.deepcopy(load_scenario("test-small"))
    payg = next(s for s in data["subscriptions"] if s["id"] == PAYG)
    csp = next(s for s in data["subscriptions"] if s["id"] == CSP)
    payg["resourceGroups"] += [
        {"name": "rg-stream", "location": "westeurope", "resources": [
            {"name": "asa-1", "type": "Microsoft.StreamAnalytics/streamingjobs",
             "properties": {"jobState": "Running", "lastOutputEventTime": "2026-11-30T08:00:00+00:00"}},
            {"name": "asa-idle", "type": "Microsoft.StreamAnalytics/streamingjobs",
             "properties": {"jobState": "Stopped"}}]},
        {"name": "rg-keys", "location": "westeurope", "resources": [_des("des-1")]},
        {"name": "rg-disks", "location": "westeurope", "resources": [
            {"name": "data-1", "type": "Microsoft.Compute/disks",
             "properties": {"diskState": "Unattached", "diskSizeGB": 128,
                            "encryption": {"type": CMK, "diskEncryptionSetId": DES}}}]},
        {"name": "rg-busy", "location": "westeurope", "resources": [
            {"name": "vm-busy", "type": "Microsoft.Compute/virtualMachines",
             "properties": {"extended": {"instanceView": {"powerState": {"code": "PowerState/running"}}}}},
            {"name": "data-2", "type": "Microsoft.Compute/disks", "managedBy": BUSY_VM,
             "properties": {"diskState": "Attached", "encryption": {"type": CMK, "diskEncryptionSetId": DES}}}]},
        {"name": "rg-backup", "location": "westeurope", "resources": [
            {"name": "vm-b", "type": "Microsoft.Compute/virtualMachines", "properties": {}}]},
        {"name": "AzureBackupRG_westeurope_1", "location": "westeurope", "resources": [
            {"name": "AzureBackup_vm-b_7391", "type": "Microsoft.Compute/restorePointCollections",
             "properties": {"source": {"id": VM}}},
            {"name": "AzureBackup_vm-b_7391/rp-1", "type": "Microsoft.Compute/restorePointCollections/restorePoints",
             "properties": {}}]},
    ]
    csp["resourceGroups"].append({"name": "rg-keys", "location": "westeurope", "resources": [_des("des-1")]})
    return data
