"""Carrying out one step of a move plan's fixes or follow-through in Azure, and finding out whether a step
that was started before a crash already took effect (so a resumed plan never does a step twice).

Every step is one or a few ARM calls through the customer's tenant client; each is written so that a second
run after a crash finds the work done (`already_done`) instead of repeating it. The steps on locks,
providers, groups, networks and roles are here; those on resources (`carry_resources`) and on what Azure
refuses to move (`carry_services`) are registered from their modules.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from migration.azure.ports import (
    HasAuthorization,
    HasCompute,
    HasGroups,
    HasInventory,
    HasJobs,
    HasLocks,
    HasMoves,
    HasNetwork,
    HasProviders,
    HasResources,
    HasWeb,
)
from migration.fixes import carry_resources, carry_services
from migration.fixes.places import placed
from migration.model import ArmError, NotFound, Peering, ResourceId
from migration.model.plan import PlanStep, StepKind

_ALREADY = {"RoleAssignmentExists"}
_MOVE_IN_PROGRESS = "ResourceMoveInProgress"
_BUSY_RETRY_SECONDS = 1.0
_BUSY_LIMIT_SECONDS = 5 * 3600  # Azure holds groups for up to 4 hours


class FixAzure(HasLocks, HasProviders, HasMoves, HasInventory, HasGroups, HasNetwork, HasAuthorization,
               HasResources, HasJobs, HasCompute, HasWeb, Protocol):
    """Every family a fix step may use (each step's own function asks for its own)."""


Carry = Callable[[Any, PlanStep], Awaitable[None]]
Done = Callable[[Any, PlanStep], Awaitable[bool]]
# kind -> (carry it out, did it take effect), from the modules of each family of steps
_REGISTERED: dict[StepKind, tuple[Carry, Done]] = {**carry_resources.STEPS, **carry_services.STEPS}


def _peering(step: PlanStep) -> Peering:
    return Peering(vnet_id=step.arg("vnet"), name=step.arg("name"), remote_vnet_id=step.arg("remote"),
                   allow_virtual_network_access=step.arg("allow_access", "true") == "true",
                   allow_forwarded_traffic=step.arg("allow_forwarded") == "true",
                   allow_gateway_transit=step.arg("allow_gateway_transit") == "true",
                   use_remote_gateways=step.arg("use_remote_gateways") == "true")


async def carry_out(azure: FixAzure, step: PlanStep) -> None:
    """Do the step in Azure. Raises `ArmError` (the step failed) or `TenantAccessDenied` (wait for access)."""
    step = await placed(azure, step)
    kind = step.kind
    if kind is StepKind.LIFT_LOCK:
        await azure.locks.delete_lock(step.arg("scope"), name=step.arg("name"))
    elif kind is StepKind.RESTORE_LOCK:
        await azure.locks.create_lock(step.arg("scope"), name=step.arg("name"), level=step.arg("level"),
                                      notes=step.arg("notes") or None)
    elif kind is StepKind.REGISTER_PROVIDER:
        await azure.providers.register_provider(step.arg("subscription"), step.arg("namespace"))
    elif kind in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK):
        await _regroup(azure, step)
    elif kind in (StepKind.DISASSOCIATE_IP, StepKind.REASSOCIATE_IP):
        ip = step.arg("ip") if kind is StepKind.REASSOCIATE_IP else None
        await (await azure.network.begin_set_public_ip(step.arg("nic"), ip_configuration=step.arg("ipconfig"),
                                                       public_ip_id=ip)).wait()
    elif kind is StepKind.DELETE_PEERING:
        await (await azure.network.begin_delete_peering(step.arg("vnet"), step.arg("name"))).wait()
    elif kind is StepKind.RECREATE_PEERING:
        await (await azure.network.begin_create_peering(_peering(step))).wait()
    elif kind is StepKind.TAG_GROUP:
        group = ResourceId.parse(step.arg("group"))
        await azure.groups.update_tags(group.subscription, group.resource_group,
                                       tags=json.loads(step.arg("tags") or "{}"))
    elif kind is StepKind.ADD_ASSIGNABLE_SCOPE:
        await azure.authorization.add_assignable_scope(step.arg("role"), scope=step.arg("scope"))
    elif kind in _REGISTERED:
        await _REGISTERED[kind][0](azure, step)
    elif kind is StepKind.RECREATE_ASSIGNMENT:
        try:
            await azure.authorization.create_role_assignment(
                step.arg("scope"), name=step.arg("name"), role_definition_id=step.arg("role"),
                principal_id=step.arg("principal"), principal_type=step.arg("principal_type") or None,
                condition=step.arg("condition") or None, description=step.arg("description") or None)
        except ArmError as exc:
            if exc.code not in _ALREADY:
                raise
    else:  # pragma: no cover - every kind is handled above
        raise AssertionError(kind)


class _Regrouping(HasInventory, HasMoves, Protocol):
    pass


async def _regroup(azure: _Regrouping, step: PlanStep) -> None:
    """An in-subscription move, validated first, like the moves themselves. A move still running from
    before a restart holds the groups (ResourceMoveInProgress): wait for it, then see what is left."""
    subscription, source = step.arg("subscription"), step.arg("source_group")
    ids = [i for i in step.arg("ids").split() if i]
    target = str(ResourceId(subscription, step.arg("destination")))
    loop = asyncio.get_running_loop()
    since = loop.time()
    while True:
        remaining = await _still_in(azure, subscription, source, ids)
        if not remaining:
            return
        try:
            check = await azure.moves.begin_validate(subscription, source, resource_ids=remaining,
                                                     target_group_id=target)
            await check.wait()
            op = await azure.moves.begin_move(subscription, source, resource_ids=remaining, target_group_id=target)
            await op.wait()
            return
        except ArmError as exc:
            if exc.code != _MOVE_IN_PROGRESS or loop.time() - since > _BUSY_LIMIT_SECONDS:
                raise
            await asyncio.sleep(_BUSY_RETRY_SECONDS)


async def _still_in(azure: HasInventory, subscription: str, group: str, ids: list[str]) -> list[str]:
    here = {r.id.lower() for r in await azure.inventory.list_resources(subscription)
            if r.resource_group.lower() == group.lower()}
    return [i for i in ids if i.lower() in here]


async def already_done(azure: FixAzure, step: PlanStep) -> bool:
    """For a step that was started but not recorded as ended (the process died): did it take effect?"""
    step = await placed(azure, step)
    kind = step.kind
    if kind in (StepKind.LIFT_LOCK, StepKind.RESTORE_LOCK):
        scope, name = ResourceId.parse(step.arg("scope")), step.arg("name").lower()
        locks = await azure.locks.list_locks(scope.subscription)
        present = any(lk.scope.lower() == scope.key and lk.name.lower() == name for lk in locks)
        return not present if kind is StepKind.LIFT_LOCK else present
    if kind is StepKind.REGISTER_PROVIDER:
        providers = await azure.providers.list_providers(step.arg("subscription"))
        return any(p.namespace.lower() == step.arg("namespace").lower() and p.registered for p in providers)
    if kind in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK):
        ids = [i for i in step.arg("ids").split() if i]
        return not await _still_in(azure, step.arg("subscription"), step.arg("source_group"), ids)
    if kind in (StepKind.DISASSOCIATE_IP, StepKind.REASSOCIATE_IP):
        nic_id = ResourceId.parse(step.arg("nic"))
        nic = next((r for r in await azure.inventory.list_resources(nic_id.subscription)
                    if r.id.lower() == nic_id.key), None)
        if nic is None:
            return False
        configs = {str(c.get("name", "")).lower(): c for c in nic.properties.get("ipConfigurations") or []}
        config = configs.get(step.arg("ipconfig").lower()) or {}
        ip = str(((config.get("properties") or {}).get("publicIPAddress") or {}).get("id") or "")
        return not ip if kind is StepKind.DISASSOCIATE_IP else ip.lower() == step.arg("ip").lower()
    if kind in (StepKind.DELETE_PEERING, StepKind.RECREATE_PEERING):
        try:
            peering = await azure.network.get_peering(step.arg("vnet"), step.arg("name"))
        except NotFound:
            return kind is StepKind.DELETE_PEERING
        if kind is StepKind.DELETE_PEERING:
            return False
        return peering.remote_vnet_id.lower() == step.arg("remote").lower()
    if kind is StepKind.TAG_GROUP:
        group = ResourceId.parse(step.arg("group"))
        groups = await azure.groups.list_groups(group.subscription)
        found = next((g for g in groups if g.name.lower() == group.resource_group.lower()), None)
        wanted = json.loads(step.arg("tags") or "{}")
        return found is not None and all(found.tags.get(k) == v for k, v in wanted.items())
    if kind is StepKind.ADD_ASSIGNABLE_SCOPE:
        return False  # reading and writing the role is one idempotent step: doing it again changes nothing
    if kind in _REGISTERED:
        return await _REGISTERED[kind][1](azure, step)
    if kind is StepKind.RECREATE_ASSIGNMENT:
        assignments = await azure.authorization.list_role_assignments(ResourceId.parse(step.arg("scope")).subscription)
        return any(a.name.lower() == step.arg("name").lower() for a in assignments)
    raise AssertionError(kind)  # pragma: no cover
