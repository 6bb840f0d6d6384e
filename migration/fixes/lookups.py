"""Reads and writes by resource id that several families' steps share: whether a resource is there, a generic
PUT or DELETE that waits for Azure to finish, where a follow-through step makes its resource again, and a
subscription's own setting of a name (or None)."""

from __future__ import annotations

from migration.azure.ports import HasInventory, HasResources, HasSettings
from migration.model import NotFound, Resource, ResourceId
from migration.model.plan import PlanStep


async def get(azure: HasResources, resource_id: str) -> Resource | None:
    try:
        return await azure.resources.get_resource(resource_id)
    except NotFound:
        return None


async def setting(azure: HasSettings, setting_id: str) -> Resource | None:
    try:
        return await azure.settings.get_setting(setting_id)
    except NotFound:
        return None


async def put(azure: HasResources, resource_id: str, *, location: str | None, properties: dict[str, str]) -> Resource:
    return await (await azure.resources.begin_create_or_update(resource_id, location=location,
                                                               properties=properties)).wait()


async def delete(azure: HasResources, resource_id: str) -> None:
    await (await azure.resources.begin_delete(resource_id)).wait()


async def exists(azure: HasInventory, resource_id: str) -> bool:
    """Whether the inventory holds the resource (by id, case-insensitively)."""
    rid = ResourceId.parse(resource_id)
    return any(r.id.lower() == rid.key for r in await azure.inventory.list_resources(rid.subscription))


async def still_in(azure: HasInventory, subscription: str, group: str, ids: list[str]) -> list[str]:
    """Those of `ids` the inventory lists in `group`."""
    here = {r.id.lower() for r in await azure.inventory.list_resources(subscription)
            if r.resource_group.lower() == group.lower()}
    return [i for i in ids if i.lower() in here]


async def side_of(azure: HasInventory, step: PlanStep, anchor: str) -> str:
    """Where a follow-through step makes its resource again: "" at the moved `anchor` (the workspace, VM or
    plan it belongs to) when that exists, "_source" where it was when the move did not happen."""
    moved, stayed = step.arg(anchor), step.arg(anchor + "_source")
    if not stayed or await exists(azure, moved):
        return ""
    return "_source" if await exists(azure, stayed) else ""

