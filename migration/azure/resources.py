"""Resources by id, whatever their provider: the jobs, disks, restore point collections, linked services, SQL
VM registrations, certificates and host name bindings some fixes read, change, delete or make again.

A generic call needs the provider's api-version: `RESOURCE_APIS` holds those of the types the bot changes.
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.resource.resources import models as rm

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.azure.operations import ArmOperation
from migration.model import Resource, ResourceId

LINKED_SERVICES_API = "2020-08-01"  # a workspace's linked services
# Top-level type -> its provider's api-version (a child resource uses its parent's).
RESOURCE_APIS = {"microsoft.streamanalytics/streamingjobs": "2020-03-01",
                 "microsoft.compute/disks": "2024-03-02",
                 "microsoft.compute/restorepointcollections": "2024-03-01",
                 # a workspace's linked services, SQL VM registrations, certificates and host name bindings
                 "microsoft.operationalinsights/workspaces": LINKED_SERVICES_API,
                 "microsoft.sqlvirtualmachine/sqlvirtualmachines": "2022-02-01",
                 "microsoft.web/certificates": "2022-09-01", "microsoft.web/sites": "2022-09-01"}


def api_of(resource_id: ResourceId) -> str:
    api = RESOURCE_APIS.get(resource_id.top_level.type.lower())
    if api is None:
        raise ValueError(f"no api-version known for '{resource_id}'")
    return api


class ArmResources:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="resource_id")
    async def get_resource(self, resource_id: ResourceId | str, *, api_version: str | None = None) -> Resource:
        """A resource or child resource as its provider answers now; `NotFound` once it is gone."""
        rid = ResourceId.of(resource_id)
        row = await self._clients.pipeline().get_json(str(rid), api_version=api_version or api_of(rid))
        return convert.resource({**row, "id": row.get("id") or str(rid), "subscriptionId": rid.subscription})

    @maps_errors(write=True, about="resource_id")
    async def begin_create_or_update(self, resource_id: ResourceId | str, *, location: str | None,
                                     properties: dict[str, Any], api_version: str | None = None,
                                     wait_first: bool = False) -> ArmOperation[Resource]:
        """Create (or update) a resource by id; the operation's result is the resource as its provider made it.
        `wait_first`: the first status poll waits the job's Retry-After (a job known to take a while)."""
        rid = ResourceId.of(resource_id)
        body: dict[str, Any] = {"properties": properties}
        if location:
            body["location"] = location
        poller = await self._clients.resources(rid.subscription).resources.begin_create_or_update_by_id(
            str(rid), body, api_version=api_version or api_of(rid), polling=self._polling(wait_first))
        return ArmOperation(poller, rid, convert=lambda found: convert.generic(found, rid))

    @maps_errors(write=True, about="resource_id")
    async def begin_delete(self, resource_id: ResourceId | str, *, api_version: str | None = None,
                           wait_first: bool = False) -> ArmOperation[None]:
        """Delete a resource by id; one already gone is not an error."""
        rid = ResourceId.of(resource_id)
        poller = await self._clients.resources(rid.subscription).resources.begin_delete_by_id(
            str(rid), api_version=api_version or api_of(rid), polling=self._polling(wait_first))
        return ArmOperation(poller, rid)

    @maps_errors(write=True, about="resource_id")
    async def begin_update(self, resource_id: ResourceId | str, *, properties: dict[str, Any]) -> ArmOperation[None]:
        """PATCH some of a resource's properties (the first status poll waits the job's Retry-After)."""
        rid = ResourceId.of(resource_id)
        poller = await self._clients.resources(rid.subscription).resources.begin_update_by_id(
            str(rid), rm.GenericResource(properties=properties), api_version=api_of(rid),
            polling=self._polling(True))
        return ArmOperation(poller, rid)

    @maps_errors(write=True, about="resource_id")
    async def begin_action(self, resource_id: ResourceId | str, action: str, *,
                           body: dict[str, Any] | None = None) -> ArmOperation[None]:
        """A provider's POST action (`…/stop`, `…/start`): the SDK's generic resources have none."""
        rid = ResourceId.of(resource_id)
        return await self._clients.pipeline().begin("POST", f"{rid}/{action}", api_version=api_of(rid), body=body,
                                                    about=rid)

    def _polling(self, wait_first: bool) -> Any:
        # True: what the SDK's begin_* builds by default.
        return self._clients.pipeline().polling() if wait_first else True
