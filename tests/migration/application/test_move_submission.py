"""Which steps go with the groups "Ask for approval" requests (which groups: tests/migration/planning/test_scope.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from migration.application.move_submission import steps_for
from migration.model import DryRun, GroupMove, MoveRequest, Person, RequestState
from migration.model.plan import PlanStep, StepKind
from tests.support.moves import sample_groups

GROUPS = sample_groups(3)  # rg-0, rg-1, rg-2
DRAFT = MoveRequest("MR-TEST01", "tenant", "src-sub", "dst-sub", Person("p", "P", None),
                    datetime(2026, 11, 23, tzinfo=UTC), RequestState.DRAFT, GROUPS)
PROVIDER = PlanStep("register_provider:Microsoft.Web", StepKind.REGISTER_PROVIDER, "",
                    (("namespace", "Microsoft.Web"),))


def _dry_run(group: GroupMove, valid: bool) -> DryRun:
    return DryRun(group.source_group, group.target_group_id, valid)


def _lift_lock(group: str) -> PlanStep:
    return PlanStep(f"lift_lock:{group}", StepKind.LIFT_LOCK, group, ())


def test_a_group_left_out_takes_its_steps_with_it_and_the_shared_steps_stay() -> None:
    lock_0, lock_1 = _lift_lock("rg-0"), _lift_lock("rg-1")
    assert steps_for((lock_0, lock_1, PROVIDER), GROUPS[:1]) == (lock_0, PROVIDER)


def test_a_group_the_fixes_empty_into_a_moving_group_keeps_its_steps() -> None:
    # rg-2's resources are brought into rg-0 first: its lock must still be lifted before they move.
    lock_0, lock_2 = _lift_lock("rg-0"), _lift_lock("rg-2")
    assert steps_for((lock_0, lock_2), GROUPS[:1]) == (lock_0,)
    assert steps_for((lock_0, lock_2), GROUPS[:1], joined=["RG-2"]) == (lock_0, lock_2)
