"""Role assignments: those made on the moved groups and resources do not travel, so they are read at plan
time and re-created on the new scopes (principal, role, condition, description; a custom role first made
assignable there) under names derived from the request, so a second attempt finds its own assignment
instead of making another. Those on a resource an in-subscription fix moves are dropped by that move too:
they are re-created where the resource ends. Those made on the source subscription itself are a setting of
the subscription that no move carries: they are re-created on the target subscription once every move
succeeded. Inherited ones (management group, root) stay where they are."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from migration.azure.ports import HasAuthorization
from migration.fixes.facts import PlanFacts, Relocation, args, scope_name
from migration.fixes.family import Add, FixFamily, Specs, Steps, StepSpec
from migration.model import ArmError, GroupMove, ResourceId, RoleAssignment
from migration.model.plan import PlanStep, StepKind

_ALREADY = {"RoleAssignmentExists"}


def _follow_through(facts: PlanFacts, moves: Relocation, steps: Steps, specs: Specs, add: Add) -> None:
    """Assignments on what an in-subscription fix moves follow it to its final scope; the others go to the
    new scope of the group or resource they were made on."""
    moved = regrouped(list(steps.values()), specs)
    for a in snapshot([a for a in facts.assignments if regrouped_from(moved, a.scope) is None], facts.groups,
                      facts.source_subscription_id):
        target_group = moves.group_target(a.scope)
        new_scope = target_group.target_group_id if target_group is not None else moves.new_id(a.scope)
        group = target_group or moves.group_for(a.scope)
        if group is None:
            continue
        _recreate(facts, a, new_scope, group.source_group, (f"move:{group.source_group}",), add)
    follow_regrouped(facts, moves, moved, add)
    target = f"/subscriptions/{facts.target_subscription_id}"
    for a in at_subscription(facts.assignments, facts.source_subscription_id):
        if not _held(facts.target_assignments, a, target):
            _recreate(facts, a, target, "", moves.every_move, add)


def _recreate(facts: PlanFacts, a: RoleAssignment, new_scope: str, served: str, after: tuple[str, ...],
              add: Add) -> None:
    """Re-create `a` on `new_scope` once `after` succeeded (a custom role first made assignable there)."""
    custom = facts.definitions.get(a.role_guid.lower())
    role_name = custom.role_name if custom else a.role_guid
    if custom is not None and custom.custom and not _covers_any(custom.assignable_scopes, new_scope):
        # Once the move it serves happened: a move that fails leaves the role as it was. One step a group
        # served (a second one finds the scope there and changes nothing).
        widen = PlanStep(f"add_assignable_scope:{a.role_guid}:{served}".lower(), StepKind.ADD_ASSIGNABLE_SCOPE,
                         served, args(role=a.role_definition_id, role_name=custom.role_name,
                                      scope=ResourceId.parse(new_scope).subscription_scope), after=after)
        add(widen)
        after = (*after, widen.key)
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"recreate/{facts.plan_id}/{a.id}".lower()))
    add(PlanStep(f"recreate_assignment:{new_scope}/{a.name}".lower(), StepKind.RECREATE_ASSIGNMENT, served,
                 args(scope=new_scope, name=name, role=a.role_definition_id, role_name=role_name,
                      principal=a.principal_id, principal_type=a.principal_type, condition=a.condition,
                      description=a.description, source_scope=a.scope, scope_name=scope_name(new_scope, facts)),
                 after=after))


def _held(assignments: Iterable[RoleAssignment], wanted: RoleAssignment, scope: str) -> bool:
    """Whether the principal already holds that role on `scope` (made there or above it, with no condition or the
    same one): nothing to make again (the bot's own access to the target, often)."""
    return any(a.principal_id.lower() == wanted.principal_id.lower() and a.role_guid.lower() == wanted.role_guid.lower()
               and (a.condition or None) in (None, wanted.condition or None) and _covers_any((a.scope,), scope)
               for a in assignments)


def _covers_any(scopes: Iterable[str], scope: str) -> bool:
    """Whether a role's assignable scopes (`/`, a management group, subscriptions...) include `scope`."""
    low = scope.lower()
    return any(low == s.lower().rstrip("/") or low.startswith(s.lower().rstrip("/") + "/") for s in scopes)


def snapshot(assignments: Iterable[RoleAssignment], groups: Sequence[GroupMove],
             source_subscription_id: str) -> list[RoleAssignment]:
    """The role assignments made directly on each moved group or on a moved resource (or below it): the
    ones that do not travel. Inherited ones (subscription, management group) stay where they are."""
    group_ids = {ResourceId(source_subscription_id, g.source_group).key for g in groups}
    prefixes = [rid.lower() for g in groups for rid in g.resource_ids]
    out = []
    for a in assignments:
        low = a.scope.lower().rstrip("/")
        if low in group_ids or any(low == p or low.startswith(p + "/") for p in prefixes):
            out.append(a)
    return out


def at_subscription(assignments: Iterable[RoleAssignment], subscription_id: str) -> list[RoleAssignment]:
    """The role assignments made on the subscription itself (not inherited from above it, not below it)."""
    own = f"/subscriptions/{subscription_id}".lower()
    return [a for a in assignments if a.scope.lower().rstrip("/") == own]


def regrouped(steps: Sequence[PlanStep], specs: Specs) -> dict[str, PlanStep]:
    """Lower-case id of each resource an in-subscription fix moves -> that fix's step."""
    return {rid.lower(): s for s in steps if specs[s.kind].regroups for rid in s.arg("ids").split()}


def regrouped_from(moved: Mapping[str, PlanStep], scope: str) -> tuple[str, PlanStep] | None:
    """For a scope at or below a resource an in-subscription fix moves: that resource's id and the fix."""
    low = scope.lower().rstrip("/")
    for rid, step in moved.items():
        if low == rid or low.startswith(rid + "/"):
            return rid, step
    return None


def follow_regrouped(facts: PlanFacts, moves: Relocation, moved: Mapping[str, PlanStep], add: Add) -> None:
    """An in-subscription fix moves a resource before the moves, and Azure drops the role assignments made
    on it (and below it). Each is re-created where the resource ends: the group of the target subscription
    its destination group moves to, or the destination group itself when that group stays. Assignments it
    only inherited (from its group or above) are not copied onto it."""
    for a in facts.assignments:
        found = regrouped_from(moved, a.scope)
        if found is None:
            continue
        _, step = found
        scope = ResourceId.parse(a.scope)
        in_source = str(scope.in_group(ResourceId(scope.subscription, step.group)))  # in the destination group
        group = moves.group_for(in_source)
        final = moves.new_id(in_source) if group is not None else in_source
        served = group.source_group if group is not None else step.group
        after = (step.key, *((f"move:{group.source_group}",) if group is not None else ()))
        _recreate(facts, a, final, served, after, add)



async def _add_scope(azure: HasAuthorization, step: PlanStep) -> None:
    await azure.authorization.add_assignable_scope(step.arg("role"), scope=step.arg("scope"))


async def _never_done(azure: HasAuthorization, step: PlanStep) -> bool:
    return False  # reading and writing the role is one idempotent step: doing it again changes nothing


async def _create(azure: HasAuthorization, step: PlanStep) -> None:
    try:
        await azure.authorization.create_role_assignment(
            step.arg("scope"), name=step.arg("name"), role_definition_id=step.arg("role"),
            principal_id=step.arg("principal"), principal_type=step.arg("principal_type") or None,
            condition=step.arg("condition") or None, description=step.arg("description") or None)
    except ArmError as exc:
        if exc.code not in _ALREADY:
            raise


async def _created(azure: HasAuthorization, step: PlanStep) -> bool:
    assignments = await azure.authorization.list_role_assignments(ResourceId.parse(step.arg("scope")).subscription)
    return any(a.name.lower() == step.arg("name").lower() for a in assignments)


FAMILY = FixFamily(
    name="role_assignments",
    follow_through=_follow_through,
    # Adding a scope writes the role definition, not under the scope it adds.
    steps=(StepSpec(StepKind.ADD_ASSIGNABLE_SCOPE, _add_scope, _never_done, writes_scopes=False),
           StepSpec(StepKind.RECREATE_ASSIGNMENT, _create, _created)),
)
