"""The tags of a scope (a subscription, a group or a resource) through Microsoft.Resources/tags: read, and
merged in (a tag of the same name takes the new value; the others stay)."""

from __future__ import annotations

from azure.mgmt.resource.resources import models as rm

from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.azure.operations import ArmOperation
from migration.model import ResourceId


class ArmTags:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="scope")
    async def get_tags(self, scope: ResourceId | str) -> dict[str, str]:
        where = ResourceId.of(scope)
        found = await self._clients.resources(where.subscription).tags.get_at_scope(_path(where))
        return dict((found.properties.tags if found.properties else None) or {})

    @maps_errors(write=True, about="scope")
    async def begin_merge_tags(self, scope: ResourceId | str, *, tags: dict[str, str]) -> ArmOperation[None]:
        where = ResourceId.of(scope)
        poller = await self._clients.resources(where.subscription).tags.begin_update_at_scope(
            _path(where), rm.TagsPatchResource(operation=rm.TagsPatchOperation.MERGE, properties=rm.Tags(tags=tags)))
        return ArmOperation(poller, where)


def _path(scope: ResourceId) -> str:
    """The scope as the SDK's `/{scope}/providers/...` template takes it: without its leading slash (it is sent
    unquoted, as the REST spec says)."""
    return str(scope).lstrip("/")
