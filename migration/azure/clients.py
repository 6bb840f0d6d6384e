"""One tenant's clients: its credential, its pacer, the SDK clients (created on first use; one per subscription
where the SDK binds one) and the gateway's own pipeline. Every client shares the gateway's connection pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.pipeline.transport import AioHttpTransport
from azure.mgmt.authorization.v2022_04_01.aio import AuthorizationManagementClient
from azure.mgmt.resource.locks.aio import ManagementLockClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.subscriptions.aio import SubscriptionClient

from migration.azure.credentials import TenantCredential
from migration.azure.pacing import ArmRetryPolicy, Pacer, PacingPolicy
from migration.azure.pipeline import ArmPipeline

if TYPE_CHECKING:  # azure-mgmt-network costs some 45 MiB when imported: only a move with network fixes pays it
    from azure.mgmt.network.aio import NetworkManagementClient

Client = TypeVar("Client")


@dataclass(frozen=True, slots=True)
class Connection:
    """What every client of the gateway shares: where ARM is, how often to poll, and the one transport."""

    endpoint: str
    polling_interval: float
    transport: Callable[[], AioHttpTransport]  # the shared transport, made on first use (it needs a running loop)
    read_reserve: int = 0  # ARM reads left to others (a move's calls): what an assessment worker's gateway keeps off


class TenantClients:
    def __init__(self, credential: TenantCredential, tenant_id: str, connection: Connection) -> None:
        self.tenant_id = tenant_id
        self.credential = credential
        # Azure's throttle budgets are per principal, so per tenant's credential.
        self.pacer = Pacer(read_reserve=connection.read_reserve)
        self._connection = connection
        self._subscriptions: SubscriptionClient | None = None
        self._pipeline: ArmPipeline | None = None
        # Per (client class, subscription): resources, locks, authorization, network.
        self._per_subscription: dict[tuple[type, str], Any] = {}

    def _kwargs(self) -> dict[str, Any]:
        # No `connection_verify` here: the shared connector carries the CA bundle (see the gateway).
        # Policies are chained objects, so each client gets its own; the pacer (budgets) is shared.
        return {"base_url": self._connection.endpoint, "polling_interval": self._connection.polling_interval,
                "transport": self._connection.transport(), "retry_policy": ArmRetryPolicy(),
                "per_retry_policies": [PacingPolicy(self.pacer)]}

    @property
    def endpoint(self) -> str:
        return self._connection.endpoint

    @property
    def polling_interval(self) -> float:
        return self._connection.polling_interval

    def subscriptions(self) -> SubscriptionClient:
        if self._subscriptions is None:
            self._subscriptions = SubscriptionClient(self.credential, **self._kwargs())
        return self._subscriptions

    def pipeline(self) -> ArmPipeline:
        if self._pipeline is None:
            self._pipeline = ArmPipeline(self.credential, endpoint=self._connection.endpoint,
                                         transport=self._connection.transport(), pacer=self.pacer,
                                         polling_interval=self._connection.polling_interval)
        return self._pipeline

    def _per(self, cls: type[Client], subscription_id: str) -> Client:
        """One client of `cls` per subscription, created on first use, closed with the gateway."""
        key = (cls, subscription_id.lower())
        client = self._per_subscription.get(key)
        if client is None:
            # Every management client takes (credential, subscription_id, **options); `type` cannot say so.
            client = self._per_subscription[key] = cls(self.credential, subscription_id,  # type: ignore[call-arg]
                                                       **self._kwargs())
        return client

    def resources(self, subscription_id: str) -> ResourceManagementClient:
        return self._per(ResourceManagementClient, subscription_id)

    def locks(self, subscription_id: str) -> ManagementLockClient:
        return self._per(ManagementLockClient, subscription_id)

    def authorization(self, subscription_id: str) -> AuthorizationManagementClient:
        return self._per(AuthorizationManagementClient, subscription_id)

    def network(self, subscription_id: str) -> NetworkManagementClient:
        from azure.mgmt.network.aio import NetworkManagementClient

        return self._per(NetworkManagementClient, subscription_id)

    async def close(self) -> None:
        clients: list[Any] = [c for c in (self._subscriptions, self._pipeline) if c is not None]
        clients += self._per_subscription.values()
        self._subscriptions, self._pipeline, self._per_subscription = None, None, {}
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
