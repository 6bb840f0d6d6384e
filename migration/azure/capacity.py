"""Microsoft.Compute's capacity of a subscription: vCPU usage and limits per region and family
(`…/locations/{location}/usages`, api-version 2024-07-01) and the VM sizes of a region with their family and
vCPUs (Resource SKUs, `…/providers/Microsoft.Compute/skus`, api-version 2021-07-01). Read through the gateway's
own pipeline (no compute SDK is installed for two reads)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model.capacity import QuotaUsage, VmSize

USAGES_API = "2024-07-01"
SKUS_API = "2021-07-01"


def _vcpus(entry: dict[str, Any]) -> int:
    for capability in entry.get("capabilities") or ():
        if isinstance(capability, dict) and capability.get("name") == "vCPUs":
            try:
                return int(str(capability.get("value")))
            except ValueError:
                return 0
    return 0


class ArmCapacity:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="subscription_id")
    async def list_usages(self, subscription_id: str, location: str) -> list[QuotaUsage]:
        path = (f"/subscriptions/{quote(subscription_id, safe='')}/providers/Microsoft.Compute/locations/"
                f"{quote(location, safe='')}/usages")
        return [QuotaUsage(location.lower(), str((u.get("name") or {}).get("value") or ""),
                           int(u.get("currentValue") or 0), int(u.get("limit") or 0))
                async for u in self._clients.pipeline().pages(path, api_version=USAGES_API)]

    @maps_errors(about="subscription_id")
    async def list_vm_sizes(self, subscription_id: str, location: str) -> list[VmSize]:
        where = quote(f"location eq '{location}'", safe="")
        path = f"/subscriptions/{quote(subscription_id, safe='')}/providers/Microsoft.Compute/skus?$filter={where}"
        return [VmSize(str(s.get("name") or ""), str(s.get("family") or ""), _vcpus(s))
                async for s in self._clients.pipeline().pages(path, api_version=SKUS_API)
                if s.get("resourceType") == "virtualMachines"]
