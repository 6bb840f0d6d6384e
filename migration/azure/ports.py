"""The Azure interface the domain depends on (implemented by `migration.azure.gateway`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from migration.model import (
    Lock,
    Peering,
    Permission,
    Principal,
    ProviderRegistration,
    Resource,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    Subscription,
)

# (done, total or None when unknown) -> awaited by long reads so the chat can show progress
ProgressCallback = Callable[[int, int | None], Awaitable[None]]


class MoveOperation(Protocol):
    """A running long-running operation: validateMoveResources / moveResources, or a fix's (stop a job...)."""

    def continuation_token(self) -> str: ...

    async def wait(self) -> None:
        """Return when Azure reports success; raise `ArmError` when it reports failure."""


class AzureGateway(Protocol):
    async def resolve_tenant(self, tenant: str) -> str:
        """A tenant GUID or verified domain -> the tenant GUID (OpenID metadata)."""

    async def list_subscriptions(self, *, tenant_id: str) -> list[Subscription]: ...

    async def get_subscription(self, subscription_id: str, *, tenant_id: str) -> Subscription: ...

    async def list_resource_groups(self, subscription_id: str, *, tenant_id: str) -> list[ResourceGroup]: ...

    async def list_resources(
        self, subscription_id: str, *, tenant_id: str, on_progress: ProgressCallback | None = None
    ) -> list[Resource]:
        """Every resource (including child and classic ones) through Resource Graph, 1000 a call."""

    async def list_locks(self, subscription_id: str, *, tenant_id: str) -> list[Lock]: ...

    async def list_linked_services(self, workspace_id: str, *, tenant_id: str) -> list[Resource]:
        """A Log Analytics workspace's linked services (an ARM read; Resource Graph does not list them)."""
        ...

    async def list_recovery_items(self, subscription_id: str, *, tenant_id: str) -> list[Resource]:
        """Site Recovery replicated items and backup items (Resource Graph's recoveryservicesresources)."""
        ...

    async def list_providers(self, subscription_id: str, *, tenant_id: str) -> list[ProviderRegistration]: ...

    async def list_permissions(self, subscription_id: str, *, tenant_id: str) -> list[Permission]:
        """What the bot's identity may do on the subscription (Microsoft.Authorization/permissions)."""

    async def whoami(self, *, tenant_id: str) -> Principal | None:
        """The bot's identity as its token for this tenant names it (None: a token without claims)."""

    async def register_provider(self, subscription_id: str, namespace: str, *, tenant_id: str) -> None: ...

    async def ensure_resource_group(
        self, subscription_id: str, name: str, *, location: str, tenant_id: str
    ) -> ResourceGroup: ...

    async def begin_validate_move(
        self,
        subscription_id: str,
        resource_group: str,
        *,
        resource_ids: Sequence[str],
        target_resource_group_id: str,
        tenant_id: str,
    ) -> MoveOperation: ...

    async def begin_move(
        self,
        subscription_id: str,
        resource_group: str,
        *,
        resource_ids: Sequence[str],
        target_resource_group_id: str,
        tenant_id: str,
    ) -> MoveOperation: ...

    async def resume_move(self, continuation_token: str, *, tenant_id: str) -> MoveOperation: ...

    # The fixes before a move and the follow-through after it.

    async def update_group_tags(self, subscription_id: str, name: str, *, tags: dict[str, str],
                                tenant_id: str) -> ResourceGroup: ...

    async def create_lock(self, scope: str, *, name: str, level: str, notes: str | None, tenant_id: str) -> Lock: ...

    async def delete_lock(self, scope: str, *, name: str, tenant_id: str) -> None: ...

    async def list_role_assignments(self, subscription_id: str, *, tenant_id: str) -> list[RoleAssignment]: ...

    async def create_role_assignment(self, scope: str, *, name: str, role_definition_id: str, principal_id: str,
                                     principal_type: str | None = None, condition: str | None = None,
                                     description: str | None = None, tenant_id: str) -> RoleAssignment: ...

    async def get_role_definition(self, role_definition_id: str, *, scope: str,
                                  tenant_id: str) -> RoleDefinition: ...

    async def add_assignable_scope(self, role_definition_id: str, *, scope: str,
                                   tenant_id: str) -> RoleDefinition: ...

    async def set_public_ip(self, nic_id: str, *, ip_configuration: str, public_ip_id: str | None,
                            tenant_id: str) -> None: ...

    async def get_peering(self, vnet_id: str, name: str, *, tenant_id: str) -> Peering: ...

    async def create_peering(self, peering: Peering, *, tenant_id: str) -> Peering: ...

    async def delete_peering(self, vnet_id: str, name: str, *, tenant_id: str) -> None: ...

    # Resources some fixes read, change, delete or make again by id (long-running `begin_*`: `wait()`).

    async def get_resource(self, resource_id: str, *, tenant_id: str) -> Resource:
        """A resource or child resource by id as its provider answers now (a job, disk, restore point
        collection, linked service, SQL VM registration, certificate, host name binding); `NotFound` once gone."""
        ...

    async def create_resource(self, resource_id: str, *, location: str | None, properties: dict[str, Any],
                              tenant_id: str) -> Resource:
        """Create or update by id, waiting until done."""
        ...

    async def delete_resource(self, resource_id: str, *, tenant_id: str) -> None:
        """Delete by id, waiting until gone; already gone is not an error."""
        ...

    async def begin_stop_job(self, job_id: str, *, tenant_id: str) -> MoveOperation: ...

    async def begin_start_job(self, job_id: str, *, output_start_mode: str, tenant_id: str) -> MoveOperation: ...

    async def begin_set_disk_encryption(self, disk_id: str, *, encryption_type: str,
                                        disk_encryption_set_id: str | None, tenant_id: str) -> MoveOperation: ...

    async def begin_delete_restore_points(self, collection_id: str, *, tenant_id: str) -> MoveOperation: ...

    # An app's VNet integration; a subnet's NAT gateway.

    async def get_vnet_integration(self, site_id: str, *, tenant_id: str) -> str:
        """The subnet id the app is integrated with ("" when none)."""
        ...

    async def set_vnet_integration(self, site_id: str, *, subnet_id: str, tenant_id: str) -> None: ...

    async def remove_vnet_integration(self, site_id: str, *, tenant_id: str) -> None: ...

    async def get_subnet_nat_gateway(self, vnet_id: str, subnet: str, *, tenant_id: str) -> str:
        """The NAT gateway id on the subnet ("" when none)."""
        ...

    async def remove_subnet_nat_gateway(self, vnet_id: str, subnet: str, *, tenant_id: str) -> None: ...

    async def close(self) -> None: ...
