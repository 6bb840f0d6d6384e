"""Planning the three fixes Azure's refusals call for together (a workspace's Automation link, a SQL IaaS Agent
registration, a free managed certificate) and the locks around them; each family on its own is in
tests/migration/fixes/families/."""

from __future__ import annotations

from migration.fixes.choice import chosen_fixes, movable_with
from migration.fixes.plan import PlanFacts, plan_fixes
from migration.model import Finding, Fix, FixAction, GroupAssessment, Lock, Severity, Verdict
from migration.model.plan import ChosenFix, StepKind
from tests.support.commands import script
from tests.support.service_fixes import CERT, FIXES, LINK, OPS, OPS_TARGET, REG, WS, G, S, T, by_kind, facts


def test_a_group_whose_only_problems_are_these_three_becomes_movable():
    findings = tuple(Finding("X", Severity.FIX_FIRST, "m", "r", "s", resource_group="rg-ops",
                             fix=Fix(action=a, resource_ids=ids, command=script("c"), source="s"))
                     for a, ids in ((FixAction.UNLINK_AUTOMATION_WORKSPACE, (WS, LINK)),
                                    (FixAction.DELETE_SQL_IAAS_REGISTRATION, (REG,)),
                                    (FixAction.RECREATE_MANAGED_CERTIFICATE, (CERT,))))
    group = GroupAssessment("rg-ops", Verdict.READY_AFTER_FIXES, (WS, REG, CERT), findings)
    assert movable_with(group, chosen_fixes([group]))
    assert not movable_with(group, chosen_fixes([group], skip=["recreate_managed_certificate"]))


def test_a_lock_goes_back_on_the_new_group_only_after_what_is_made_again_there():
    lock = Lock(f"{G}/rg-ops/providers/Microsoft.Authorization/locks/freeze", "freeze", "ReadOnly", f"{G}/rg-ops")
    fixes = [*FIXES, ChosenFix("rg-ops", "lift_read_only_lock", (lock.id,), script("az lock delete ..."))]
    _, steps = by_kind(facts(locks=(lock,)), fixes)
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
    _, steps = by_kind(facts(locks=(sub_lock, cert_lock)))
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
