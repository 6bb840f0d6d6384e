"""Azure Backup's restore point collections: the one kept beside a VM is deleted before the VM moves (its
instant-restore snapshots go; the vault's backups stay). Resuming the backup from a vault in the target
stays with the engineer, with the command."""

from __future__ import annotations

from migration.azure.ports import HasCompute, HasResources
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, StepSpec, each
from migration.model import NotFound
from migration.model.commands import Command, Data, Script
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind, message


def _restore_points(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
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
    new_vm, group = moves.new_id(vm), moves.group_for(vm)
    # When the VM's move did not happen, its vault backs it up as before: only a backup stopped for the move
    # is the engineer's to resume.
    resume = Script.of(Command.of("az", "backup", "protection", "resume", "--vault-name", "<its vault>",
                                  "--resource-group", "<the vault's group>", "--container-name", Data(name_of(vm)),
                                  "--item-name", Data(name_of(vm)), "--policy-name", "<backup policy>"))
    return [ChosenFix(fix.group, fix.action, (new_vm,),
                      Script.of(Command.of("az", "backup", "protection", "enable-for-vm", "--vm", Data(new_vm),
                                           "--vault-name", "<vault in the target>", "--resource-group",
                                           "<the vault's group>", "--policy-name", "<backup policy>")),
                      reason=message("resume_backup", vm_name=name_of(vm)),
                      follows=group.source_group if group else "",
                      stayed_reason=message("resume_backup_in_place", vm_name=name_of(vm)), stayed_command=resume)]



async def _delete(azure: HasCompute, step: PlanStep) -> None:
    await (await azure.compute.begin_delete_restore_points(step.arg("collection"))).wait()


async def _deleted(azure: HasResources, step: PlanStep) -> bool:
    try:
        await azure.resources.get_resource(step.arg("collection"))
    except NotFound:
        return True
    return False  # the collection is still there


FAMILY = FixFamily(
    name="restore_points",
    actions=("remove_restore_points",),
    plan=each(_restore_points),
    steps=(StepSpec(StepKind.DELETE_RESTORE_POINTS, _delete, _deleted, lasting=True),),
)
