"""Locks: a ReadOnly lock lifted before the moves and put back after them (on the source, and on the new
scope of what it locked), and a lock of either level lifted just around the deletions under it.

Azure refuses writes and actions under a ReadOnly lock, and deletions under any lock (CanNotDelete is delete
protection): so every write in a group waits for its ReadOnly lock to be lifted, and a lock goes back on a
scope only after every step that writes under it.
"""

from __future__ import annotations

from migration.azure.ports import HasLocks
from migration.fixes.facts import PlanFacts, Relocation, args, scope_name
from migration.fixes.family import Add, FixFamily, Specs, Steps, StepSpec, each, waiting
from migration.model import Lock, ResourceId
from migration.model.plan import ChosenFix, PlanStep, StepKind


def _lock_args(scope: str, lock: Lock, facts: PlanFacts) -> tuple[tuple[str, str], ...]:
    return args(scope=scope, name=lock.name, level=lock.level, notes=lock.notes or "",
                scope_name=scope_name(scope, facts))


def lift_read_only_locks(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
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


def _made_id(step: PlanStep, specs: Specs) -> str:
    """What a step deletes before the moves, or makes again after them ("" for other steps)."""
    spec = specs[step.kind]
    return step.arg(spec.deletes or spec.remakes) if spec.deletes or spec.remakes else ""


def lift_delete_protection(facts: PlanFacts, steps: Steps, specs: Specs) -> None:
    """A lock of either level on or above what a step deletes refuses the deletion (CanNotDelete is delete
    protection): such a lock is lifted just before and put back as soon as the deletions under it ended."""
    deletes = [s for s in steps.values() if specs[s.kind].deletes]
    for lock in facts.locks:
        scope = lock.scope.lower().rstrip("/")
        under = [s for s in deletes if (_made_id(s, specs).lower() + "/").startswith(scope + "/")]
        lift_key = f"lift_lock:{lock.scope}/{lock.name}".lower()
        if not under or (lock.level.lower() == "readonly" and lift_key not in steps):
            continue  # a ReadOnly lock the engineer keeps: its group cannot move anyway
        lift = steps.setdefault(lift_key, PlanStep(lift_key, StepKind.LIFT_LOCK, under[0].group,
                                                   _lock_args(lock.scope, lock, facts)))
        for s in under:
            steps[s.key] = waiting(steps[s.key], after=(lift.key,))  # as an earlier lock left it
        own = next((s for s in under if _made_id(s, specs).lower() == scope), None)
        again = next((a for a in steps.values() if own is not None and own.key in a.after), None)
        if again is not None:  # a lock on the deleted resource itself goes on the one made again
            new_scope = _made_id(again, specs)
            # ... where that is made: at the new id, or where it stayed when its move did not happen.
            stayed = again.arg(specs[again.kind].remakes + "_source")
            in_place = args(scope_source=stayed, scope_name_source=scope_name(stayed, facts)) if stayed else ()
            key = f"restore_lock:{new_scope}/{lock.name}".lower()
            steps[key] = PlanStep(key, StepKind.RESTORE_LOCK, again.group,
                                  (*_lock_args(new_scope, lock, facts), *in_place), after=(lift.key, again.key))
            continue
        key = f"restore_lock:{lock.scope}/{lock.name}".lower()
        back = steps.get(key) or PlanStep(key, StepKind.RESTORE_LOCK, under[0].group,
                                          _lock_args(lock.scope, lock, facts), after=(lift.key,))
        steps[key] = waiting(back, ended=tuple(s.key for s in under))


# The arguments naming what a step writes (or makes again in place when a move did not happen); the others
# (a role, a remote network, an IP, a plan, an encryption set) only point at something.
_WRITES = ("scope", "group", "nic", "vnet", "job", "old_job", "disk", "collection", "link", "registration",
           "certificate", "site", "old_site", "subnet", "old_subnet")


def _written(step: PlanStep, specs: Specs) -> list[str]:
    """The ids a step writes under, lower-case."""
    if not specs[step.kind].writes_scopes:
        return []
    return [v.lower().rstrip("/") for k, v in step.args if k in _WRITES and v.startswith("/subscriptions/")]


def _falls_back_under(step: PlanStep, lock: PlanStep, specs: Specs) -> bool:
    """A step that makes something again where it was when the move did not happen writes under the source's
    scopes too: a ReadOnly lock put back there must wait for it."""
    source = step.arg("source_scope").lower() if specs[step.kind].remakes else ""
    return bool(source) and lock.arg("level").lower() == "readonly" and source.startswith(lock.arg("scope").lower())


def _order(facts: PlanFacts, steps: Steps, specs: Specs) -> None:
    """Every write in a group (a NIC, a peering, a job, a disk, a move...) waits for the ReadOnly lock on it, or
    on the subscription, to be lifted. A ReadOnly lock goes back on a scope last: every step that writes under
    that scope comes first (tags, role assignments, IPs, peerings, jobs, disks, links, and what is made again
    in place when a move did not happen)."""
    before = [s for s in steps.values() if s.phase == "before"]
    lifts = [x for x in before if x.kind is StepKind.LIFT_LOCK]
    for s in before:
        mine = {s.group.lower(), s.arg("source_group").lower(), s.arg("resource_group").lower(), ""}
        waits = [x.key for x in lifts if x.group.lower() in mine] if specs[s.kind].under_locks else []
        steps[s.key] = waiting(s, after=waits)
    after = [s for s in steps.values() if s.phase == "after"]
    for s in after:
        if s.kind is StepKind.RESTORE_LOCK:
            scope = s.arg("scope").lower().rstrip("/")
            first = tuple(x.key for x in after if x.kind is not StepKind.RESTORE_LOCK and s.key not in x.after
                          and s.key not in x.ended
                          and (any(i == scope or i.startswith(scope + "/") for i in _written(x, specs))
                               or _falls_back_under(x, s, specs)))
            steps[s.key] = waiting(s, ended=first)


def _finish(facts: PlanFacts, steps: Steps, specs: Specs) -> None:
    lift_delete_protection(facts, steps, specs)
    _order(facts, steps, specs)


async def _lift(azure: HasLocks, step: PlanStep) -> None:
    await azure.locks.delete_lock(step.arg("scope"), name=step.arg("name"))


async def _restore(azure: HasLocks, step: PlanStep) -> None:
    await azure.locks.create_lock(step.arg("scope"), name=step.arg("name"), level=step.arg("level"),
                                  notes=step.arg("notes") or None)


async def _present(azure: HasLocks, step: PlanStep) -> bool:
    scope, name = ResourceId.parse(step.arg("scope")), step.arg("name").lower()
    locks = await azure.locks.list_locks(scope.subscription)
    return any(lk.scope.lower() == scope.key and lk.name.lower() == name for lk in locks)


async def _lifted(azure: HasLocks, step: PlanStep) -> bool:
    return not await _present(azure, step)


FAMILY = FixFamily(
    name="locks",
    actions=("lift_read_only_lock",),
    plan=each(lift_read_only_locks),
    finish=_finish,
    steps=(StepSpec(StepKind.LIFT_LOCK, _lift, _lifted, under_locks=False),
           StepSpec(StepKind.RESTORE_LOCK, _restore, _present, anchors=(("scope", "scope_name"),))),
)
