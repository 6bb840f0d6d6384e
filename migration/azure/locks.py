"""Management locks: a subscription's (on it, its groups and its resources), and lifting or putting back one.

Writes go through the gateway's own pipeline, to `{scope}/providers/Microsoft.Authorization/locks/{name}`
with the scope's slashes as they are. azure-mgmt-resource-locks 1.0.0's `*_by_scope` operations
percent-encode the scope (`/subscriptions%2F...`) although Microsoft's REST spec marks it
`x-ms-skip-url-encoding`, and ARM answers such a path with an error; its resource-level operations write a
top-level resource's empty parent path as `//`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model import Lock, ResourceId

LOCKS_API = "2020-05-01"  # what azure-mgmt-resource-locks 1.0.0 asks for


def _lock_path(scope: ResourceId, name: str) -> str:
    return str(scope.child("locks", quote(name, safe=""), namespace="Microsoft.Authorization"))


def _lock(body: dict[str, Any]) -> Lock:
    properties = body.get("properties") or {}
    return Lock(id=str(body["id"]), name=str(body.get("name") or ""), level=str(properties.get("level") or ""),
                scope=str(ResourceId.parse(str(body["id"])).parent), notes=properties.get("notes") or None)


class ArmLocks:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="subscription_id")
    async def list_locks(self, subscription_id: str) -> list[Lock]:
        """Every lock in the subscription: on it, on its groups, on its resources."""
        client = self._clients.locks(subscription_id)
        return [convert.lock(found) async for found in client.management_locks.list_at_subscription_level()]

    @maps_errors(write=True, about="scope")
    async def create_lock(self, scope: ResourceId | str, *, name: str, level: str, notes: str | None) -> Lock:
        """Create (or update) the lock `name` on a subscription, group or resource."""
        properties: dict[str, Any] = {"level": level}
        if notes:
            properties["notes"] = notes
        response = await self._clients.pipeline().send(
            "PUT", _lock_path(ResourceId.of(scope), name), api_version=LOCKS_API, body={"properties": properties},
            ok=(200, 201))
        return _lock(response.json())

    @maps_errors(write=True, about="scope")
    async def delete_lock(self, scope: ResourceId | str, *, name: str) -> None:
        """Delete the lock `name` on a scope; a lock already gone is not an error."""
        await self._clients.pipeline().send("DELETE", _lock_path(ResourceId.of(scope), name), api_version=LOCKS_API,
                                            ok=(200, 204))
