"""The move report, built from what the store recorded: every step's outcome and why, the step a skipped
one waited for, what did not move and the command to move it, each role assignment re-created or not and
why; and the files (CSV, JSON, Markdown) hold all of it, however big the plan."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

from migration.fixes.families import command
from migration.model import ArmErrorDetail, Decision, GroupMove, GroupState, MoveRequest, Person, RequestState
from migration.model.plan import ChosenFix, PlanStep, StepKind
from migration.model.records import BatchRecord, BatchStatus, ChecklistEntry, StepRecord, StepStatus, StoredRequest
from migration.reports.move import MOVE_KIND, Outcome, build
from migration.reports.move_export import CSV_COLUMNS, to_csv, to_json, to_markdown
from tests.support.commands import script

AT = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
SRC, DST = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
ENGINEER = Person("00000000-0000-0000-0000-00000000a001", "Alex Wilber")
DELETED = "b0b00000-0000-4000-8000-000000000b0b"


def _group(name: str, count: int = 2, **kw: object) -> GroupMove:
    ids = tuple(f"/subscriptions/{SRC}/resourceGroups/{name}/providers/Microsoft.Storage/storageAccounts/st{name}{i}"
                for i in range(count))
    return GroupMove(name, f"/subscriptions/{DST}/resourceGroups/{name}", "westeurope", ids, **kw)  # type: ignore[arg-type]


def _lock(kind: StepKind, group: str, **kw: object) -> PlanStep:
    scope = f"/subscriptions/{SRC}/resourceGroups/{group}"
    return PlanStep(f"{kind.value}:{scope}/freeze".lower(), kind, group,
                    (("scope", scope), ("name", "freeze"), ("level", "ReadOnly"), ("notes", "Q3 freeze"),
                     ("scope_name", f"group {group}")), **kw)  # type: ignore[arg-type]


def _assignment(group: str, principal: str, **kw: object) -> PlanStep:
    scope = f"/subscriptions/{DST}/resourceGroups/{group}"
    return PlanStep(f"recreate_assignment:{scope}/{principal}".lower(), StepKind.RECREATE_ASSIGNMENT, group,
                    (("scope", scope), ("name", "0000"), ("role", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
                     ("role_name", "Reader"), ("principal", principal), ("principal_type", "User"),
                     ("source_scope", f"/subscriptions/{SRC}/resourceGroups/{group}"),
                     ("scope_name", f"group {group}")),
                    **kw)  # type: ignore[arg-type]


def _stored(groups: tuple[GroupMove, ...], steps: tuple[PlanStep, ...], records: tuple[StepRecord, ...], *,
            state: RequestState = RequestState.PARTIALLY_SUCCEEDED, **kw: object) -> StoredRequest:
    request = MoveRequest("MR-AB12CD", "11111111-1111-4111-8111-111111111111", SRC, DST, ENGINEER, AT, state, groups,
                          (Decision("requested", ENGINEER, AT, "72f988bf-86f1-41af-91ab-2d7cd011db47"),),
                          "Contoso PAYG", "Contoso CSP")
    return StoredRequest(request, "", fix_steps=steps, step_records=records, finished_at=AT, **kw)  # type: ignore[arg-type]


def _scenario() -> StoredRequest:
    """rg-a moved with its lock lifted and put back and one assignment re-created; rg-b's lock could not be
    lifted, so its move and everything after it waited; a deleted principal's assignment on rg-a failed."""
    lift_a, lift_b = _lock(StepKind.LIFT_LOCK, "rg-a"), _lock(StepKind.LIFT_LOCK, "rg-b")
    restore_a = _lock(StepKind.RESTORE_LOCK, "rg-a", after=("move:rg-a",))
    restore_b = _lock(StepKind.RESTORE_LOCK, "rg-b", ended=("move:rg-b",))
    ok = _assignment("rg-a", "a11ce000-0000-4000-8000-00000000a11c", after=("move:rg-a",))
    gone = _assignment("rg-a", DELETED, after=("move:rg-a",))
    waiting = _assignment("rg-b", "a11ce000-0000-4000-8000-00000000a11c", after=("move:rg-b", lift_b.key))
    denied = ArmErrorDetail("AuthorizationFailed", "The client may not perform Microsoft.Authorization/locks/delete.")
    records = (
        StepRecord(lift_a.key, StepStatus.SUCCEEDED), StepRecord(lift_b.key, StepStatus.FAILED, denied),
        StepRecord(restore_a.key, StepStatus.SUCCEEDED), StepRecord(restore_b.key, StepStatus.SUCCEEDED),
        StepRecord(ok.key, StepStatus.SUCCEEDED),
        StepRecord(gone.key, StepStatus.FAILED, ArmErrorDetail("PrincipalNotFound", f"Principal {DELETED} gone.")),
        StepRecord(waiting.key, StepStatus.SKIPPED, ArmErrorDetail("DependencyFailed", "Not done: it waits...")),
    )
    groups = (replace(_group("rg-a"), state=GroupState.SUCCEEDED, moved_count=2),
              replace(_group("rg-b", 3), state=GroupState.SKIPPED,
                      error=ArmErrorDetail("DependencyFailed", "Not moved: the step before it did not succeed.")))
    return _stored(groups, (lift_a, lift_b, restore_a, restore_b, ok, gone, waiting), records,
                   checklist=(ChecklistEntry("Put the locks back", "ReadOnly locks go back.", done=False),),
                   manual_fixes=(ChosenFix("rg-logs", "unlink_automation_workspace", ("w",),
                                           script("az monitor log-analytics workspace linked-service delete "
                                                  "-n Automation")),),
                   leftovers=tuple(_group("rg-b", 3).resource_ids))


def test_every_step_has_its_outcome_in_the_plans_order_with_the_moves_between():
    report = build(_scenario(), now=AT)
    assert [(s.phase, s.kind, s.outcome) for s in report.steps] == [
        ("before", "lift_lock", Outcome.DONE), ("before", "lift_lock", Outcome.FAILED),
        ("moves", MOVE_KIND, Outcome.DONE), ("moves", MOVE_KIND, Outcome.SKIPPED),
        ("after", "restore_lock", Outcome.DONE), ("after", "restore_lock", Outcome.DONE),
        ("after", "recreate_assignment", Outcome.DONE), ("after", "recreate_assignment", Outcome.FAILED),
        ("after", "recreate_assignment", Outcome.SKIPPED)]
    assert report.counts() == {Outcome.FAILED: 2, Outcome.SKIPPED: 2, Outcome.DONE: 5}


def test_what_is_not_done_has_azures_error_or_the_step_it_waited_for_and_its_command():
    report = build(_scenario(), now=AT)
    failed_lock = report.steps[1]
    assert failed_lock.error is not None and failed_lock.error.code == "AuthorizationFailed"
    assert failed_lock.command.posix() == f"az lock delete --ids /subscriptions/{SRC}/resourceGroups/rg-b/providers/" \
                                  "Microsoft.Authorization/locks/freeze"
    assert report.steps[3].waits_for == ("Lift ReadOnly lock freeze on group rg-b",), "the group's move waited too"
    waiting = report.steps[-1]
    assert waiting.waits_for == ("the move of group rg-b", "Lift ReadOnly lock freeze on group rg-b")
    assert waiting.command.posix().startswith("az role assignment create --assignee-object-id a11ce000")
    assert all(not s.command and s.error is None for s in report.steps if s.done), "nothing to do for what is done"
    # The engineer's list: failures first, the group that did not move before the steps, then what waited.
    assert [(s.outcome, s.kind) for s in report.undone()] == [
        (Outcome.FAILED, "lift_lock"), (Outcome.FAILED, "recreate_assignment"), (Outcome.SKIPPED, MOVE_KIND),
        (Outcome.SKIPPED, "recreate_assignment")]


def test_a_group_that_did_not_move_gets_the_command_for_what_is_still_in_the_source():
    stored = _scenario()
    rg_c = replace(_group("rg-c", 4), state=GroupState.FAILED, moved_count=2,
                   error=ArmErrorDetail("ResourceMoveFailed", "The provider failed."))
    batches = (BatchRecord("rg-c", 0, rg_c.resource_ids[:2], BatchStatus.SUCCEEDED, moved=2),
               BatchRecord("rg-c", 1, rg_c.resource_ids[2:], BatchStatus.FAILED))
    stored = replace(stored, request=replace(stored.request, groups=(*stored.request.groups, rg_c)), batches=batches,
                     leftovers=(*stored.leftovers, rg_c.resource_ids[3]))
    report = build(stored, now=AT)
    by_name = {g.name: g for g in report.groups}
    assert by_name["rg-a"].command.posix() == ""
    assert by_name["rg-b"].command.posix() == (
        f"az resource move --destination-group rg-b --destination-subscription-id "
                                       f"{DST} --ids " + " ".join(_group("rg-b", 3).resource_ids))
    # Azure moved rg-c's first batch and, of the failed one, all but the last resource.
    assert by_name["rg-c"].command.posix().endswith(f"--ids {rg_c.resource_ids[3]}")
    assert by_name["rg-c"].error is not None and by_name["rg-c"].error.code == "ResourceMoveFailed"
    assert by_name["rg-c"].fix.startswith("Request the move again later"), "explained, with what to do"


def test_each_role_assignment_says_whether_it_was_recreated_and_why_not():
    report = build(_scenario(), now=AT)
    ok, gone, waiting = report.assignments
    assert ok.recreated and ok.why == "" and ok.command.posix() == ""
    assert not gone.recreated and "no longer exists" in gone.why and "PrincipalNotFound" in gone.why
    assert gone.command.posix().startswith(f"az role assignment create --assignee-object-id {DELETED}")
    assert not waiting.recreated and waiting.why.startswith("Not attempted: it waits for the move of group rg-b")


def test_a_request_that_never_ran_reports_every_step_as_not_started():
    stored = _scenario()
    groups = tuple(replace(g, state=GroupState.SKIPPED) for g in stored.request.groups)  # what a rejection does
    stored = replace(stored, request=replace(stored.request, state=RequestState.REJECTED, groups=groups),
                     step_records=())
    report = build(stored, now=AT)
    assert {s.outcome for s in report.steps} == {Outcome.NOT_STARTED}


def _big(groups: int = 100) -> StoredRequest:
    """300 fix steps and 100 moves: a lock lifted and put back and a role assignment per group; every
    seventh group's lock could not be lifted, so its move and its follow-through waited."""
    steps, records, moves = [], [], []
    for i in range(groups):
        name = f"rg-{i:03d}"
        lift = _lock(StepKind.LIFT_LOCK, name)
        restore = _lock(StepKind.RESTORE_LOCK, name, ended=(f"move:{name}",))
        assign = _assignment(name, f"a11ce000-0000-4000-8000-{i:012d}", after=(f"move:{name}",))
        steps += [lift, restore, assign]
        blocked = i % 7 == 0
        records += [StepRecord(lift.key, StepStatus.FAILED if blocked else StepStatus.SUCCEEDED,
                               ArmErrorDetail("ScopeLocked", "Locked.") if blocked else None),
                    StepRecord(restore.key, StepStatus.SUCCEEDED),
                    StepRecord(assign.key, StepStatus.SKIPPED if blocked else StepStatus.SUCCEEDED)]
        moves.append(replace(_group(name), state=GroupState.SKIPPED if blocked else GroupState.SUCCEEDED,
                             moved_count=0 if blocked else 2))
    return _stored(tuple(moves), tuple(steps), tuple(records))


def test_the_csv_has_a_row_for_every_step_of_a_big_plan():
    stored = _big()
    rows = list(csv.DictReader(io.StringIO(to_csv(build(stored, now=AT)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    steps = [r for r in rows if r["section"] in ("step", "role assignment")]
    assert len(steps) == 400
    in_order = [s.key for s in stored.fix_steps if s.phase == "before"] + [
        s.key for s in stored.fix_steps if s.phase == "after"]
    assert [r["key"] for r in steps if r["phase"] != "moves"] == in_order
    assert len([r for r in rows if r["section"] == "group"]) == 100
    blocked = [r for r in steps if r["outcome"] != "Done"]
    assert len(blocked) == 15 * 3 and all(r["command"].startswith("az ") for r in blocked)
    assert {r["principal_id"] for r in rows if r["section"] == "role assignment"} == {
        f"a11ce000-0000-4000-8000-{i:012d}" for i in range(100)}


def test_the_json_and_markdown_hold_every_step_too():
    report = build(_big(), now=AT)
    doc = json.loads(to_json(report))
    assert len(doc["steps"]) == 400 and len(doc["roleAssignments"]) == 100 and len(doc["groups"]) == 100
    assert doc["summary"]["stepsByOutcome"] == {"failed": 15, "skipped": 30, "done": 355}
    assert doc["summary"]["roleAssignmentsRecreated"] == 85
    markdown = to_markdown(report)
    assert markdown.count("- [ ] ") == 45 and markdown.count("- [x] ") == 355
    assert markdown.index("## To do by hand") < markdown.index("## Done")


def test_a_spreadsheet_never_runs_a_cell_as_a_formula():
    stored = _scenario()
    bad = ArmErrorDetail("=HYPERLINK(\"http://x\")", "=1+1")
    stored = replace(stored, step_records=tuple(replace(r, error=bad) if r.status is StepStatus.FAILED else r
                                                for r in stored.step_records))
    rows = list(csv.DictReader(io.StringIO(to_csv(build(stored, now=AT)))))
    assert {r["azure_message"] for r in rows if r["azure_code"]} >= {"'=1+1"}
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_an_assignment_the_bot_may_not_make_says_who_can_and_gives_the_command():
    step = _assignment("rg-a", "a11ce000-0000-4000-8000-00000000a11c")
    denied = ArmErrorDetail("AuthorizationFailed", "The client does not have authorization to perform action "
                            "'Microsoft.Authorization/roleAssignments/write'.")
    stored = _stored((replace(_group("rg-a"), state=GroupState.SUCCEEDED, moved_count=2),), (step,),
                     (StepRecord(step.key, StepStatus.FAILED, denied),), state=RequestState.SUCCEEDED)
    [line] = build(stored, now=AT).assignments
    assert not line.recreated and "Owner or User Access Administrator" in line.why and "AuthorizationFailed" in line.why
    assert line.command.posix() == command(step).posix()


def test_a_command_for_what_was_not_made_again_names_where_the_resource_stayed():
    """The move failed: re-creating the peering was not done (its own call failed), and its command names the
    network in the source, where it still is, not the CSP subscription it never reached."""
    moved, stayed = (f"/subscriptions/{s}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet-hub"
                     for s in (DST, SRC))
    remote = f"/subscriptions/{SRC}/resourceGroups/rg-b/providers/Microsoft.Network/virtualNetworks/vnet-2"
    peering = PlanStep(f"recreate_peering:{moved}/to-2".lower(), StepKind.RECREATE_PEERING, "rg-a", (
        ("vnet", moved), ("name", "to-2"), ("remote", remote), ("vnet_name", "vnet-hub"), ("remote_name", "vnet-2"),
        ("vnet_group", "rg-a"), ("vnet_subscription", DST), ("vnet_source", stayed), ("remote_source", remote),
        ("vnet_group_source", "rg-a"), ("vnet_subscription_source", SRC)), ended=("move:rg-a",))
    failed = StepRecord(peering.key, StepStatus.FAILED, ArmErrorDetail("Conflict", "busy"), AT)
    for state, where in ((GroupState.FAILED, SRC), (GroupState.SUCCEEDED, DST)):
        line = next(s for s in build(_stored((_group("rg-a", state=state),), (peering,), (failed,),
                                             state=RequestState.FAILED), now=AT).steps if s.key == peering.key)
        assert f"--subscription {where} " in line.command.posix()
