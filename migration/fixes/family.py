"""What a fix family declares, in one frozen registration (`FixFamily`): the fix actions it carries out and
its planner, its step kinds with how each is carried out and found already done (`StepSpec`), and where its
texts live. `migration.fixes.families` registers every family once; planning, the carry dispatcher and the
move engine read what they need from there instead of naming step kinds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from migration.fixes.facts import PlanFacts, Relocation
from migration.model.plan import TEXTS_DIR, ChosenFix, PlanStep, StepKind

Add = Callable[[PlanStep], None]  # adds a step to the plan (a key planned twice is kept once)
Steps = MutableMapping[str, PlanStep]  # the plan's steps by key, in the order they were planned
# (facts, where things land, the chosen fixes of the family's actions, add) -> the fixes left to the engineer
Planner = Callable[[PlanFacts, Relocation, Sequence[ChosenFix], Add], list[ChosenFix]]
FollowThrough = Callable[[PlanFacts, Relocation, Steps, "Specs", Add], None]  # steps every plan gets (tags, roles)
Finish = Callable[[PlanFacts, Steps, "Specs"], None]  # a pass over the whole plan (waits between families)
Carry = Callable[[Any, PlanStep], Awaitable[None]]  # do it in Azure (the tenant client: `carry.FixAzure`)
Done = Callable[[Any, PlanStep], Awaitable[bool]]  # did a step a crash interrupted take effect?
Holds = Callable[[str, PlanStep], frozenset[str]]  # (source subscription, step) -> lower-case group ids it holds
Specs = Mapping[StepKind, "StepSpec"]


class Regrouping(Enum):
    """Which in-subscription moves (split dependencies, App Service back) a step before the moves waits for."""

    NONE = "none"
    ITS_GROUP = "its_group"  # those into or out of its own group: it acts on what they move
    ALL = "all"  # every one: the ids it records are those after them


class PlanRead(Enum):
    """What planning reads from Azure only when a chosen fix of the family needs it."""

    LINKED_SERVICES = "linked_services"  # the linked services of the workspaces its fixes name
    TARGET_RESOURCES = "target_resources"  # the target subscription's inventory


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step kind: how it is carried out, how a crash-interrupted run is found done, and what the rest
    of the plan must know of it (the defaults fit most steps)."""

    kind: StepKind
    carry: Carry
    done: Done
    under_locks: bool = True  # writes in its group: waits for the ReadOnly lock there to be lifted
    regrouping: Regrouping = Regrouping.NONE
    writes_scopes: bool = True  # writes under the scopes its arguments name (a ReadOnly lock goes back after)
    deletes: str = ""  # before the moves: the argument naming what it deletes (a lock above is lifted around it)
    leaves_moves: bool = False  # what it deletes is no longer in the moves' requests
    remakes: str = ""  # after the moves: the argument naming what it makes again (at `source_scope` if it stayed)
    regroups: bool = False  # an in-subscription move: resources change group before the moves
    # Before the moves: what it changes stays so when a move did not happen (no step restores it), and its
    # line in the report says what (a provider registered, a collection deleted, a resource regrouped).
    lasting: bool = False
    holds: Holds | None = None  # groups it holds while it runs, as Azure does for a move
    # Each resource it acts on after the moves, with the arguments that follow it where it stayed
    # (`places.placed`): it acts at `X`, or at `X_source` when that move did not happen.
    anchors: tuple[tuple[str, ...], ...] = ()
    command_values: Callable[[PlanStep], Mapping[str, Any]] | None = None  # lists its command template iterates


@dataclass(frozen=True, slots=True)
class FixFamily:
    """A family of fixes: the actions it carries out, how it plans them, its steps, where its texts live."""

    name: str
    steps: tuple[StepSpec, ...]
    actions: tuple[str, ...] = ()  # FixAction values it carries out, in the order the plan card offers them
    plan: Planner | None = None  # one planner for all its actions
    together: bool = False  # its fixes are planned in one call after the others (not one call per fix)
    follow_through: FollowThrough | None = None
    finish: Finish | None = None
    reads: frozenset[PlanRead] = frozenset()
    left_to_engineer: Mapping[str, str] = field(default_factory=dict)  # action it never does -> message saying why

    @property
    def texts(self) -> Path:
        return TEXTS_DIR / f"{self.name}.json"


def each(plan: Callable[[PlanFacts, Relocation, ChosenFix, Add], list[ChosenFix]]) -> Planner:
    """A planner of one fix at a time, as a family's planner."""

    def planner(facts: PlanFacts, moves: Relocation, fixes: Sequence[ChosenFix], add: Add) -> list[ChosenFix]:
        return [left for fix in fixes for left in plan(facts, moves, fix, add)]

    return planner


def waiting(step: PlanStep, *, after: Sequence[str] | None = None, ended: Sequence[str] | None = None) -> PlanStep:
    """The step also waiting for `after` to succeed and `ended` to end (each step named once, in the order
    first named)."""
    if after is not None:
        step = replace(step, after=tuple(dict.fromkeys((*step.after, *after))))
    if ended is not None:
        step = replace(step, ended=tuple(dict.fromkeys((*step.ended, *ended))))
    return step
