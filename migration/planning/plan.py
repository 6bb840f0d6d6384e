"""A move plan's groups and steps from what Azure says at plan time: the facts read once (inventory,
groups, locks, role assignments, custom roles, the source subscription's own settings, linked services), the
fixes planned from them, the groups a fix the bot cannot make now holds back, and the groups as the
in-subscription fixes leave them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from migration.azure.ports import HasAuthorization, HasGroups, HasInventory, HasLocks, HasSettings, HasTags
from migration.fixes.choice import regroup
from migration.fixes.families import REGROUP_ACTIONS, deleted_before, reads
from migration.fixes.families.budgets import BUDGETS
from migration.fixes.families.defender import CONTACTS, PRICINGS
from migration.fixes.families.diagnostic_settings import DIAGNOSTIC_SETTINGS
from migration.fixes.families.role_assignments import at_subscription, snapshot
from migration.fixes.family import PlanRead
from migration.fixes.plan import PlanFacts, plan_fixes
from migration.model import GroupMove, NotFound, Resource, ResourceId, RoleDefinition
from migration.model.plan import ChosenFix, FixPlan


class PlanReads(HasInventory, HasGroups, HasLocks, HasAuthorization, HasTags, HasSettings, Protocol):
    """What planning reads in the customer's tenant (it changes nothing)."""


async def read_facts(azure: PlanReads, *, source_subscription_id: str,
                     target_subscription_id: str, groups: tuple[GroupMove, ...], plan_id: str,
                     regrouped: Sequence[str] = ()) -> PlanFacts:
    """What planning the fixes needs, read from Azure at plan time: the source inventory and groups, the locks
    of both subscriptions, the role assignments of both, the custom roles those of the source use (on the
    source subscription itself, on the moved groups and resources, and on `regrouped`: resources
    in-subscription fixes move, wherever they are), and the settings made on the source subscription itself
    (tags, budgets, diagnostic settings, Defender for Cloud's plans and contacts)."""
    resources = await azure.inventory.list_resources(source_subscription_id)
    source_groups = await azure.groups.list_groups(source_subscription_id)
    locks = [*await azure.locks.list_locks(source_subscription_id),
             *await azure.locks.list_locks(target_subscription_id)]
    assignments = await azure.authorization.list_role_assignments(source_subscription_id)
    definitions: dict[str, RoleDefinition] = {}
    moved_in_source = [i.lower() for i in regrouped]
    kept = [*snapshot(assignments, groups, source_subscription_id),
            *at_subscription(assignments, source_subscription_id),
            *(a for a in assignments if any(a.scope.lower() == i or a.scope.lower().startswith(i + "/")
                                            for i in moved_in_source))]
    for a in kept:
        if a.role_guid.lower() in definitions:
            continue
        try:
            definitions[a.role_guid.lower()] = await azure.authorization.get_role_definition(
                a.role_definition_id, scope=ResourceId(source_subscription_id))
        except NotFound:
            continue  # a role deleted since: re-creating the assignment will say so
    wanted = {g.source_group.lower() for g in groups}
    target_assignments = await azure.authorization.list_role_assignments(target_subscription_id)
    return PlanFacts(
        source_subscription_id=source_subscription_id, target_subscription_id=target_subscription_id,
        groups=groups, group_tags={g.name: dict(g.tags) for g in source_groups if g.name.lower() in wanted},
        resources=tuple(resources), locks=tuple(locks), assignments=tuple(assignments), definitions=definitions,
        target_assignments=tuple(target_assignments),
        plan_id=plan_id, **await _subscription_settings(azure, source_subscription_id))


async def _subscription_settings(azure: PlanReads, subscription_id: str) -> dict[str, Any]:
    """What is set on the subscription itself, which no move of its groups carries (PlanFacts' fields)."""
    return {"subscription_tags": await azure.tags.get_tags(f"/subscriptions/{subscription_id}"),
            "budgets": tuple(await azure.settings.list_settings(subscription_id, BUDGETS)),
            "diagnostic_settings": tuple(await azure.settings.list_settings(subscription_id, DIAGNOSTIC_SETTINGS)),
            "defender_plans": tuple(await azure.settings.list_settings(subscription_id, PRICINGS)),
            "security_contacts": tuple(await azure.settings.list_settings(subscription_id, CONTACTS))}


async def plan_with_fixes(azure: PlanReads, *, source_subscription_id: str,
                          target_subscription_id: str, groups: tuple[GroupMove, ...], chosen: Sequence[ChosenFix],
                          plan_id: str) -> tuple[tuple[GroupMove, ...], FixPlan]:
    """The request's groups as they will stand after the in-subscription fixes (without the groups a fix the
    bot cannot make now holds back), and the steps around the moves, from what Azure says now."""
    regrouped = [i for c in chosen if c.action in REGROUP_ACTIONS for i in c.resource_ids]
    facts = await read_facts(azure, source_subscription_id=source_subscription_id,
                             target_subscription_id=target_subscription_id, groups=groups, plan_id=plan_id,
                             regrouped=regrouped)
    facts = replace(facts, linked_services=await _linked_services(azure, reads(chosen, PlanRead.LINKED_SERVICES)))
    if reads(chosen, PlanRead.TARGET_RESOURCES):
        # A disk goes back on a customer-managed key only with an encryption set the target has.
        facts = replace(facts, target_resources=tuple(await azure.inventory.list_resources(target_subscription_id)))
    first = plan_fixes(facts, chosen)
    # A fix the bot would make but cannot now (a disk a running VM uses) holds its group: plan without that
    # group, from the same facts, and keep the fix (reason and command) for the engineer.
    holding = tuple(m for m in first.manual if m.holds)
    held = {m.group.lower() for m in holding} & {g.source_group.lower() for g in groups}
    if held:
        groups = tuple(g for g in groups if g.source_group.lower() not in held)
        chosen = [c for c in chosen if c.group.lower() not in held]
        facts = replace(facts, groups=groups)
        first = plan_fixes(facts, chosen)
    moved = _without(regroup(groups, first.steps), deleted_before(first.steps))
    if moved != groups:
        # Follow-through is for the groups that really move: plan again once the regrouping is known.
        first = plan_fixes(replace(facts, groups=moved), chosen)
    return moved, replace(first, manual=(*first.manual, *(m for m in holding if m.group.lower() in held)))


async def _linked_services(azure: HasInventory, chosen: Sequence[ChosenFix]) -> tuple[Resource, ...]:
    """The linked services (Automation links) of the workspaces these fixes name, as Azure holds them now
    (Resource Graph does not list them)."""
    out: list[Resource] = []
    named = [ResourceId.parse(i) for c in chosen for i in c.resource_ids if ResourceId.is_valid(i)]
    workspaces = {w.key: w for w in named if w.is_top_level and w.type.lower() == _WORKSPACE}
    for workspace in workspaces.values():
        out += await azure.inventory.list_linked_services(str(workspace))
    return tuple(out)


_WORKSPACE = "microsoft.operationalinsights/workspaces"


def _without(groups: tuple[GroupMove, ...], deleted: frozenset[str]) -> tuple[GroupMove, ...]:
    """The groups without the resources deleted before the moves (a group left empty drops out)."""
    if not deleted:
        return groups
    out = tuple(replace(g, resource_ids=tuple(i for i in g.resource_ids if i.lower() not in deleted))
                for g in groups)
    return tuple(g for g in out if g.resource_ids)
