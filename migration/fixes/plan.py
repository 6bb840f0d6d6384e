"""A move plan's fixes and follow-through as steps (pure: no I/O).

From the fixes the engineer chose (each finding's machine-readable `Fix`) and what the bot read at plan
time (inventory, locks, role assignments, custom roles), this builds the steps that run before the moves
(lift ReadOnly locks, register providers, bring split dependencies together, move App Service resources
back, disassociate Standard public IPs, remove peerings, remove apps' VNet integration, take NAT gateways off
subnets) and after them (put the locks back on the source and the new scopes, associate the IPs again,
re-create peerings, add the VNet integration again, copy group tags, re-create role assignments). Fixes the
bot cannot do are returned as they are, for the checklist.

Each family of fixes plans its steps in its own module (`plan_locks`, `plan_network`, `plan_services`,
`plan_resources`, `plan_roles`), registered here once by fix action: a planner adds its steps and returns
what it leaves to the engineer. Ordering is data: a step names the steps that must succeed first (`after`)
and those that must merely have ended (`ended`: a lock goes back on the source even when the move failed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from migration.fixes import plan_locks, plan_network, plan_resources, plan_roles, plan_services
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.plan_roles import snapshot
from migration.fixes.plan_services import SERVICE_AFTER, SERVICE_BEFORE, deleted_before
from migration.model import ResourceId
from migration.model.plan import AUTOMATIC_ACTIONS, ChosenFix, FixPlan, PlanStep, StepKind, message

__all__ = ["PlanFacts", "deleted_before", "plan_fixes", "snapshot"]

Planner = Callable[[PlanFacts, Relocation, ChosenFix, Any], list[ChosenFix]]
# fix action -> its planner, from the module of each family
PLANNERS: dict[str, Planner] = {**plan_locks.PLANNERS, **plan_network.PLANNERS, **plan_services.PLANNERS,
                                **plan_resources.PLANNERS}


def plan_fixes(facts: PlanFacts, chosen: Sequence[ChosenFix]) -> FixPlan:
    """The fix steps (before), then the follow-through (after), for the groups of `facts`."""
    moves = Relocation(facts)
    steps: dict[str, PlanStep] = {}
    manual: list[ChosenFix] = []
    regrouping: list[ChosenFix] = []

    def add(step: PlanStep) -> None:
        steps.setdefault(step.key, step)

    for fix in chosen:
        if fix.action == "disable_disk_encryption":  # Azure Disk Encryption stays with the engineer: say why
            manual.append(replace(fix, reason=message("ade_manual")))
        elif fix.action not in AUTOMATIC_ACTIONS:
            manual.append(fix)
        elif fix.action == "register_provider":
            _providers(facts, fix, add)
        elif fix.action in ("consolidate_dependencies", "move_app_service_back"):
            regrouping.append(fix)
        elif fix.action in PLANNERS:
            manual += PLANNERS[fix.action](facts, moves, fix, add)
    manual += _regroup(facts, regrouping, add)
    moved = plan_roles.regrouped(list(steps.values()))
    # Assignments on what an in-subscription fix moves follow it to its final scope (below); the others as usual.
    plan_roles.follow_through(replace(facts, assignments=tuple(
        a for a in facts.assignments if plan_roles.regrouped_from(moved, a.scope) is None)), moves, add)
    plan_roles.follow_regrouped(facts, moves, moved, add)
    plan_locks.lift_delete_protection(facts, steps)
    before = [s for s in steps.values() if s.phase == "before"]
    # An in-subscription move changes the groups its resources live in: later fixes of those groups wait.
    ordered = _order_before(before) + _order_after([s for s in steps.values() if s.phase == "after"])
    return FixPlan(tuple(ordered), tuple(manual))


def _providers(facts: PlanFacts, fix: ChosenFix, add: Any) -> None:
    """Register in the target each provider the fix's resources (or its command) name."""
    named = {ResourceId.parse(i).top_level.namespace for i in fix.resource_ids if ResourceId.is_valid(i)} - {""}
    for ns in sorted(named or {fix.command.option("--namespace") or ""} - {""}):
        add(PlanStep(f"register_provider:{ns.lower()}", StepKind.REGISTER_PROVIDER, "",
                     args(namespace=ns, subscription=facts.target_subscription_id)))


def _regroup(facts: PlanFacts, fixes: Sequence[ChosenFix], add: Any) -> list[ChosenFix]:
    """In-subscription moves of the fixes' resources into the group each command names: one step per source
    and destination group (two sets brought into the same group from the same group move in one step)."""
    manual: list[ChosenFix] = []
    moving: dict[tuple[StepKind, str, str], dict[str, str]] = {}
    for fix in fixes:
        destination = fix.command.option("--destination-group")
        if not destination or not fix.resource_ids:
            manual.append(fix)
            continue
        kind = StepKind.CONSOLIDATE if fix.action == "consolidate_dependencies" else StepKind.MOVE_APP_BACK
        for rid in fix.resource_ids:
            group = ResourceId.parse(rid).resource_group if ResourceId.is_valid(rid) else ""
            if group.lower() != destination.lower():  # what already is in the destination stays
                moving.setdefault((kind, group, destination), {}).setdefault(rid.lower(), rid)
    for (kind, source_group, destination), ids in sorted(moving.items(), key=lambda kv: tuple(k.lower() for k in kv[0])):
        part = tuple(sorted(ids.values()))
        add(PlanStep(f"{kind.value}:{source_group}->{destination}".lower(), kind,
                     destination, args(destination=destination, source_group=source_group, ids=" ".join(part),
                                       count=len(part), subscription=facts.source_subscription_id)))
    return manual


# The arguments naming what a step writes (or makes again in place when a move did not happen); the others
# (a role, a remote network, an IP, a plan, an encryption set) only point at something.
_WRITES = ("scope", "group", "nic", "vnet", "job", "old_job", "disk", "collection", "link", "registration",
           "certificate", "site", "old_site", "subnet", "old_subnet")


def _written(step: PlanStep) -> list[str]:
    """The ids a step writes under, lower-case."""
    if step.kind is StepKind.ADD_ASSIGNABLE_SCOPE:
        return []  # it writes the role definition, not the scope it adds
    return [v.lower().rstrip("/") for k, v in step.args if k in _WRITES and v.startswith("/subscriptions/")]


def _falls_back_under(step: PlanStep, lock: PlanStep) -> bool:
    """A step that makes something again where it was when the move did not happen writes under the source's
    scopes too: a ReadOnly lock put back there must wait for it."""
    source = step.arg("source_scope").lower() if step.kind in SERVICE_AFTER else ""
    return bool(source) and lock.arg("level").lower() == "readonly" and source.startswith(lock.arg("scope").lower())


def _order_after(after: list[PlanStep]) -> list[PlanStep]:
    """A ReadOnly lock goes back on a scope last: every step that writes under that scope comes first (tags,
    role assignments, IPs, peerings, jobs, disks, links, and what is made again in place when a move did
    not happen)."""
    out = []
    for s in after:
        if s.kind is StepKind.RESTORE_LOCK:
            scope = s.arg("scope").lower().rstrip("/")
            first = tuple(x.key for x in after if x.kind is not StepKind.RESTORE_LOCK and s.key not in x.after
                          and s.key not in x.ended
                          and (any(i == scope or i.startswith(scope + "/") for i in _written(x))
                               or _falls_back_under(x, s)))
            s = replace(s, ended=tuple(dict.fromkeys((*s.ended, *first))))
        out.append(s)
    return out


def _order_before(before: list[PlanStep]) -> list[PlanStep]:
    regroup = [s for s in before if s.kind in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK)]
    lifts = [x for x in before if x.kind is StepKind.LIFT_LOCK]
    out = []
    for s in before:
        after = list(s.after)
        if s.kind not in (StepKind.LIFT_LOCK, StepKind.REGISTER_PROVIDER):
            # Every write in a group (a NIC, a peering, a job, a disk, a move...) waits for the ReadOnly lock on
            # it, or on the subscription, to be lifted: Azure refuses writes and actions under a ReadOnly lock.
            mine = {s.group.lower(), s.arg("source_group").lower(), s.arg("resource_group").lower(), ""}
            after += [x.key for x in lifts if x.group.lower() in mine]
        if s.kind in (StepKind.DISASSOCIATE_IP, StepKind.DELETE_PEERING, StepKind.REMOVE_VNET_INTEGRATION,
                      StepKind.DETACH_NAT_GATEWAY):
            after += [r.key for r in regroup if r.group.lower() == s.group.lower()
                      or r.arg("source_group").lower() == s.group.lower()]
        if s.kind in SERVICE_BEFORE:  # the ids it records are those after the in-subscription moves
            after += [r.key for r in regroup]
        out.append(replace(s, after=tuple(dict.fromkeys(after))))
    return out
