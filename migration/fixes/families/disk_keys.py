"""Disks on customer-managed keys: each switched to platform-managed keys before the moves, when Azure allows
it now (unattached, or its VM deallocated); after the moves, encrypted again with a disk encryption set of
the target (the one of the same name, else the only one in its target group, in its region), or with its
own set where it stayed (also when the target has no set for it). What the bot cannot do stays with the
engineer, with the reason and the command; Azure Disk Encryption always does (`left_to_engineer`)."""

from __future__ import annotations

from typing import Protocol

from migration.azure.ports import HasCompute, HasResources
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, PlanRead, StepSpec, each
from migration.model import NotFound, Resource
from migration.model.commands import Command, Data, Script
from migration.model.ids import group_of, name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind, message

_CUSTOMER_KEY = ("encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys")
# Azure changes a disk's keys only while no running VM uses it: unattached, or its VM deallocated (Reserved).
_KEYS_CHANGEABLE = ("unattached", "reserved")
_PLATFORM_KEY = "EncryptionAtRestWithPlatformKey"


def _disk_keys(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
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
                                    message("cmk_back_in_place", disk=disk.name, des_name=name_of(des)),
                                    follows=group.source_group if group else ""))
            if group is not None:  # its own set, where it stayed when its move did not happen
                add(PlanStep(f"disk_key_in_place:{disk.id}".lower(), StepKind.DISK_KEY_IN_PLACE, group.source_group,
                             args(disk=moves.current(disk.id), name=disk.name, des=des, des_name=name_of(des),
                                  encryption_type=kind),
                             after=(off.key,), ended=(f"move:{group.source_group}",)))
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



class DiskAzure(HasResources, HasCompute, Protocol):
    """What the disk steps use."""


async def _carry_out_disk(azure: DiskAzure, step: PlanStep) -> None:
    if step.kind is StepKind.DISK_TO_PLATFORM_KEY:
        op = await azure.compute.begin_set_disk_encryption(step.arg("disk"), encryption_type=_PLATFORM_KEY,
                                                           disk_encryption_set_id=None)
    else:
        op = await azure.compute.begin_set_disk_encryption(
            step.arg("disk"), encryption_type=step.arg("encryption_type"), disk_encryption_set_id=step.arg("des"))
    await op.wait()



async def _in_place(azure: DiskAzure, step: PlanStep) -> None:
    if await _stayed(azure, step):
        await _carry_out_disk(azure, step)


async def _stayed(azure: HasResources, step: PlanStep) -> bool:
    """Whether the disk is still where it was (its move did not happen)."""
    try:
        await azure.resources.get_resource(step.arg("disk"))
    except NotFound:
        return False
    return True


async def _in_place_done(azure: HasResources, step: PlanStep) -> bool:
    return not await _stayed(azure, step) or await _keys_as_wanted(azure, step)


async def _keys_as_wanted(azure: HasResources, step: PlanStep) -> bool:
    try:
        found = await azure.resources.get_resource(step.arg("disk"))
    except NotFound:
        return False
    encryption = found.properties.get("encryption") or {}
    kind_now = str(encryption.get("type") or "").lower()
    if step.kind is StepKind.DISK_TO_PLATFORM_KEY:
        return kind_now == _PLATFORM_KEY.lower()
    return (kind_now == step.arg("encryption_type").lower()
            and str(encryption.get("diskEncryptionSetId") or "").lower() == step.arg("des").lower())


FAMILY = FixFamily(
    name="disk_keys",
    actions=("disable_customer_managed_key",),
    plan=each(_disk_keys),
    reads=frozenset({PlanRead.TARGET_RESOURCES}),  # a disk goes back on a key only with a set the target has
    left_to_engineer={"disable_disk_encryption": "ade_manual"},
    steps=(StepSpec(StepKind.DISK_TO_PLATFORM_KEY, _carry_out_disk, _keys_as_wanted),
           StepSpec(StepKind.DISK_TO_CUSTOMER_KEY, _carry_out_disk, _keys_as_wanted,
                    anchors=(("disk", "des", "des_name"),)),
           StepSpec(StepKind.DISK_KEY_IN_PLACE, _in_place, _in_place_done)),
)
