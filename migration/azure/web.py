"""An App Service app's regional VNet integration: Microsoft.Web's `networkConfig/virtualNetwork`, a child
setting of the app written as a generic resource with Microsoft.Web's api-version."""

from __future__ import annotations

from migration.azure.operations import ArmOperation
from migration.azure.resources import ArmResources
from migration.model import Resource, ResourceId

WEB_API = "2023-12-01"  # Microsoft.Web: an app's networkConfig


def _integration(site_id: ResourceId | str) -> ResourceId:
    return ResourceId.of(site_id).child("networkConfig", "virtualNetwork")


class ArmWeb:
    def __init__(self, resources: ArmResources) -> None:
        self._resources = resources

    async def get_vnet_integration(self, site_id: ResourceId | str) -> str:
        """The subnet id the app is integrated with ("" when none)."""
        found = await self._resources.get_resource(_integration(site_id), api_version=WEB_API)
        return str(found.properties.get("subnetResourceId") or "")

    async def begin_set_vnet_integration(self, site_id: ResourceId | str, *, subnet_id: str) -> ArmOperation[Resource]:
        return await self._resources.begin_create_or_update(
            _integration(site_id), location=None, properties={"subnetResourceId": subnet_id, "swiftSupported": True},
            api_version=WEB_API, wait_first=True)

    async def begin_remove_vnet_integration(self, site_id: ResourceId | str) -> ArmOperation[None]:
        return await self._resources.begin_delete(_integration(site_id), api_version=WEB_API, wait_first=True)
