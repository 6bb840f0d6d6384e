"""The move report: what a move request did, step by step, built from what the store recorded.

Pure: a `StoredRequest` in, a `MoveReport` out. The final card shows its head (what needs the engineer
first); the download (`migration.reports.move_export`) holds all of it, so nothing a card must leave out is
lost. Every group, every step (the fixes before, the moves, the follow-through after) with its outcome,
Azure's error, the step it waited for and, for everything not done, the command to do it by hand; every
role assignment re-created or not (and why); the fixes the bot cannot make; the checklist with what the
bot verified.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from migration import DATA_DIR
from migration.azure.explain import explain
from migration.fixes.families import command, labels
from migration.model import ArmErrorDetail, GroupMove, GroupState, RequestState, ResourceId, name_of
from migration.model.commands import Script, fill
from migration.model.plan import ChosenFix, PlanStep, StepKind
from migration.model.records import BatchStatus, StepStatus, StoredRequest

_FILE = DATA_DIR / "move-report.json"
MOVE_KIND = "move_group"  # the kind of a group's move in the report (the engine's validate:/move: steps)
_NOT_RUN = frozenset({RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.REJECTED,
                      RequestState.CANCELLED})


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"  # Azure refused or failed it: `error` says why
    SKIPPED = "skipped"  # a step it waits for did not succeed: `waits_for` names it
    NOT_STARTED = "not_started"
    RUNNING = "running"

    @property
    def label(self) -> str:
        return str(_data()["outcomes"][self.value])


# Most urgent first: what the engineer must look at, then what is still going, then what went fine.
OUTCOME_ORDER = (Outcome.FAILED, Outcome.SKIPPED, Outcome.NOT_STARTED, Outcome.RUNNING, Outcome.DONE)


@dataclass(frozen=True, slots=True)
class StepLine:
    key: str
    phase: str  # "before", "moves" or "after"
    kind: str  # a StepKind value, or MOVE_KIND
    group: str  # the source group it serves ("" for every group)
    text: str
    outcome: Outcome
    error: ArmErrorDetail | None = None
    waits_for: tuple[str, ...] = ()  # what it waited for that did not succeed (texts)
    command: Script = Script()  # how to do it by hand; only for what is not done
    source: str = ""  # Microsoft's page for the step

    @property
    def done(self) -> bool:
        return self.outcome is Outcome.DONE


@dataclass(frozen=True, slots=True)
class GroupLine:
    name: str
    target_group_id: str
    state: GroupState
    resources: int
    moved: int
    error: ArmErrorDetail | None = None  # Azure's error, explained (reason and fix) where the code is known
    command: Script = Script()  # the move by hand of what did not move
    fix: str = ""  # what to do about the error, in plain words


@dataclass(frozen=True, slots=True)
class AssignmentLine:
    """A role assignment made directly on a moved group or resource, which Azure does not move."""

    principal_id: str
    principal_type: str
    role_definition_id: str
    role_name: str
    scope: str  # the new scope
    source_scope: str
    condition: str
    description: str
    outcome: Outcome
    why: str = ""  # why it was not re-created, in plain words
    command: Script = Script()

    @property
    def recreated(self) -> bool:
        return self.outcome is Outcome.DONE


@dataclass(frozen=True, slots=True)
class ChecklistLine:
    title: str
    detail: str
    verified: bool  # the bot did it and Azure confirmed it afterwards


@dataclass(frozen=True, slots=True)
class DecisionLine:
    action: str
    by: str
    at: datetime
    comment: str = ""


@dataclass(frozen=True, slots=True)
class MoveReport:
    request_id: str
    state: RequestState
    tenant_id: str
    source_subscription_id: str
    source_name: str
    target_subscription_id: str
    target_name: str
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None
    generated_at: datetime
    decisions: tuple[DecisionLine, ...]
    groups: tuple[GroupLine, ...]
    steps: tuple[StepLine, ...]  # before, moves, after: in the plan's order
    assignments: tuple[AssignmentLine, ...]
    manual: tuple[ChosenFix, ...]  # fixes the bot cannot make
    checklist: tuple[ChecklistLine, ...]
    leftovers: tuple[str, ...]  # top-level resources still in the source subscription afterwards

    @property
    def resources(self) -> int:
        return sum(g.resources for g in self.groups)

    @property
    def moved(self) -> int:
        return sum(g.moved for g in self.groups)

    def counts(self) -> dict[Outcome, int]:
        """Steps per outcome, most urgent first, outcomes no step has left out."""
        found = Counter(s.outcome for s in self.steps)
        return {o: found[o] for o in OUTCOME_ORDER if found[o]}

    def undone(self) -> tuple[StepLine, ...]:
        """The steps that need the engineer, most urgent first (failed, then those that waited for them...);
        within each outcome the groups' moves first (resources that did not move), then in the plan's order."""
        return tuple(sorted((s for s in self.steps if not s.done),
                            key=lambda s: (OUTCOME_ORDER.index(s.outcome), s.kind != MOVE_KIND)))

    def done_steps(self) -> tuple[StepLine, ...]:
        return tuple(s for s in self.steps if s.done)


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_FILE.read_text(encoding="utf-8"))
    return data


def state_label(state: RequestState | GroupState) -> str:
    """A request's or a group's state as the report says it ("Partly moved")."""
    table = "states" if isinstance(state, RequestState) else "groupStates"
    return str(_data()[table][state.value])


def assignment_reason(error: ArmErrorDetail | None) -> str:
    """Why a role assignment could not be re-created: the known cause in plain words, else Azure's message."""
    if error is None:
        return ""
    reasons: dict[str, str] = _data()["assignmentReasons"]
    known = next((reasons[n.code] for n in error.walk() if n.code in reasons), None)
    if known is None:
        return f"{error.code}: {error.message}"
    return known if error.code == "DependencyFailed" else f"{known} (Azure: {error.code})"


# --------------------------------------------------------------------------- building


def _step_outcome(status: StepStatus | None, request_ran: bool) -> Outcome:
    if status is StepStatus.SUCCEEDED:
        return Outcome.DONE
    if status is StepStatus.FAILED:
        return Outcome.FAILED
    if status is StepStatus.SKIPPED:
        return Outcome.SKIPPED
    if status is StepStatus.STARTED:
        return Outcome.RUNNING if request_ran else Outcome.NOT_STARTED
    return Outcome.NOT_STARTED


def _group_outcome(state: GroupState, request_state: RequestState) -> Outcome:
    if request_state in _NOT_RUN:
        return Outcome.NOT_STARTED  # rejected or cancelled requests mark their groups skipped: nothing ran
    return {GroupState.SUCCEEDED: Outcome.DONE, GroupState.FAILED: Outcome.FAILED,
            GroupState.SKIPPED: Outcome.SKIPPED, GroupState.PENDING: Outcome.NOT_STARTED}.get(state, Outcome.RUNNING)


def _group_state(stored: StoredRequest, name: str) -> GroupState | None:
    return next((g.state for g in stored.request.groups if g.source_group.lower() == name.lower()), None)


def _unmoved_ids(stored: StoredRequest, group: GroupMove) -> tuple[str, ...]:
    """What of the group is still to move: not in a batch Azure finished; once the source was read again
    after the move, only what is still there."""
    if group.state is GroupState.SUCCEEDED:
        return ()
    moved = {i.lower() for b in stored.batches_of(group.source_group) if b.status is BatchStatus.SUCCEEDED
             for i in b.resource_ids}
    left = [i for i in group.resource_ids if i.lower() not in moved]
    if stored.leftovers:
        still = {i.lower() for i in stored.leftovers}
        left = [i for i in left if i.lower() in still]
    return tuple(left)


def _group_line(stored: StoredRequest, group: GroupMove) -> GroupLine:
    ids = _unmoved_ids(stored, group)
    target = ResourceId.parse(group.target_group_id)
    command = fill(_data()["groupCommand"], {"target_group": target.resource_group,
                                             "target_subscription": target.subscription,
                                             "ids": list(ids)}) if ids else Script()
    error = group.error
    if error is not None and " Fix: " not in error.message and error.code != "DependencyFailed":
        error = explain(error)
    fix = error.message.partition(" Fix: ")[2] if error is not None else ""
    return GroupLine(group.source_group, group.target_group_id, group.state, len(group.resource_ids),
                     group.moved_count, error, command, fix)


def _move_line(stored: StoredRequest, line: GroupLine, group: GroupMove, before: Sequence[StepLine]) -> StepLine:
    outcome = _group_outcome(group.state, stored.state)
    waits: tuple[str, ...] = ()
    if outcome in (Outcome.SKIPPED, Outcome.NOT_STARTED):  # the fixes before it, and the groups it follows
        waits = (*(s.text for s in before if not s.done and s.group.lower() in ("", group.source_group.lower())),
                 *(f"the move of group {a}" for a in group.after
                   if _group_state(stored, a) is not GroupState.SUCCEEDED))
    resources = f"{line.resources} resource" + ("" if line.resources == 1 else "s")
    text = str(_data()["groupText"]).format(group=group.source_group, target_group=name_of(group.target_group_id),
                                            resources=resources)
    return StepLine(f"move:{group.source_group}", "moves", MOVE_KIND, group.source_group, text, outcome,
                    line.error if outcome in (Outcome.FAILED, Outcome.SKIPPED) else None, waits,
                    line.command if outcome is not Outcome.DONE else Script(), str(_data()["groupSource"]))


def _blockers(step: PlanStep, outcomes: dict[str, Outcome], texts: dict[str, str], stored: StoredRequest) -> tuple[
        str, ...]:
    out = []
    for key in step.after:
        kind, _, name = key.partition(":")
        if key in outcomes:
            if outcomes[key] is not Outcome.DONE:
                out.append(texts[key])
        elif kind in ("move", "validate") and _group_state(stored, name) is not GroupState.SUCCEEDED:
            out.append(f"the move of group {name}")
    return tuple(dict.fromkeys(out))


def _moves_followed(step: PlanStep, stored: StoredRequest) -> set[str]:
    """The groups whose moves the step follows, itself or through the steps it waits for."""
    by_key = {s.key: s for s in stored.fix_steps}
    groups: set[str] = set()
    seen: set[str] = set()
    waiting = [step]
    while waiting:
        current = waiting.pop()
        for key in (*current.after, *current.ended):
            if key.startswith("move:"):
                groups.add(key.partition(":")[2])
            elif key in by_key and key not in seen:
                seen.add(key)
                waiting.append(by_key[key])
    return groups


def as_things_stand(step: PlanStep, stored: StoredRequest) -> PlanStep:
    """The step where its resources are now: in place (`PlanStep.in_place`) when a move it follows (itself or
    through a step it waits for) did not happen, so its text and its command to do it by hand never name a
    place the resource never reached."""
    if not step.falls_back:
        return step
    stayed = any(_stayed(stored, name) for name in _moves_followed(step, stored))
    return step.in_place() if stayed else step


def _stayed(stored: StoredRequest, group: str) -> bool:
    """Whether the group's move did not happen (failed, skipped, or never made by a request that ended)."""
    state = _group_state(stored, group)
    return state in (GroupState.FAILED, GroupState.SKIPPED) or (
        stored.request.state.is_final and state is not GroupState.SUCCEEDED)


def _manual_as_things_stand(stored: StoredRequest) -> tuple[ChosenFix, ...]:
    """The fixes left to the engineer once the moves they follow ended: one after a move that did not happen
    says what to do where the resource stayed, or is gone when nothing is left to do."""
    ended = stored.request.state.is_final
    out = (m.as_things_stand(moved=not (ended and m.follows and _stayed(stored, m.follows)))
           for m in stored.manual_fixes)
    return tuple(m for m in out if m is not None)


def manual_title(fix: ChosenFix) -> str:
    """What a fix left to the engineer asks for, as a sentence: its reason, else the plan card's name of its
    fix (never the name of a fix the bot made, for what is left after it)."""
    title = fix.reason or labels().get(fix.action) or fix.action.replace("_", " ")
    return title if title.endswith((".", ":")) else title + "."


def _fix_line(step: PlanStep, outcome: Outcome, error: ArmErrorDetail | None, waits: tuple[str, ...],
              stored: StoredRequest) -> StepLine:
    now = as_things_stand(step, stored)
    return StepLine(step.key, step.phase, step.kind.value, step.group, now.text, outcome, error,
                    waits if outcome is not Outcome.DONE else (),
                    command(now) if outcome is not Outcome.DONE else Script(), step.source)


def _assignment(line: StepLine, step: PlanStep) -> AssignmentLine:
    why = ""
    if line.outcome is Outcome.SKIPPED:
        why = "Not attempted: it waits for " + (" and ".join(line.waits_for) or "a step") + ", which did not succeed."
    elif line.outcome is Outcome.FAILED:
        why = assignment_reason(line.error)
    elif line.outcome is Outcome.NOT_STARTED:
        why = "Not started."
    return AssignmentLine(step.arg("principal"), step.arg("principal_type"), step.arg("role"), step.arg("role_name"),
                          step.arg("scope"), step.arg("source_scope"), step.arg("condition"), step.arg("description"),
                          line.outcome, why, line.command)


def build(stored: StoredRequest, *, now: datetime) -> MoveReport:
    """The whole report of a request, as it stands now (a running move gives a snapshot)."""
    request = stored.request
    ran = request.state not in _NOT_RUN
    records = {r.key: r for r in stored.step_records}
    texts = {s.key: s.text for s in stored.fix_steps}
    outcomes = {s.key: _step_outcome(records[s.key].status if s.key in records else None, ran)
                for s in stored.fix_steps}

    lines: dict[str, StepLine] = {}
    for s in stored.fix_steps:
        outcome = outcomes[s.key]
        record = records.get(s.key)
        waits = _blockers(s, outcomes, texts, stored) if outcome in (Outcome.SKIPPED, Outcome.NOT_STARTED) else ()
        error = record.error if record is not None and outcome is Outcome.FAILED else None
        lines[s.key] = _fix_line(s, outcome, error, waits, stored)

    groups = tuple(_group_line(stored, g) for g in request.groups)
    before = [lines[s.key] for s in stored.fix_steps if s.phase == "before"]
    moves = tuple(_move_line(stored, line, g, before) for line, g in zip(groups, request.groups, strict=True))
    steps = (*before, *moves,
             *(lines[s.key] for s in stored.fix_steps if s.phase != "before"))
    assignments = tuple(_assignment(lines[s.key], s) for s in stored.fix_steps
                        if s.kind is StepKind.RECREATE_ASSIGNMENT)
    return MoveReport(
        request_id=request.id, state=request.state, tenant_id=request.tenant_id,
        source_subscription_id=request.source_subscription_id, source_name=request.source_name,
        target_subscription_id=request.target_subscription_id, target_name=request.target_name,
        requested_by=request.requested_by.name, requested_at=request.requested_at, finished_at=stored.finished_at,
        generated_at=now,
        decisions=tuple(DecisionLine(d.action, d.by.name, d.at, d.comment or "") for d in request.decisions),
        groups=groups, steps=steps, assignments=assignments, manual=_manual_as_things_stand(stored),
        checklist=tuple(ChecklistLine(c.title, c.detail, c.done) for c in stored.checklist),
        leftovers=stored.leftovers,
    )
