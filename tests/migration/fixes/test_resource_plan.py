"""Planning the fixes on single resources: a running Stream Analytics job stopped and started again, a disk
switched off its customer-managed key and back, a restore point collection deleted; and what stays with the
engineer (with the reason and the command) when Azure would refuse the bot."""

from __future__ import annotations

from migration.fixes.choice import chosen_fixes, movable_with
from migration.fixes.families import command
from migration.fixes.plan import PlanFacts, plan_fixes
from migration.model import Finding, Fix, FixAction, GroupAssessment, GroupMove, Resource, Severity, Verdict
from migration.model.plan import StepKind
from tests.support.commands import script

S, T = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
G, TG = f"/subscriptions/{S}/resourceGroups", f"/subscriptions/{T}/resourceGroups"
JOB = f"{G}/rg-stream/providers/Microsoft.StreamAnalytics/streamingjobs/asa-1"
DES = f"{G}/rg-keys/providers/Microsoft.Compute/diskEncryptionSets/des-1"
TARGET_DES = f"{TG}/rg-keys/providers/Microsoft.Compute/diskEncryptionSets/des-1"
DISK = f"{G}/rg-disks/providers/Microsoft.Compute/disks/data-1"
VM = f"{G}/rg-backup/providers/Microsoft.Compute/virtualMachines/vm-b"
RPC = f"{G}/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-b_7391"
CMK = "EncryptionAtRestWithCustomerKey"


def _res(rid: str, type_: str, sub: str = S, **fields: object) -> Resource:
    parts = rid.strip("/").split("/")
    return Resource(rid, parts[-1], type_, "westeurope", sub, parts[3], **fields)  # type: ignore[arg-type]


def _group(name: str, action: FixAction, ids: tuple[str, ...], command: str = "az ...") -> GroupAssessment:
    return GroupAssessment(name, Verdict.READY_AFTER_FIXES, ids[:1], (Finding(
        "X", Severity.FIX_FIRST, "m", "r", "s", resource_group=name,
        fix=Fix(action=action, resource_ids=ids, command=script(command), source="s")),))


def _move(name: str) -> GroupMove:
    top = {"rg-stream": (JOB,), "rg-disks": (DISK,), "rg-backup": (VM,)}[name]
    return GroupMove(name, f"{TG}/{name}-csp", "westeurope", top)


def _disk(state: str = "Unattached", managed_by: str | None = None) -> Resource:
    return _res(DISK, "Microsoft.Compute/disks", managed_by=managed_by,
                properties={"diskState": state, "encryption": {"type": CMK, "diskEncryptionSetId": DES}})


def _target_set(name: str = "des-1", group: str = "rg-keys") -> Resource:
    return _res(f"{TG}/{group}/providers/Microsoft.Compute/diskEncryptionSets/{name}",
                "Microsoft.Compute/diskEncryptionSets", sub=T)


def test_a_running_job_is_stopped_before_and_started_after_at_its_new_id_from_its_last_output():
    stream = _group("rg-stream", FixAction.STOP_JOB, (JOB,))
    chosen = chosen_fixes([stream])
    assert movable_with(stream, chosen)  # the job was the group's only problem
    job = _res(JOB, "Microsoft.StreamAnalytics/streamingjobs", properties={"jobState": "Running"})
    stop, start = plan_fixes(PlanFacts(S, T, (_move("rg-stream"),), resources=(job,)), chosen).steps
    assert (stop.kind, stop.phase, stop.group) == (StepKind.STOP_JOB, "before", "rg-stream")
    assert "processes no events until it is started again" in stop.text
    assert command(stop).posix() == (f"az stream-analytics job stop --resource-group rg-stream --name asa-1 "
                                    f"--subscription {S}")
    assert (start.kind, start.phase) == (StepKind.START_JOB, "after")
    assert start.arg("job") == f"{TG}/rg-stream-csp/providers/Microsoft.StreamAnalytics/streamingjobs/asa-1"
    assert start.arg("old_job") == JOB  # started where it stayed if its group did not move
    assert start.after == (stop.key,) and start.ended == ("move:rg-stream",)  # started again whatever the move did
    assert command(start).posix().endswith(f"--subscription {T} --output-start-mode LastOutputEventTime")
    assert "--resource-group rg-stream-csp" in command(start).posix()


def test_a_job_stopped_since_the_assessment_is_left_alone():
    job = _res(JOB, "Microsoft.StreamAnalytics/streamingjobs", properties={"jobState": "Stopped"})
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-stream"),), resources=(job,)),
                      chosen_fixes([_group("rg-stream", FixAction.STOP_JOB, (JOB,))]))
    assert plan.steps == () and plan.manual == ()  # not started after the move: it did not run before


def test_an_unattached_disk_goes_to_platform_keys_and_back_on_the_target_set_of_the_same_name():
    disks = _group("rg-disks", FixAction.DISABLE_CUSTOMER_MANAGED_KEY, (DISK,))
    facts = PlanFacts(S, T, (_move("rg-disks"),), resources=(_disk(),),
                      target_resources=(_target_set("des-other", "rg-disks-csp"), _target_set()))
    off, back = plan_fixes(facts, chosen_fixes([disks])).steps
    assert (off.kind, off.phase, off.group) == (StepKind.DISK_TO_PLATFORM_KEY, "before", "rg-disks")
    assert command(off).posix() == f"az disk update --ids {DISK} --encryption-type EncryptionAtRestWithPlatformKey"
    # Once the move ended, whatever it did: a disk is never left off its customer-managed key.
    assert (back.kind, back.phase, back.after, back.ended) == (StepKind.DISK_TO_CUSTOMER_KEY, "after",
                                                               (off.key,), ("move:rg-disks",))
    assert back.arg("disk") == f"{TG}/rg-disks-csp/providers/Microsoft.Compute/disks/data-1"
    assert back.arg("des") == TARGET_DES and back.arg("encryption_type") == CMK
    assert command(back).posix().endswith(f"--encryption-type {CMK} --disk-encryption-set {TARGET_DES}")
    # When the move did not happen: its own set, on the disk where it stayed.
    own_set = _disk().properties["encryption"]["diskEncryptionSetId"]
    assert command(back.in_place()).posix() == (f"az disk update --ids {DISK} --encryption-type {CMK} "
                                               f"--disk-encryption-set {own_set}")


def test_the_only_set_of_the_disks_target_group_serves_when_none_has_its_name():
    facts = PlanFacts(S, T, (_move("rg-disks"),), resources=(_disk(state="Reserved", managed_by=VM),),
                      target_resources=(_target_set("des-csp", "rg-disks-csp"),))
    _, back = plan_fixes(facts, chosen_fixes([_group("rg-disks", FixAction.DISABLE_CUSTOMER_MANAGED_KEY,
                                                      (DISK,))])).steps
    assert back.arg("des_name") == "des-csp"  # a deallocated VM's disk (Reserved) can change keys too


def test_without_a_set_in_the_target_the_disk_stays_on_platform_keys_and_the_engineer_gets_the_command():
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-disks"),), resources=(_disk(),)),
                      chosen_fixes([_group("rg-disks", FixAction.DISABLE_CUSTOMER_MANAGED_KEY, (DISK,))]))
    off, back = plan.steps
    assert (off.kind, back.kind) == (StepKind.DISK_TO_PLATFORM_KEY, StepKind.DISK_KEY_IN_PLACE)
    # When the move does not happen, the bot puts the disk back on its own set, where it stayed.
    assert (back.arg("disk"), back.arg("des"), back.after, back.ended) == (DISK, DES, (off.key,), ("move:rg-disks",))
    assert "if it did not move" in back.text
    (left,) = plan.manual
    assert "no disk encryption set des-1 in westeurope" in left.reason
    assert left.command.posix() == (f"az disk update --ids {TG}/rg-disks-csp/providers/Microsoft.Compute/disks/data-1 "
                            f"--encryption-type {CMK} --disk-encryption-set {TARGET_DES}")
    assert left.as_things_stand(moved=False) is None  # the step did it where the disk stayed


def test_a_disk_a_running_vm_uses_is_left_to_the_engineer_with_the_reason():
    vm = f"{G}/rg-disks/providers/Microsoft.Compute/virtualMachines/vm-busy"
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-disks"),), resources=(_disk("Attached", vm),),
                                target_resources=(_target_set(),)),
                      chosen_fixes([_group("rg-disks", FixAction.DISABLE_CUSTOMER_MANAGED_KEY, (DISK,))]))
    assert plan.steps == ()
    (left,) = plan.manual
    assert "attached to virtual machine vm-busy, which runs" in left.reason
    assert "Deallocating vm-busy stops it" in left.reason
    assert left.command.posix() == (f"az vm deallocate -g rg-disks -n vm-busy --subscription {S} && az disk update -g "
                            f"rg-disks -n data-1 --subscription {S} --encryption-type EncryptionAtRestWithPlatformKey")


def test_a_restore_point_collection_is_deleted_before_the_vm_moves_and_resuming_backup_stays_manual():
    backup = _group("rg-backup", FixAction.REMOVE_RESTORE_POINTS, (VM, RPC))
    chosen = chosen_fixes([backup])
    assert movable_with(backup, chosen)
    rpc = _res(RPC, "Microsoft.Compute/restorePointCollections", properties={"source": {"id": VM}})
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-backup"),), resources=(rpc,)), chosen)
    (delete,) = plan.steps
    assert (delete.kind, delete.phase, delete.group) == (StepKind.DELETE_RESTORE_POINTS, "before", "rg-backup")
    assert "(its instant-restore snapshots are lost; the vault's backups stay)" in delete.text
    assert command(delete).posix() == f"az resource delete --ids {RPC}"
    (resume,) = plan.manual
    assert "resume Azure Backup of vm-b from a Recovery Services vault in the target" in resume.reason
    assert f"--vm {TG}/rg-backup-csp/providers/Microsoft.Compute/virtualMachines/vm-b" in resume.command.posix()


def test_a_key_vaults_disks_switch_keys_before_the_vault_moves_and_stay_for_the_engineer_to_switch_back():
    vault = f"{G}/rg-vault/providers/Microsoft.KeyVault/vaults/kv-keys"
    group = GroupAssessment("rg-vault", Verdict.READY_AFTER_FIXES, (vault,), (Finding(
        "KV1", Severity.FIX_FIRST, "m", "r", "s", resource_id=vault, resource_group="rg-vault",
        fix=Fix(action=FixAction.DISABLE_CUSTOMER_MANAGED_KEY, resource_ids=(DISK,),
                command=script("az disk update ..."),
                source="s")),))
    facts = PlanFacts(S, T, (GroupMove("rg-vault", f"{TG}/rg-vault", "westeurope", (vault,)),),
                      resources=(_disk(),), target_resources=(_target_set(),))
    plan = plan_fixes(facts, chosen_fixes([group]))
    (off,) = plan.steps
    assert (off.kind, off.group) == (StepKind.DISK_TO_PLATFORM_KEY, "rg-vault")  # the vault's move waits for it
    (back,) = plan.manual  # the disk stays in the source: its key comes back by hand
    assert back.command.posix() == f"az disk update --ids {DISK} --encryption-type {CMK} --disk-encryption-set {DES}"
    assert "disk data-1 stays where it is, on platform-managed keys" in back.reason


def test_a_disk_an_export_holds_is_left_to_the_engineer_until_the_export_ends():
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-disks"),), resources=(_disk("ActiveSAS"),)),
                      chosen_fixes([_group("rg-disks", FixAction.DISABLE_CUSTOMER_MANAGED_KEY, (DISK,))]))
    (left,) = plan.manual
    assert plan.steps == () and "Disk data-1 is ActiveSAS (an export or upload holds it)" in left.reason
    assert left.command.posix().startswith("az disk update -g rg-disks -n data-1")
