"""Planning the fixes and the follow-through: which groups become movable, what runs in which order, and
what each step says and would run by hand."""

from __future__ import annotations

from migration.fixes.choice import chosen_fixes, movable_with, regroup, regroup_destinations
from migration.fixes.families import command
from migration.fixes.plan import PlanFacts, plan_fixes
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
from migration.model.plan import ChosenFix, StepKind
from tests.support.commands import script

S, T = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
G = f"/subscriptions/{S}/resourceGroups"
LOCK_ID = f"{G}/rg-locked/providers/Microsoft.Authorization/locks/freeze"
APP2 = f"{G}/rg-webapp/providers/Microsoft.Web/sites/app-2"
ST = f"{G}/rg-locked/providers/Microsoft.Storage/storageAccounts/st1"


def _finding(action: FixAction, ids: tuple[str, ...], command: str, group: str) -> Finding:
    return Finding("X1", Severity.FIX_FIRST, "m", "r", "s", resource_group=group,
                   fix=Fix(action=action, resource_ids=ids, command=script(command), source="s"))


LOCKED = GroupAssessment("rg-locked", Verdict.READY_AFTER_FIXES, (ST,), (
    _finding(FixAction.LIFT_READ_ONLY_LOCK, (LOCK_ID,), "az lock delete ...", "rg-locked"),))
ENCRYPTED = GroupAssessment("rg-ade", Verdict.READY_AFTER_FIXES, (), (
    _finding(FixAction.DISABLE_DISK_ENCRYPTION, ("vm",), "az vm encryption disable ...", "rg-ade"),))
WEBAPP = GroupAssessment("rg-webapp", Verdict.READY_AFTER_FIXES, (APP2,), (
    _finding(FixAction.MOVE_APP_SERVICE_BACK, (APP2,), f"az resource move --destination-group rg-web --ids {APP2}",
             "rg-webapp"),))


def test_a_group_whose_only_problems_the_bot_fixes_becomes_movable():
    every = chosen_fixes([LOCKED, ENCRYPTED])
    assert [c.action for c in every] == ["lift_read_only_lock", "disable_disk_encryption"]
    assert movable_with(LOCKED, every)
    assert not movable_with(ENCRYPTED, every)  # Azure Disk Encryption stays with the engineer (the checklist)
    assert not movable_with(LOCKED, chosen_fixes([LOCKED], skip=["lift_read_only_lock"]))  # the engineer said no


def test_resources_moved_back_into_their_group_move_on_from_there():
    chosen = chosen_fixes([WEBAPP])
    assert regroup_destinations(chosen) == ["rg-web"]
    web = GroupMove("rg-web", f"/subscriptions/{T}/resourceGroups/rg-web", "westeurope",
                    (f"{G}/rg-web/providers/Microsoft.Web/serverFarms/plan-1",))
    webapp = GroupMove("rg-webapp", f"/subscriptions/{T}/resourceGroups/rg-webapp", "westeurope", (APP2,))
    plan = plan_fixes(PlanFacts(S, T, (web, webapp)), chosen)
    assert [s.kind for s in plan.steps] == [StepKind.MOVE_APP_BACK]
    assert command(plan.steps[0]).posix() == f"az resource move --destination-group rg-web --ids {APP2}"
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
    assert new.text == "Put ReadOnly lock freeze back on group rg-locked-csp in the CSP subscription"
    assert back.text == "Put ReadOnly lock freeze back on group rg-locked in the source subscription"
    assert command(new).posix() == (f"az lock create --name freeze --lock-type ReadOnly --resource /subscriptions/{T}/"
                                     "resourceGroups/rg-locked-csp --notes 'Change freeze'")
    # Re-created assignments get names of their own, the same on every planning of this request.
    again = {s.key: s for s in plan_fixes(facts, chosen_fixes([LOCKED])).steps}
    key = f"recreate_assignment:/subscriptions/{T}/resourcegroups/rg-locked-csp/r1".lower()
    assert again[key].arg("name") == steps[key].arg("name") != "r1"


def test_every_step_says_what_it_does_and_how_to_do_it_by_hand():
    chosen = [ChosenFix("rg-web", "register_provider", (), script(f"az provider register --namespace Microsoft.Web "
                        f"--subscription {T}"))]
    move = GroupMove("rg-web", f"/subscriptions/{T}/resourceGroups/rg-web", "westeurope", ())
    (step,) = plan_fixes(PlanFacts(S, T, (move,)), chosen).steps
    assert step.text == "Register Microsoft.Web in the target subscription"
    assert command(step).posix() == f"az provider register --namespace Microsoft.Web --subscription {T}"
    assert "{" not in command(step).posix() and step.source.startswith("https://learn.microsoft.com/")


# ---------------------------------------------------------------- assignments on resources a fix moves first

PLAN1 = f"{G}/rg-web/providers/Microsoft.Web/serverFarms/plan-1"
WEB_T = f"/subscriptions/{T}/resourceGroups/rg-web-csp"
CUSTOM = "f00dcafe-0000-4000-8000-00000000c0de"


def _assignment(name: str, scope: str, role: str = "acdd72a7-3385-48ef-bd42-f606fba81ae7",
                principal: str = "p1") -> RoleAssignment:
    return RoleAssignment(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", name, scope,
                          f"/subscriptions/{S}/providers/Microsoft.Authorization/roleDefinitions/{role}", principal,
                          "User", None, f"{name} description")


def _planned(facts: PlanFacts, chosen: list[ChosenFix]) -> list:
    """As `fixsteps.plan_with_fixes` plans: once, regroup, then again for the groups as they will stand."""
    from dataclasses import replace

    moved = regroup(facts.groups, plan_fixes(facts, chosen).steps)
    return list(plan_fixes(replace(facts, groups=moved), chosen).steps)


def test_assignments_on_a_web_app_moved_back_follow_it_to_the_target_and_inherited_ones_stay_on_groups():
    from migration.model import RoleDefinition

    web = GroupMove("rg-web", WEB_T, "westeurope", (PLAN1,))
    webapp = GroupMove("rg-webapp", f"/subscriptions/{T}/resourceGroups/rg-webapp-csp", "westeurope", (APP2,))
    assignments = (
        _assignment("on-app", APP2),  # directly on the web app: Azure drops it when the app moves back
        _assignment("on-slot", f"{APP2}/slots/staging"),  # below it: dropped too
        _assignment("custom-on-app", APP2, role=CUSTOM, principal="p2"),  # a role the target cannot use yet
        _assignment("on-plan", PLAN1),
        _assignment("on-web", f"{G}/rg-web"),  # the destination group's: the app inherits it, not copied onto it
        _assignment("on-webapp", f"{G}/rg-webapp"),  # the old group's: it stays there (that group no longer moves)
        _assignment("on-sub", f"/subscriptions/{S}"),
    )
    definitions = {CUSTOM: RoleDefinition(f"/subscriptions/{S}/providers/Microsoft.Authorization/roleDefinitions/"
                                          f"{CUSTOM}", "App Operator", True, (f"/subscriptions/{S}",))}
    facts = PlanFacts(S, T, (web, webapp), assignments=assignments, definitions=definitions, plan_id="R2")
    steps = _planned(facts, chosen_fixes([WEBAPP]))
    back = next(s for s in steps if s.kind is StepKind.MOVE_APP_BACK)
    recreated = {s.key.rsplit("/", 1)[-1]: s
                 for s in steps if s.kind is StepKind.RECREATE_ASSIGNMENT}
    assert set(recreated) == {"on-app", "on-slot", "custom-on-app", "on-plan", "on-web", "on-sub"}
    # The source subscription's own goes to the target subscription, once every move succeeded.
    assert (recreated["on-sub"].arg("scope"), set(recreated["on-sub"].after)) == (
        f"/subscriptions/{T}", {"move:rg-web"})  # rg-webapp, emptied by the fix, moves no more
    app_in_target = f"{WEB_T}/providers/Microsoft.Web/sites/app-2"
    # old group -> the plan's group in the source -> that group's target group in the CSP subscription
    assert recreated["on-app"].arg("scope") == app_in_target
    assert recreated["on-slot"].arg("scope") == f"{app_in_target}/slots/staging"
    assert recreated["on-plan"].arg("scope") == f"{WEB_T}/providers/Microsoft.Web/serverFarms/plan-1"
    assert recreated["on-web"].arg("scope") == WEB_T
    for name in ("on-app", "on-slot", "custom-on-app"):
        step = recreated[name]
        assert step.arg("source_scope").startswith(APP2) and step.group == "rg-web"
        assert back.key in step.after and "move:rg-web" in step.after
        assert step.arg("principal") in {"p1", "p2"} and step.arg("description") == f"{name} description"
        assert f"--scope {step.arg('scope')}" in command(step).posix()
    widen = next(s for s in steps if s.kind is StepKind.ADD_ASSIGNABLE_SCOPE)
    assert widen.arg("scope") == f"/subscriptions/{T}" and widen.key in recreated["custom-on-app"].after
    # Exactly one step per assignment: nothing inherited is duplicated onto the web app.
    assert [s.arg("scope") for s in steps if s.kind is StepKind.RECREATE_ASSIGNMENT].count(app_in_target) == 2


def test_an_assignment_on_a_resource_moved_into_a_group_that_stays_is_recreated_there():
    # Only rg-webapp is in the request and its app goes back to rg-web, which does not move on.
    webapp = GroupMove("rg-webapp", f"/subscriptions/{T}/resourceGroups/rg-webapp-csp", "westeurope", (APP2,))
    facts = PlanFacts(S, T, (webapp,), assignments=(_assignment("on-app", APP2),), plan_id="R3")
    steps = _planned(facts, chosen_fixes([WEBAPP]))
    [step] = [s for s in steps if s.kind is StepKind.RECREATE_ASSIGNMENT]
    back = next(s for s in steps if s.kind is StepKind.MOVE_APP_BACK)
    assert step.arg("scope") == f"{G}/rg-web/providers/Microsoft.Web/sites/app-2"
    assert step.after == (back.key,)


def test_every_write_in_a_read_only_group_waits_for_its_lock_and_the_lock_goes_back_after_them():
    """Azure refuses writes and actions under a ReadOnly lock: stopping a job, taking a NIC's public IP off and
    removing a peering in rg-locked all wait for its lift. The lock goes back on the source once the job was
    started again (there, should the move fail), and on the target group once the job, IP and peering are back."""
    from migration.model import Resource

    rg = f"{G}/rg-locked/providers"
    job, nic, ip, vnet = (f"{rg}/Microsoft.StreamAnalytics/streamingjobs/asa-1",
                          f"{rg}/Microsoft.Network/networkInterfaces/nic-1",
                          f"{rg}/Microsoft.Network/publicIPAddresses/pip-1",
                          f"{rg}/Microsoft.Network/virtualNetworks/vnet-1")
    hub = f"{G}/rg-hub/providers/Microsoft.Network/virtualNetworks/hub"

    def res(rid: str, type_: str, properties: dict) -> Resource:
        return Resource(rid, rid.rsplit("/", 1)[-1], type_, "westeurope", S, "rg-locked", properties=properties)

    resources = (
        res(job, "Microsoft.StreamAnalytics/streamingjobs", {"jobState": "Running"}),
        res(nic, "Microsoft.Network/networkInterfaces", {"ipConfigurations": [
            {"name": "ipconfig1", "properties": {"publicIPAddress": {"id": ip}}}]}),
        res(vnet, "Microsoft.Network/virtualNetworks", {"virtualNetworkPeerings": [
            {"name": "to-hub", "properties": {"remoteVirtualNetwork": {"id": hub}}}]}),
    )
    move = GroupMove("rg-locked", f"/subscriptions/{T}/resourceGroups/rg-locked", "westeurope", (job, nic, ip, vnet))
    lock = Lock(LOCK_ID, "freeze", "ReadOnly", f"{G}/rg-locked")
    chosen = [ChosenFix("rg-locked", "lift_read_only_lock", (LOCK_ID,), script("az lock delete ...")),
              ChosenFix("rg-locked", "stop_job", (job,), script("az stream-analytics job stop ...")),
              ChosenFix("rg-locked", "disassociate_public_ip", (nic,), script("az network nic ip-config update ...")),
              ChosenFix("rg-locked", "disable_peering", (vnet,), script("az network vnet peering delete ..."))]
    steps = {s.kind: s for s in plan_fixes(PlanFacts(S, T, (move,), resources=resources, locks=(lock,)),
                                           chosen).steps if s.phase == "before"}
    lift = steps.pop(StepKind.LIFT_LOCK).key
    assert set(steps) == {StepKind.STOP_JOB, StepKind.DISASSOCIATE_IP, StepKind.DELETE_PEERING}
    assert all(lift in s.after for s in steps.values()), {k: s.after for k, s in steps.items()}

    after = plan_fixes(PlanFacts(S, T, (move,), resources=resources, locks=(lock,)), chosen).steps
    back = {s.arg("scope"): s for s in after if s.kind is StepKind.RESTORE_LOCK}
    on_source = {s.kind for s in after if s.key in back[f"{G}/rg-locked"].ended}
    assert StepKind.START_JOB in on_source, on_source
    on_target = {s.kind for s in after if s.key in back[move.target_group_id].ended}
    assert {StepKind.START_JOB, StepKind.REASSOCIATE_IP, StepKind.RECREATE_PEERING} <= on_target, on_target
