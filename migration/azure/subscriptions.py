"""The subscriptions the bot's identity sees in a tenant."""

from __future__ import annotations

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model import Subscription


class ArmSubscriptions:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors()
    async def list_subscriptions(self) -> list[Subscription]:
        """The tenant's own subscriptions (a token also lists those of other tenants delegated to it)."""
        found = [convert.subscription(s) async for s in self._clients.subscriptions().subscriptions.list()]
        tenant = self._clients.tenant_id.lower()
        return [s for s in found if not s.tenant_id or s.tenant_id.lower() == tenant]

    @maps_errors(about="subscription_id")
    async def get_subscription(self, subscription_id: str) -> Subscription:
        return convert.subscription(await self._clients.subscriptions().subscriptions.get(subscription_id))
