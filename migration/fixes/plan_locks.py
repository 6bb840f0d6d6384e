"""Planned steps for locks: a ReadOnly lock lifted before the moves and put back after them (on the source,
and on the new scope of what it locked), and a lock lifted just around the deletions under it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from migration.fixes.facts import PlanFacts, Relocation, args, scope_name
from migration.fixes.plan_services import SERVICE_BEFORE, deleted_id
from migration.model import Lock, ResourceId
from migration.model.plan import ChosenFix, PlanStep, StepKind


def _lock_args(scope: str, lock: Lock, facts: PlanFacts) -> tuple[tuple[str, str], ...]:
    return args(scope=scope, name=lock.name, level=lock.level, notes=lock.notes or "",
                scope_name=scope_name(scope, facts))


def lift_read_only_locks(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    wanted = {i.lower() for i in fix.resource_ids}
    for lock in facts.locks:
        if lock.level.lower() != "readonly":
            continue
        if wanted and lock.id.lower() not in wanted and lock.scope.lower() not in wanted:
            continue
        served = ResourceId.parse(lock.scope).resource_group
        if served and served.lower() not in moves.groups and not moves.group_for(lock.scope):
            served = fix.group  # a lock on a target group serves the group moving into it
        lift = PlanStep(f"lift_lock:{lock.scope}/{lock.name}".lower(), StepKind.LIFT_LOCK, served,
                        _lock_args(lock.scope, lock, facts))
        add(lift)
        moves_of = [g for g in facts.groups if not served or g.source_group.lower() == served.lower()]
        ended = tuple(f"move:{g.source_group}" for g in moves_of)
        # Back on the scope it was on, once the moves it was lifted for have ended (moved or not).
        add(PlanStep(f"restore_lock:{lock.scope}/{lock.name}".lower(), StepKind.RESTORE_LOCK, served,
                     _lock_args(lock.scope, lock, facts), after=(lift.key,), ended=ended))
        # And on the new scope, for a source group's lock (its target group) or a moved resource's.
        new_scope = None
        target = moves.group_target(lock.scope)
        if target is not None:
            new_scope = target.target_group_id
        elif moves.group_for(lock.scope) is not None:
            new_scope = moves.new_id(lock.scope)
        if new_scope is not None:
            group = (target or moves.group_for(lock.scope))
            assert group is not None
            add(PlanStep(f"restore_lock:{new_scope}/{lock.name}".lower(), StepKind.RESTORE_LOCK, group.source_group,
                         _lock_args(new_scope, lock, facts), after=(f"move:{group.source_group}",)))
    return []


def lift_delete_protection(facts: PlanFacts, steps: dict[str, PlanStep]) -> None:
    """A lock of either level on or above what a step deletes refuses the deletion (CanNotDelete is delete
    protection): such a lock is lifted just before and put back as soon as the deletions under it ended."""
    deletes = [s for s in steps.values() if s.kind in SERVICE_BEFORE]
    for lock in facts.locks:
        scope = lock.scope.lower().rstrip("/")
        under = [s for s in deletes if (deleted_id(s).lower() + "/").startswith(scope + "/")]
        lift_key = f"lift_lock:{lock.scope}/{lock.name}".lower()
        if not under or (lock.level.lower() == "readonly" and lift_key not in steps):
            continue  # a ReadOnly lock the engineer keeps: its group cannot move anyway
        lift = steps.setdefault(lift_key, PlanStep(lift_key, StepKind.LIFT_LOCK, under[0].group,
                                                   _lock_args(lock.scope, lock, facts)))
        for s in under:
            now = steps[s.key]  # as an earlier lock left it
            steps[s.key] = replace(now, after=tuple(dict.fromkeys((*now.after, lift.key))))
        own = next((s for s in under if deleted_id(s).lower() == scope), None)
        again = next((a for a in steps.values() if own is not None and own.key in a.after), None)
        if again is not None:  # a lock on the deleted resource itself goes on the one made again
            new_scope = deleted_id(again)
            key = f"restore_lock:{new_scope}/{lock.name}".lower()
            steps[key] = PlanStep(key, StepKind.RESTORE_LOCK, again.group, _lock_args(new_scope, lock, facts),
                                  after=(lift.key, again.key))
            continue
        key = f"restore_lock:{lock.scope}/{lock.name}".lower()
        back = steps.get(key) or PlanStep(key, StepKind.RESTORE_LOCK, under[0].group,
                                          _lock_args(lock.scope, lock, facts), after=(lift.key,))
        steps[key] = replace(back, ended=tuple(dict.fromkeys((*back.ended, *(s.key for s in under)))))


PLANNERS = {"lift_read_only_lock": lift_read_only_locks}
