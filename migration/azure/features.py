"""Microsoft.Features: a subscription's preview features and their state (`Features_ListAll`, api-version
2021-07-01, learn.microsoft.com/azure/azure-resource-manager/management/preview-features)."""

from __future__ import annotations

from urllib.parse import quote

from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model.capacity import Feature

FEATURES_API = "2021-07-01"


class ArmFeatures:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="subscription_id")
    async def list_features(self, subscription_id: str) -> list[Feature]:
        path = f"/subscriptions/{quote(subscription_id, safe='')}/providers/Microsoft.Features/features"
        out = []
        async for f in self._clients.pipeline().pages(path, api_version=FEATURES_API):
            namespace, _, name = str(f.get("name") or "").partition("/")
            out.append(Feature(namespace, name, str((f.get("properties") or {}).get("state") or "")))
        return out
