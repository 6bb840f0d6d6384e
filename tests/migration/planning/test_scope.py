"""Which picked groups a plan moves and why each other one is not: pure, from the engineer's ticks, the
rules' verdicts and Azure's dry run."""

from __future__ import annotations

from dataclasses import replace

from migration.model import DryRun, Finding, Fix, FixAction, GroupAssessment, GroupMove, Severity, Verdict
from migration.model.plan import PlanStep, StepKind
from migration.model.scope import Joined, LeftOut, LeftOutReason
from migration.planning.scope import choose, settle
from tests.support.commands import script

S, T = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
G = f"/subscriptions/{S}/resourceGroups"
LOCK_ID = f"{G}/rg-locked/providers/Microsoft.Authorization/locks/freeze"
APP = f"{G}/rg-api/providers/Microsoft.Web/sites/app-1"


def _group(name: str, verdict: Verdict, *findings: Finding) -> GroupAssessment:
    return GroupAssessment(name, verdict, (f"{G}/{name}/providers/Microsoft.Storage/storageAccounts/st",), findings)


def _fix(action: FixAction, ids: tuple[str, ...], command: str, group: str) -> Finding:
    return Finding("X1", Severity.FIX_FIRST, "m", "r", "s", resource_group=group,
                   fix=Fix(action=action, resource_ids=ids, command=script(command), source="s"))


def _blocker(group: str) -> Finding:
    return Finding("B1", Severity.BLOCKER, "m", "r", "s", resource_group=group)


READY = _group("rg-ready", Verdict.READY)
SSIS = _group("rg-ssis", Verdict.READY)  # the rules see nothing; Azure's dry run refuses it
LOCKED = _group("rg-locked", Verdict.READY_AFTER_FIXES,
                _fix(FixAction.LIFT_READ_ONLY_LOCK, (LOCK_ID,), "az lock delete ...", "rg-locked"))
BLOCKED = _group("rg-blocked", Verdict.BLOCKED, _blocker("rg-blocked"))
API = _group("rg-api", Verdict.READY_AFTER_FIXES,
             _fix(FixAction.MOVE_APP_SERVICE_BACK, (APP,), f"az resource move --destination-group rg-plans --ids {APP}",
                  "rg-api"))
PLANS = _group("rg-plans", Verdict.READY)
ASSESSED = (READY, SSIS, LOCKED, BLOCKED, API, PLANS)


def _move(group: GroupAssessment) -> GroupMove:
    return GroupMove(group.name, f"/subscriptions/{T}/resourceGroups/{group.name}", "westeurope", group.resource_ids)


def _dry_run(group: GroupAssessment, valid: bool) -> DryRun:
    return DryRun(group.name, f"/subscriptions/{T}/resourceGroups/{group.name}", valid)


PICKED = tuple(_move(g) for g in (READY, SSIS, LOCKED))
DRY_RUNS = (_dry_run(READY, True), _dry_run(SSIS, False), _dry_run(LOCKED, False))


def test_a_group_azure_refuses_for_a_reason_no_fix_addresses_is_left_out_for_azures_reason() -> None:
    choice = choose(ASSESSED, PICKED, skip=(), dry_runs=DRY_RUNS)
    assert [g.source_group for g in choice.groups] == ["rg-ready", "rg-locked"], \
        "rg-locked is refused only until its lock is lifted"
    assert choice.left_out == (LeftOut("rg-ssis", LeftOutReason.DRY_RUN),)
    assert [c.action for c in choice.fixes] == ["lift_read_only_lock"]


def test_a_fix_left_out_says_so_and_the_same_ticks_give_the_same_choice() -> None:
    first = choose(ASSESSED, PICKED, skip=(), dry_runs=DRY_RUNS)
    without = choose(ASSESSED, PICKED, skip=("lift_read_only_lock",), dry_runs=DRY_RUNS)
    assert set(without.left_out) == {LeftOut("rg-ssis", LeftOutReason.DRY_RUN),
                                     LeftOut("rg-locked", LeftOutReason.FIX_LEFT_OUT)}
    assert not without.fixes
    assert choose(ASSESSED, PICKED, skip=(), dry_runs=DRY_RUNS) == first


def test_an_earlier_dry_run_kept_on_the_assessment_changes_nothing() -> None:
    """The assessment is stored again with each planning's dry run: only the rules' verdicts count."""
    seen = tuple(replace(g, dry_run=_dry_run(g, False)) for g in ASSESSED)
    assert choose(seen, PICKED, skip=(), dry_runs=DRY_RUNS) == choose(ASSESSED, PICKED, skip=(), dry_runs=DRY_RUNS)


def test_a_problem_no_fix_of_ours_makes_is_said_as_such() -> None:
    choice = choose(ASSESSED, (_move(BLOCKED), _move(READY)), skip=(), dry_runs=())
    assert choice.left_out == (LeftOut("rg-blocked", LeftOutReason.NOT_FIXABLE),)
    assert [g.source_group for g in choice.groups] == ["rg-ready"]


def test_every_chosen_group_is_moved_joined_held_or_emptied() -> None:
    picked = tuple(_move(g) for g in (API, PLANS, READY, LOCKED))
    choice = choose(ASSESSED, picked, skip=(), dry_runs=())
    back = PlanStep("move_app_back:rg-api", StepKind.MOVE_APP_BACK, "rg-plans",
                    (("source_group", "rg-api"), ("ids", APP)))
    scope = settle(choice, planned=(_move(PLANS),), held=["rg-locked"], steps=(back,))
    assert scope.groups == (_move(PLANS),)
    assert scope.joined == (Joined("rg-api", "rg-plans"),)
    assert set(scope.left_out) == {LeftOut("rg-locked", LeftOutReason.BY_HAND),
                                   LeftOut("rg-ready", LeftOutReason.EMPTIED)}
    named = {g.source_group for g in scope.groups} | {j.group for j in scope.joined} | {e.group for e in
                                                                                       scope.left_out}
    assert named == {g.source_group for g in picked}, "no picked group vanishes"
