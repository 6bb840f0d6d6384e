"""A subscription's resource groups: listed, created for a move's target, and tagged."""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources import models as rm

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model import ResourceGroup


class ArmResourceGroups:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="subscription_id")
    async def list_groups(self, subscription_id: str) -> list[ResourceGroup]:
        client = self._clients.resources(subscription_id)
        return [convert.group(g, subscription_id) async for g in client.resource_groups.list()]

    @maps_errors(write=True, about="subscription_id")
    async def ensure_group(self, subscription_id: str, name: str, *, location: str) -> ResourceGroup:
        """The group, created (empty, in `location`) when it does not exist."""
        client = self._clients.resources(subscription_id)
        try:
            # An existing group is returned unchanged (and a write to a group held by a move is avoided).
            return convert.group(await client.resource_groups.get(name), subscription_id)
        except ResourceNotFoundError:
            pass
        created = await client.resource_groups.create_or_update(name, rm.ResourceGroup(location=location))
        return convert.group(created, subscription_id)

    @maps_errors(write=True, about="subscription_id")
    async def update_tags(self, subscription_id: str, name: str, *, tags: dict[str, str]) -> ResourceGroup:
        """Add `tags` to a group's tags (a tag of the same name takes the new value)."""
        client = self._clients.resources(subscription_id)
        group = await client.resource_groups.get(name)
        merged = {**(group.tags or {}), **tags}
        updated = await client.resource_groups.create_or_update(
            name, rm.ResourceGroup(location=group.location, tags=merged, managed_by=group.managed_by))
        return convert.group(updated, subscription_id)
