"""Planning the fixes and the follow-through: which groups become movable, what runs in which order, and
what each step says and would run by hand."""

from __future__ import annotations

from migration.fixchoice import chosen_fixes, movable_with, regroup, regroup_destinations
from migration.fixplan import PlanFacts, plan_fixes
from migration.model import (
    Finding,
    Fix,
    FixAction,
    GroupAssessment,
    GroupMove,
    Lock,
    RoleAssignment,
    Severity,
    Verdict,
)
from migration.plansteps import ChosenFix, StepKind

S, T = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
G = f"/subscriptions/{S}/resourceGroups"
LOCK_ID = f"{G}/rg-locked/providers/Microsoft.Authorization/locks/freeze"
APP2 = f"{G}/rg-webapp/providers/Microsoft.Web/sites/app-2"
ST = f"{G}/rg-locked/providers/Microsoft.Storage/storageAccounts/st1"


def _finding(action: FixAction, ids: tuple[str, ...], command: str, group: str) -> Finding:
    return Finding("X1", Severity.FIX_FIRST, "m", "r", "s", resource_group=group,
                   fix=Fix(action=action, resource_ids=ids, command=command, source="s"))


LOCKED = GroupAssessment("rg-locked", Verdict.READY_AFTER_FIXES, (ST,), (
    _finding(FixAction.LIFT_READ_ONLY_LOCK, (LOCK_ID,), "az lock delete ...", "rg-locked"),))
APPNET = GroupAssessment("rg-appnet", Verdict.READY_AFTER_FIXES, (), (
    _finding(FixAction.REMOVE_APP_NETWORKING, ("w",), "az webapp vnet-integration remove ...", "rg-appnet"),))
WEBAPP = GroupAssessment("rg-webapp", Verdict.READY_AFTER_FIXES, (APP2,), (
    _finding(FixAction.MOVE_APP_SERVICE_BACK, (APP2,), f"az resource move --destination-group rg-web --ids {APP2}",
             "rg-webapp"),))


def test_a_group_whose_only_problems_the_bot_fixes_becomes_movable():
    every = chosen_fixes([LOCKED, APPNET])
    assert [c.action for c in every] == ["lift_read_only_lock", "remove_app_networking"]
    assert movable_with(LOCKED, every)
    assert not movable_with(APPNET, every)  # the bot cannot remove VNet integration: it stays on the checklist
    assert not movable_with(LOCKED, chosen_fixes([LOCKED], skip=["lift_read_only_lock"]))  # the engineer said no


def test_resources_moved_back_into_their_group_move_on_from_there():
    chosen = chosen_fixes([WEBAPP])
    assert regroup_destinations(chosen) == ["rg-web"]
    web = GroupMove("rg-web", f"/subscriptions/{T}/resourceGroups/rg-web", "westeurope",
                    (f"{G}/rg-web/providers/Microsoft.Web/serverFarms/plan-1",))
    webapp = GroupMove("rg-webapp", f"/subscriptions/{T}/resourceGroups/rg-webapp", "westeurope", (APP2,))
    plan = plan_fixes(PlanFacts(S, T, (web, webapp)), chosen)
    assert [s.kind for s in plan.steps] == [StepKind.MOVE_APP_BACK]
    assert plan.steps[0].command == f"az resource move --destination-group rg-web --ids {APP2}"
    groups = regroup((web, webapp), plan.steps)
    assert [g.source_group for g in groups] == ["rg-web"]  # rg-webapp is empty now
    assert groups[0].resource_ids[-1] == f"{G}/rg-web/providers/Microsoft.Web/sites/app-2"


def test_a_lock_goes_back_on_the_source_whatever_the_move_did_and_last_on_the_new_scope():
    move = GroupMove("rg-locked", f"/subscriptions/{T}/resourceGroups/rg-locked-csp", "westeurope", (ST,))
    lock = Lock(LOCK_ID, "freeze", "ReadOnly", f"{G}/rg-locked", "Change freeze")
    assignment = RoleAssignment(f"{G}/rg-locked/providers/Microsoft.Authorization/roleAssignments/r1", "r1",
                                f"{G}/rg-locked", f"/subscriptions/{S}/providers/Microsoft.Authorization/"
                                "roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "p1", "User")
    facts = PlanFacts(S, T, (move,), group_tags={"rg-locked": {"env": "prod"}}, locks=(lock,),
                      assignments=(assignment,), plan_id="R1")
    steps = {s.key: s for s in plan_fixes(facts, chosen_fixes([LOCKED])).steps}
    lift = steps[f"lift_lock:{G}/rg-locked/freeze".lower()]
    back = steps[f"restore_lock:{G}/rg-locked/freeze".lower()]
    new = steps[f"restore_lock:/subscriptions/{T}/resourcegroups/rg-locked-csp/freeze".lower()]
    assert (lift.phase, back.phase) == ("before", "after")
    assert back.after == (lift.key,) and back.ended == ("move:rg-locked",)  # back even if the move failed
    assert new.after == ("move:rg-locked",)
    assert set(new.ended) == {f"tag_group:/subscriptions/{T}/resourcegroups/rg-locked-csp".lower(),
                              f"recreate_assignment:/subscriptions/{T}/resourcegroups/rg-locked-csp/r1".lower()}
    assert new.text == "Put ReadOnly lock freeze back on group rg-locked-csp"
    assert new.command == (f"az lock create --name freeze --lock-type ReadOnly --resource /subscriptions/{T}/"
                           'resourceGroups/rg-locked-csp --notes "Change freeze"')
    # Re-created assignments get names of their own, the same on every planning of this request.
    again = {s.key: s for s in plan_fixes(facts, chosen_fixes([LOCKED])).steps}
    key = f"recreate_assignment:/subscriptions/{T}/resourcegroups/rg-locked-csp/r1".lower()
    assert again[key].arg("name") == steps[key].arg("name") != "r1"


def test_every_step_says_what_it_does_and_how_to_do_it_by_hand():
    chosen = [ChosenFix("rg-web", "register_provider", (), f"az provider register --namespace Microsoft.Web "
                        f"--subscription {T}")]
    move = GroupMove("rg-web", f"/subscriptions/{T}/resourceGroups/rg-web", "westeurope", ())
    (step,) = plan_fixes(PlanFacts(S, T, (move,)), chosen).steps
    assert step.text == "Register Microsoft.Web in the target subscription"
    assert step.command == f"az provider register --namespace Microsoft.Web --subscription {T}"
    assert "{" not in step.command and step.source.startswith("https://learn.microsoft.com/")
