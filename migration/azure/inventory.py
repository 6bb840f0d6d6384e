"""A subscription's inventory: every resource through Resource Graph, 1000 rows a call, and what Resource Graph
does not hold (a workspace's linked services)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.azure.ports import ProgressCallback
from migration.azure.resources import LINKED_SERVICES_API
from migration.azure.subscriptions import ArmSubscriptions
from migration.model import Resource, ResourceId

GRAPH_PAGE = 1000  # Resource Graph's maximum page size: one call per 1000 rows
GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
GRAPH_API = "2021-03-01"  # what azure-mgmt-resourcegraph 8 asks for
INVENTORY_QUERY = (
    "Resources | project id, name, type, location, resourceGroup, subscriptionId, kind, sku, plan, "
    "properties, tags, identity, managedBy, zones | order by id asc"
)
# Site Recovery replicated items and backup items live in their own Resource Graph table.
RECOVERY_QUERY = (
    "recoveryservicesresources | where type startswith 'microsoft.recoveryservices/vaults/' | project id, name, "
    "type, location, resourceGroup, subscriptionId, properties | order by id asc"
)


class ArmInventory:
    def __init__(self, clients: TenantClients, subscriptions: ArmSubscriptions) -> None:
        self._clients = clients
        self._subscriptions = subscriptions

    async def list_resources(self, subscription_id: str, *,
                             on_progress: ProgressCallback | None = None) -> list[Resource]:
        """Every resource (including child and classic ones); `on_progress` is told after each page."""
        return await self._rows(subscription_id, INVENTORY_QUERY, on_progress)

    async def list_recovery_items(self, subscription_id: str) -> list[Resource]:
        """Site Recovery replicated items and backup items (Resource Graph's recoveryservicesresources)."""
        return await self._rows(subscription_id, RECOVERY_QUERY, None)

    @maps_errors(about="workspace_id")
    async def list_linked_services(self, workspace_id: str) -> list[Resource]:
        """A Log Analytics workspace's linked services (an ARM read; Resource Graph does not list them)."""
        workspace = ResourceId.parse(workspace_id)
        response = await self._clients.pipeline().send("GET", f"{workspace}/linkedServices",
                                                       api_version=LINKED_SERVICES_API, ok=(200, 404))
        if response.status_code == 404:
            return []
        rows = response.json().get("value") or []
        return [convert.resource({**row, "subscriptionId": workspace.subscription}) for row in rows]

    async def _rows(self, subscription_id: str, query: str, on_progress: ProgressCallback | None) -> list[Resource]:
        out: list[Resource] = []
        async for page in self._pages(subscription_id, query):
            out.extend(convert.resource(row) for row in page.get("data") or [])
            if on_progress is not None:
                await on_progress(len(out), page.get("totalRecords"))
        if not out:
            # Resource Graph leaves out subscriptions the caller may not read instead of refusing: an empty
            # answer is only believed once ARM confirms the subscription can be read (else RoleMissing), so
            # lost access never reads as "everything moved".
            await self._subscriptions.get_subscription(subscription_id)
        return out

    @maps_errors(about="subscription_id")
    async def _pages(self, subscription_id: str, query: str) -> AsyncIterator[dict[str, Any]]:
        """Resource Graph's pages as plain JSON. Not through the SDK's `resources` operation, whose model
        deserializer walks every cell of `data` (an untyped object): about a third of the inventory's CPU for
        rows that are plain JSON already. A query is a read although it is a POST: the retry policy
        (`migration.azure.pacing`) sends it again after a lost answer, and waits out a 429 by the quota's
        reset time when Retry-After is missing."""
        skip_token: str | None = None
        while True:
            options: dict[str, Any] = {"$top": GRAPH_PAGE, "resultFormat": "objectArray", "allowPartialScopes": False}
            if skip_token:
                options["$skipToken"] = skip_token
            body = {"subscriptions": [subscription_id], "query": query, "options": options}
            page: dict[str, Any] = (await self._clients.pipeline().send(
                "POST", GRAPH_PATH, api_version=GRAPH_API, body=body)).json()
            yield page
            skip_token = page.get("$skipToken")
            if not skip_token:
                return
