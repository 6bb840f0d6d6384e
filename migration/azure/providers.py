"""Resource providers: which a subscription has registered, and registering one."""

from __future__ import annotations

from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model import ProviderRegistration


class ArmProviders:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="subscription_id")
    async def list_providers(self, subscription_id: str) -> list[ProviderRegistration]:
        client = self._clients.resources(subscription_id)
        return [ProviderRegistration(namespace=p.namespace or "", registration_state=p.registration_state or "Unknown")
                async for p in client.providers.list()]

    @maps_errors(write=True, about="subscription_id")
    async def register_provider(self, subscription_id: str, namespace: str) -> None:
        """Ask for the registration (Azure answers at once, `Registering`, and finishes on its own)."""
        await self._clients.resources(subscription_id).providers.register(namespace)
