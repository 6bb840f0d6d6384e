"""Settings made on a subscription itself that are resources of their own provider at subscription scope
(`/subscriptions/{id}/providers/{type}/{name}`): budgets, the diagnostic settings that export its
Activity Log, Defender for Cloud's plans and security contacts. Listed, read and created; no move of resource groups
carries them, so the fixes re-create them on the target subscription.

Each type's api-version is in `SETTING_APIS`.
"""

from __future__ import annotations

from typing import Any

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model import Resource, ResourceId

# Lower-case type -> its provider's api-version.
SETTING_APIS = {"microsoft.consumption/budgets": "2024-08-01",
                "microsoft.insights/diagnosticsettings": "2021-05-01-preview",
                "microsoft.security/pricings": "2024-01-01",
                "microsoft.security/securitycontacts": "2023-12-01-preview"}


def _api(type_: str) -> str:
    api = SETTING_APIS.get(type_.lower())
    if api is None:
        raise ValueError(f"no api-version known for subscription setting '{type_}'")
    return api


class ArmSettings:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="subscription_id")
    async def list_settings(self, subscription_id: str, type_: str) -> list[Resource]:
        """The subscription's settings of one type (those made on it, not on its groups)."""
        path = f"/subscriptions/{subscription_id}/providers/{type_}"
        own = f"/subscriptions/{subscription_id}/providers/".lower()
        return [convert.resource({**row, "subscriptionId": subscription_id})
                async for row in self._clients.pipeline().pages(path, api_version=_api(type_))
                if str(row.get("id", "")).lower().startswith(own)]

    @maps_errors(about="setting_id")
    async def get_setting(self, setting_id: ResourceId | str) -> Resource:
        """One setting as its provider holds it now; `NotFound` when there is none of that name."""
        sid = ResourceId.of(setting_id)
        row = await self._clients.pipeline().get_json(str(sid), api_version=_api(sid.type))
        return convert.resource({**row, "id": row.get("id") or str(sid), "subscriptionId": sid.subscription})

    @maps_errors(write=True, about="setting_id")
    async def create_setting(self, setting_id: ResourceId | str, *, properties: dict[str, Any]) -> Resource:
        """Create a setting of that name (with no eTag: a provider that keeps one refuses to overwrite a setting
        of that name made meanwhile; one that keeps none replaces it)."""
        sid = ResourceId.of(setting_id)
        answer = await self._clients.pipeline().send("PUT", str(sid), api_version=_api(sid.type),
                                                     body={"properties": properties}, ok=(200, 201))
        row: dict[str, Any] = answer.json()
        return convert.resource({**row, "id": row.get("id") or str(sid), "subscriptionId": sid.subscription})
