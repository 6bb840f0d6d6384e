"""Planning what Azure refuses to move and the bot removes and makes again: a workspace's Automation link,
a SQL IaaS Agent registration, a free managed certificate. Where each comes back (the new ids of what it
points at, moved or not), what waits for what, and what each step says and would run by hand."""

from __future__ import annotations

import json

from migration.fixes.choice import chosen_fixes, movable_with
from migration.fixes.families import command
from migration.fixes.plan import PlanFacts, deleted_before, plan_fixes
from migration.model import Finding, Fix, FixAction, GroupAssessment, GroupMove, Lock, Resource, Severity, Verdict
from migration.model.plan import ChosenFix, StepKind
from tests.support.commands import script

S, T = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
G = f"/subscriptions/{S}/resourceGroups"
OPS_TARGET = f"/subscriptions/{T}/resourceGroups/rg-ops-csp"
SITE_TARGET = f"/subscriptions/{T}/resourceGroups/rg-site-csp"
WS = f"{G}/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-ops"
LINK = f"{WS}/linkedServices/Automation"
AA = f"{G}/rg-ops/providers/Microsoft.Automation/automationAccounts/aa-ops"
AA_ELSEWHERE = f"{G}/rg-shared/providers/Microsoft.Automation/automationAccounts/aa-shared"
VM = f"{G}/rg-ops/providers/Microsoft.Compute/virtualMachines/vm-sql"
REG = f"{G}/rg-ops/providers/Microsoft.SqlVirtualMachine/sqlVirtualMachines/vm-sql"
PLAN = f"{G}/rg-site/providers/Microsoft.Web/serverfarms/plan-site"
SITE = f"{G}/rg-site/providers/Microsoft.Web/sites/app-site"
CERT = f"{G}/rg-site/providers/Microsoft.Web/certificates/www-cert"
HOST = "www.fabrikam.example"
THUMB = "AB" * 20


def _res(rid: str, type_: str, **properties: object) -> Resource:
    parts = rid.strip("/").split("/")
    return Resource(rid, parts[-1], type_, "westeurope", parts[1], parts[3], properties=dict(properties))


RESOURCES = (
    _res(WS, "Microsoft.OperationalInsights/workspaces"), _res(AA, "Microsoft.Automation/automationAccounts"),
    _res(VM, "Microsoft.Compute/virtualMachines"),
    _res(REG, "Microsoft.SqlVirtualMachine/sqlVirtualMachines", virtualMachineResourceId=VM,
         sqlServerLicenseType="AHUB", sqlManagement="Full", sqlImageSku="Enterprise", provisioningState="Succeeded"),
    _res(PLAN, "Microsoft.Web/serverfarms"),
    _res(SITE, "Microsoft.Web/sites", serverFarmId=PLAN,
         hostNameSslStates=[{"name": HOST, "sslState": "SniEnabled", "thumbprint": THUMB}]),
    _res(CERT, "Microsoft.Web/certificates", canonicalName=HOST, thumbprint=THUMB, serverFarmId=PLAN),
)
OPS = GroupMove("rg-ops", OPS_TARGET, "westeurope", (WS, AA, VM))  # the registration left with its deletion
SITE_GROUP = GroupMove("rg-site", SITE_TARGET, "westeurope", (PLAN, SITE))


def _facts(*, automation: str = AA, locks: tuple[Lock, ...] = ()) -> PlanFacts:
    link = _res(LINK, "Microsoft.OperationalInsights/workspaces/linkedServices", resourceId=automation)
    return PlanFacts(S, T, (OPS, SITE_GROUP), resources=RESOURCES, linked_services=(link,), locks=locks)


FIXES = [ChosenFix("rg-ops", "unlink_automation_workspace", (WS, LINK), script("az monitor ...")),
         ChosenFix("rg-ops", "delete_sql_iaas_registration", (REG,), script("az sql vm delete ...")),
         ChosenFix("rg-site", "recreate_managed_certificate", (CERT,), script("az webapp config ssl delete ..."))]


def _by_kind(facts: PlanFacts, fixes=FIXES):
    plan = plan_fixes(facts, fixes)
    out = {}
    for s in plan.steps:
        out.setdefault(s.kind, []).append(s)
    return plan, out


def test_a_group_whose_only_problems_are_these_three_becomes_movable():
    findings = tuple(Finding("X", Severity.FIX_FIRST, "m", "r", "s", resource_group="rg-ops",
                             fix=Fix(action=a, resource_ids=ids, command=script("c"), source="s"))
                     for a, ids in ((FixAction.UNLINK_AUTOMATION_WORKSPACE, (WS, LINK)),
                                    (FixAction.DELETE_SQL_IAAS_REGISTRATION, (REG,)),
                                    (FixAction.RECREATE_MANAGED_CERTIFICATE, (CERT,))))
    group = GroupAssessment("rg-ops", Verdict.READY_AFTER_FIXES, (WS, REG, CERT), findings)
    assert movable_with(group, chosen_fixes([group]))
    assert not movable_with(group, chosen_fixes([group], skip=["recreate_managed_certificate"]))


def test_the_link_is_removed_before_and_made_again_on_the_moved_workspace_for_the_moved_account():
    plan, steps = _by_kind(_facts())
    (unlink,), (relink,) = steps[StepKind.UNLINK_WORKSPACE], steps[StepKind.RELINK_WORKSPACE]
    assert (unlink.phase, unlink.group, unlink.arg("link")) == ("before", "rg-ops", LINK)
    assert relink.arg("link") == f"{OPS_TARGET}/providers/Microsoft.OperationalInsights/workspaces/log-ops/" \
                                 "linkedServices/Automation"
    assert relink.arg("automation") == f"{OPS_TARGET}/providers/Microsoft.Automation/automationAccounts/aa-ops"
    # After the removal, and once the move ended: where the workspace is then (moved, or not).
    assert (relink.after, relink.ended) == ((unlink.key,), ("move:rg-ops",))
    assert (relink.arg("link_source"), relink.arg("automation_source")) == (LINK, AA)
    assert unlink.text == "Unlink Automation account aa-ops from workspace log-ops"
    assert command(unlink).posix() == (f"az monitor log-analytics workspace linked-service delete --subscription {S} "
                                      f"-g rg-ops "
                              "--workspace-name log-ops -n Automation --yes")
    assert command(relink).posix() == (f"az monitor log-analytics workspace linked-service create --subscription {T} "
                              f"-g rg-ops-csp --workspace-name log-ops -n Automation --resource-id "
                              f"{relink.arg('automation')}")
    assert "Update Management" in unlink.warning and relink.warning == ""
    assert not plan.manual


def test_an_account_that_stays_is_linked_again_where_it_is():
    _, steps = _by_kind(_facts(automation=AA_ELSEWHERE))
    (relink,) = steps[StepKind.RELINK_WORKSPACE]
    assert relink.arg("automation") == AA_ELSEWHERE
    assert relink.ended == ("move:rg-ops",)  # waits for no other move


def test_the_registration_is_recorded_deleted_and_registered_again_with_the_moved_machine():
    _, steps = _by_kind(_facts())
    (delete,), (register,) = steps[StepKind.DELETE_SQL_REGISTRATION], steps[StepKind.REGISTER_SQL_VM]
    new_vm = f"{OPS_TARGET}/providers/Microsoft.Compute/virtualMachines/vm-sql"
    assert register.arg("registration") == f"{OPS_TARGET}/providers/Microsoft.SqlVirtualMachine/" \
                                           "sqlVirtualMachines/vm-sql"
    assert json.loads(register.arg("properties")) == {"virtualMachineResourceId": new_vm, "sqlServerLicenseType":
                                                      "AHUB", "sqlManagement": "Full", "sqlImageSku": "Enterprise"}
    assert (register.after, register.ended) == ((delete.key,), ("move:rg-ops",))
    assert (register.arg("vm_source"), register.arg("registration_source")) == (VM, REG)
    assert delete.text == "Delete the SQL IaaS Agent registration of virtual machine vm-sql (AHUB license, Full " \
                          "management)"
    assert command(register).posix() == (f"az sql vm create --subscription {T} -g rg-ops-csp -n vm-sql -l westeurope "
                                "--license-type AHUB --sql-mgmt-type Full --image-sku Enterprise")
    assert "SQL Server itself keeps running" in delete.warning


def test_the_certificate_is_unbound_deleted_and_issued_again_for_the_moved_plan_and_bound_again():
    plan, steps = _by_kind(_facts())
    (delete,), (recreate,) = steps[StepKind.DELETE_MANAGED_CERTIFICATE], steps[StepKind.RECREATE_MANAGED_CERTIFICATE]
    assert delete.arg("bindings") == f"{SITE}|{HOST}|SniEnabled"
    assert recreate.arg("certificate") == f"{SITE_TARGET}/providers/Microsoft.Web/certificates/www-cert"
    assert recreate.arg("plan") == f"{SITE_TARGET}/providers/Microsoft.Web/serverfarms/plan-site"
    assert recreate.arg("bindings") == f"{SITE_TARGET}/providers/Microsoft.Web/sites/app-site|{HOST}|SniEnabled"
    assert (recreate.after, recreate.ended) == ((delete.key,), ("move:rg-site",))
    assert (recreate.arg("plan_source"), recreate.arg("bindings_source")) == (PLAN, f"{SITE}|{HOST}|SniEnabled")
    assert delete.warning == (f"Deleting the managed certificate for {HOST} breaks HTTPS on {HOST} until the "
                              "certificate is issued again and bound after the move.")
    assert recreate.text == f"Issue a free managed certificate for {HOST} again and bind it to app-site"
    assert command(delete).posix().startswith(
        f"az webapp config ssl unbind --certificate-thumbprint {THUMB} --ids {SITE} && ")
    assert command(recreate).posix().startswith(
        f"az webapp config ssl create --subscription {T} -g rg-site-csp -n app-site "
                                       f"--hostname {HOST} && az webapp config ssl bind")
    # What is deleted before the moves leaves the moves' requests.
    assert deleted_before(plan.steps) == {CERT.lower(), REG.lower()}


def test_a_lock_goes_back_on_the_new_group_only_after_what_is_made_again_there():
    lock = Lock(f"{G}/rg-ops/providers/Microsoft.Authorization/locks/freeze", "freeze", "ReadOnly", f"{G}/rg-ops")
    fixes = [*FIXES, ChosenFix("rg-ops", "lift_read_only_lock", (lock.id,), script("az lock delete ..."))]
    _, steps = _by_kind(_facts(locks=(lock,)), fixes)
    made_again = {steps[StepKind.RELINK_WORKSPACE][0].key, steps[StepKind.REGISTER_SQL_VM][0].key}
    new_lock = next(s for s in steps[StepKind.RESTORE_LOCK] if s.arg("scope") == OPS_TARGET)
    assert made_again <= set(new_lock.ended)
    # On the source too: when the move does not happen, they are made again there, under that lock.
    old_lock = next(s for s in steps[StepKind.RESTORE_LOCK] if s.arg("scope") == f"{G}/rg-ops")
    assert made_again <= set(old_lock.ended)
    lift = steps[StepKind.LIFT_LOCK][0].key
    assert lift in steps[StepKind.UNLINK_WORKSPACE][0].after  # a ReadOnly lock would refuse the deletion


def test_what_was_not_read_at_plan_time_stays_with_the_engineer():
    facts = PlanFacts(S, T, (OPS,), resources=())
    plan = plan_fixes(facts, FIXES[:2])
    assert plan.steps == () and [f.action for f in plan.manual] == ["unlink_automation_workspace",
                                                                    "delete_sql_iaas_registration"]


def test_a_delete_protection_lock_is_lifted_around_the_deletion_and_one_on_the_certificate_follows_it():
    sub_lock = Lock(f"/subscriptions/{S}/providers/Microsoft.Authorization/locks/keep", "keep", "CanNotDelete",
                    f"/subscriptions/{S}", "Delete protection")
    cert_lock = Lock(f"{CERT}/providers/Microsoft.Authorization/locks/keep-cert", "keep-cert", "CanNotDelete", CERT)
    _, steps = _by_kind(_facts(locks=(sub_lock, cert_lock)))
    deletions = {s.key for k in (StepKind.UNLINK_WORKSPACE, StepKind.DELETE_SQL_REGISTRATION,
                                 StepKind.DELETE_MANAGED_CERTIFICATE) for s in steps[k]}
    lifts = {s.arg("name"): s for s in steps[StepKind.LIFT_LOCK]}
    backs = {s.arg("name"): s for s in steps[StepKind.RESTORE_LOCK]}
    assert all(lifts["keep"].key in s.after for k in (StepKind.UNLINK_WORKSPACE, StepKind.DELETE_SQL_REGISTRATION,
                                                      StepKind.DELETE_MANAGED_CERTIFICATE) for s in steps[k])
    # Back on the subscription as soon as every deletion under it ended (not after the moves).
    assert backs["keep"].arg("scope") == f"/subscriptions/{S}" and set(backs["keep"].ended) == deletions
    assert not any(a.startswith("move:") for a in (*backs["keep"].after, *backs["keep"].ended))
    # The certificate's own lock goes on the certificate issued again.
    (recreate,) = steps[StepKind.RECREATE_MANAGED_CERTIFICATE]
    assert backs["keep-cert"].arg("scope") == recreate.arg("certificate")
    assert backs["keep-cert"].after == (lifts["keep-cert"].key, recreate.key)
    assert backs["keep-cert"].text == "Put CanNotDelete lock keep-cert back on www-cert in the CSP subscription"
