"""Planned steps on resources a move needs changed: Stream Analytics jobs (stopped, started again at their new
ids), disks on customer-managed keys (off the key, then onto the target's encryption set) and the restore
point collections Azure Backup keeps beside a VM (deleted; resuming the backup is the engineer's)."""

from __future__ import annotations

from typing import Any

from migration.fixes.facts import PlanFacts, Relocation, args
from migration.model import Resource, ResourceId
from migration.model.commands import Command, Data, Script
from migration.model.ids import group_of, name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind, message

_JOB_RUNNING = ("running", "starting", "restarting", "degraded")
_CUSTOMER_KEY = ("encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys")
# Azure changes a disk's keys only while no running VM uses it: unattached, or its VM deallocated (Reserved).
_KEYS_CHANGEABLE = ("unattached", "reserved")


def _jobs(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    """Stop each running Stream Analytics job before the move; start it again after, at its new id (or where
    it stayed, if its group did not move), from its last output so no event is lost. A job stopped since the
    assessment is left alone: only jobs that ran are started again."""
    for rid in fix.resource_ids:
        job = facts.resource(rid)
        if job is None or job.type_lower != "microsoft.streamanalytics/streamingjobs":
            continue
        if str(job.properties.get("jobState") or "").lower() not in _JOB_RUNNING:
            continue
        old = ResourceId.parse(job.id)
        stop = PlanStep(f"stop_job:{job.id}".lower(), StepKind.STOP_JOB, job.resource_group,
                        args(job=job.id, name=job.name, group=old.resource_group, subscription=old.subscription))
        add(stop)
        group = moves.group_for(job.id)
        new_id = moves.new_id(job.id)
        new = ResourceId.parse(new_id)
        served = group.source_group if group else job.resource_group
        add(PlanStep(f"start_job:{new_id}".lower(), StepKind.START_JOB, served,
                     args(job=new_id, old_job=job.id, name=job.name, group=new.resource_group,
                          subscription=new.subscription, mode="LastOutputEventTime"),
                     after=(stop.key,), ended=(f"move:{group.source_group}",) if group else ()))
    return []


def _disk_keys(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    """Switch each disk on a customer-managed key to platform-managed keys before the move, when Azure allows
    it now (unattached, or its VM deallocated); after the move, encrypt it again with a disk encryption set
    of the target (the one of the same name, else the only one in its target group, in its region). What
    the bot cannot do stays with the engineer, with the reason and the command."""
    manual: list[ChosenFix] = []
    for rid in fix.resource_ids:
        disk = facts.resource(rid)
        if disk is None or disk.type_lower != "microsoft.compute/disks":
            continue
        encryption = disk.properties.get("encryption") or {}
        kind = str(encryption.get("type") or "")
        if kind.lower() not in _CUSTOMER_KEY:
            if disk.properties.get("encryptionSettingsCollection") and fix not in manual:
                manual.append(fix)  # Azure Disk Encryption (a Key Vault's finding): not a key switch
            continue
        des = str(encryption.get("diskEncryptionSetId") or "")
        vm = str(disk.managed_by or "")
        state = str(disk.properties.get("diskState") or ("Attached" if vm else "Unattached"))
        if state.lower() not in _KEYS_CHANGEABLE:
            sub = ("--subscription", Data(disk.subscription_id or facts.source_subscription_id))
            switch = Command.of("az", "disk", "update", "-g", Data(disk.resource_group), "-n", Data(disk.name), *sub,
                                "--encryption-type", "EncryptionAtRestWithPlatformKey")
            if vm:
                command = Script.of(Command.of("az", "vm", "deallocate", "-g", Data(group_of(vm)), "-n",
                                               Data(name_of(vm)), *sub), switch)
                reason = message("cmk_disk_in_use", disk=disk.name, vm=name_of(vm))
            else:
                command, reason = Script.of(switch), message("cmk_disk_busy", disk=disk.name, state=state)
            manual.append(ChosenFix(fix.group, fix.action, (disk.id,), command, reason=reason, holds=True))
            continue
        # It serves the group whose finding it fixes: the disk's, or the Key Vault's whose key the disk uses.
        off = PlanStep(f"disk_to_platform_key:{disk.id}".lower(), StepKind.DISK_TO_PLATFORM_KEY, fix.group,
                       args(disk=disk.id, name=disk.name, des=des, des_name=name_of(des)))
        add(off)
        group = moves.group_for(disk.id)
        new_disk = moves.new_id(disk.id)
        target_set = _target_encryption_set(facts, disk, des, group.target_group_id if group else "")
        if group is None or target_set is None:
            wanted = des.replace(f"/subscriptions/{facts.source_subscription_id}/",
                                 f"/subscriptions/{facts.target_subscription_id}/", 1) if group else des
            manual.append(ChosenFix(fix.group, fix.action, (new_disk,), Script.of(Command.of(
                "az", "disk", "update", "--ids", Data(new_disk), "--encryption-type", Data(kind),
                "--disk-encryption-set", Data(wanted))),
                                    reason=message("cmk_no_target_set", disk=disk.name, des_name=name_of(des),
                                                   location=disk.location) if group else
                                    message("cmk_back_in_place", disk=disk.name, des_name=name_of(des))))
            continue
        # Back on a customer-managed key once the move ended: the target's set, or its own where it stayed.
        add(PlanStep(f"disk_to_customer_key:{new_disk}".lower(), StepKind.DISK_TO_CUSTOMER_KEY, group.source_group,
                     args(disk=new_disk, name=disk.name, des=target_set.id, des_name=target_set.name,
                          encryption_type=kind, disk_source=moves.current(disk.id), des_source=des,
                          des_name_source=name_of(des)),
                     after=(off.key,), ended=(f"move:{group.source_group}",)))
    return manual


def _target_encryption_set(facts: PlanFacts, disk: Resource, des: str, target_group_id: str) -> Resource | None:
    sets = [r for r in facts.target_resources if r.type_lower == "microsoft.compute/diskencryptionsets"
            and r.location.lower() == disk.location.lower()]
    same_name = [r for r in sets if r.name.lower() == name_of(des).lower()]
    if same_name:
        in_group = [r for r in same_name if group_of(r.id).lower() == group_of(des).lower()]
        return (in_group or same_name)[0]
    here = [r for r in sets if target_group_id and r.resource_group.lower() == name_of(target_group_id).lower()]
    return here[0] if len(here) == 1 else None


def _restore_points(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    """Delete the VM's restore point collection before the move (its instant-restore snapshots go; the
    vault's backups stay). Resuming the backup from a vault in the target stays with the engineer."""
    vm = next((i for i in fix.resource_ids if "/microsoft.compute/virtualmachines/" in i.lower()), "")
    for rid in fix.resource_ids:
        rpc = facts.resource(rid)
        if rpc is None or rpc.type_lower != "microsoft.compute/restorepointcollections":
            continue
        add(PlanStep(f"delete_restore_points:{rpc.id}".lower(), StepKind.DELETE_RESTORE_POINTS, fix.group,
                     args(collection=rpc.id, name=rpc.name, vm=vm, vm_name=name_of(vm))))
    if not vm:
        return []
    new_vm = moves.new_id(vm)
    return [ChosenFix(fix.group, fix.action, (new_vm,),
                      Script.of(Command.of("az", "backup", "protection", "enable-for-vm", "--vm", Data(new_vm),
                                           "--vault-name", "<vault in the target>", "--resource-group",
                                           "<the vault's group>", "--policy-name", "<backup policy>")),
                      reason=message("resume_backup", vm_name=name_of(vm)))]


PLANNERS = {"stop_job": _jobs, "disable_customer_managed_key": _disk_keys, "remove_restore_points": _restore_points}
