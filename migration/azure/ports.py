"""The Azure interface the domain depends on (implemented by `migration.azure.gateway` and its families).

A gateway is bound to one tenant by `for_tenant`; the tenant's client groups its operations by family, each
a small Protocol here. A consumer types its parameter with the families it uses: a family itself, or a
Protocol of `Has*` attributes (`class Reads(HasInventory, HasLocks, Protocol)`), so the assessment only
reads and a fix step only reaches what it changes. Long-running calls are `begin_*` and return an
`Operation`: `await (await azure.network.begin_delete_peering(vnet, name)).wait()`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from migration.azure.pacing import Pacer
from migration.model import (
    BillingAccount,
    BillingCustomer,
    CreatedSubscription,
    Lock,
    Peering,
    Permission,
    Principal,
    ProviderRegistration,
    Resource,
    ResourceGroup,
    ResourceId,
    RoleAssignment,
    RoleDefinition,
    Subscription,
    Workload,
)
from migration.model.capacity import Feature, QuotaUsage, VmSize

# (done, total or None when unknown) -> awaited by long reads so the chat can show progress
ProgressCallback = Callable[[int, int | None], Awaitable[None]]
Result = TypeVar("Result", covariant=True)
Tenant = TypeVar("Tenant", covariant=True)
Id = ResourceId | str  # an ARM id, parsed or as text


class Operation(Protocol[Result]):
    """A long-running operation Azure carries out (a move, its dry run, a fix's change)."""

    def continuation_token(self) -> str:
        """What resumes the operation in another process (`moves.resume`)."""

    async def wait(self) -> Result:
        """Return when Azure reports success; raise `ArmError` when it reports failure."""


# --------------------------------------------------------------------------- families


class Subscriptions(Protocol):
    async def list_subscriptions(self) -> list[Subscription]: ...

    async def get_subscription(self, subscription_id: str) -> Subscription: ...


class ResourceGroups(Protocol):
    async def list_groups(self, subscription_id: str) -> list[ResourceGroup]: ...

    async def ensure_group(self, subscription_id: str, name: str, *, location: str) -> ResourceGroup: ...

    async def update_tags(self, subscription_id: str, name: str, *, tags: dict[str, str]) -> ResourceGroup: ...


class Inventory(Protocol):
    async def list_resources(self, subscription_id: str, *,
                             on_progress: ProgressCallback | None = None) -> list[Resource]:
        """Every resource (including child and classic ones) through Resource Graph, 1000 a call."""

    async def list_recovery_items(self, subscription_id: str) -> list[Resource]: ...

    async def list_linked_services(self, workspace_id: str) -> list[Resource]: ...


class Resources(Protocol):
    """Resources by id (jobs, disks, linked services, SQL VM registrations, certificates, bindings)."""

    async def get_resource(self, resource_id: Id) -> Resource:
        """As its provider answers now; `NotFound` once gone."""

    async def begin_create_or_update(self, resource_id: Id, *, location: str | None,
                                     properties: dict[str, Any]) -> Operation[Resource]: ...

    async def begin_delete(self, resource_id: Id) -> Operation[None]:
        """Already gone is not an error."""


class Moves(Protocol):
    async def begin_validate(self, subscription_id: str, resource_group: str, *, resource_ids: Sequence[str],
                             target_group_id: str) -> Operation[None]: ...

    async def begin_move(self, subscription_id: str, resource_group: str, *, resource_ids: Sequence[str],
                         target_group_id: str) -> Operation[None]: ...

    async def resume(self, continuation_token: str) -> Operation[None]: ...


class Locks(Protocol):
    async def list_locks(self, subscription_id: str) -> list[Lock]: ...

    async def create_lock(self, scope: Id, *, name: str, level: str, notes: str | None) -> Lock: ...

    async def delete_lock(self, scope: Id, *, name: str) -> None: ...


class Authorization(Protocol):
    async def list_role_assignments(self, subscription_id: str) -> list[RoleAssignment]: ...

    async def create_role_assignment(self, scope: Id, *, name: str, role_definition_id: str, principal_id: str,
                                     principal_type: str | None = None, condition: str | None = None,
                                     description: str | None = None) -> RoleAssignment: ...

    async def get_role_definition(self, role_definition_id: str, *, scope: Id) -> RoleDefinition: ...

    async def add_assignable_scope(self, role_definition_id: str, *, scope: Id) -> RoleDefinition: ...

    async def list_permissions(self, subscription_id: str) -> list[Permission]:
        """What the bot's identity may do on the subscription (Microsoft.Authorization/permissions)."""

    async def whoami(self) -> Principal | None:
        """The bot's identity as its token for this tenant names it (None: a token without claims)."""


class Tags(Protocol):
    """The tags of a subscription, a group or a resource (Microsoft.Resources/tags)."""

    async def get_tags(self, scope: Id) -> dict[str, str]: ...

    async def begin_merge_tags(self, scope: Id, *, tags: dict[str, str]) -> Operation[None]: ...


class SubscriptionSettings(Protocol):
    """Settings made on a subscription that are resources at its scope (budgets), by type."""

    async def list_settings(self, subscription_id: str, type_: str) -> list[Resource]: ...

    async def get_setting(self, setting_id: Id) -> Resource: ...

    async def create_setting(self, setting_id: Id, *, properties: dict[str, Any]) -> Resource: ...


class Providers(Protocol):
    async def list_providers(self, subscription_id: str) -> list[ProviderRegistration]: ...

    async def register_provider(self, subscription_id: str, namespace: str) -> None: ...


class Network(Protocol):
    async def begin_set_public_ip(self, nic_id: Id, *, ip_configuration: str,
                                  public_ip_id: str | None) -> Operation[None]: ...

    async def get_peering(self, vnet_id: Id, name: str) -> Peering: ...

    async def begin_create_peering(self, peering: Peering) -> Operation[Peering]: ...

    async def begin_delete_peering(self, vnet_id: Id, name: str) -> Operation[None]: ...

    async def get_subnet_nat_gateway(self, vnet_id: Id, subnet: str) -> str:
        """The NAT gateway id on the subnet ("" when none)."""

    async def begin_remove_subnet_nat_gateway(self, vnet_id: Id, subnet: str) -> Operation[None]: ...

    async def begin_attach_subnet_nat_gateway(self, vnet_id: Id, subnet: str, *,
                                              nat_gateway_id: str) -> Operation[None]: ...


class Web(Protocol):
    async def get_vnet_integration(self, site_id: Id) -> str:
        """The subnet id the app is integrated with ("" when none)."""

    async def begin_set_vnet_integration(self, site_id: Id, *, subnet_id: str) -> Operation[Resource]: ...

    async def begin_remove_vnet_integration(self, site_id: Id) -> Operation[None]: ...


class StreamingJobs(Protocol):
    async def begin_stop(self, job_id: Id) -> Operation[None]: ...

    async def begin_start(self, job_id: Id, *, output_start_mode: str) -> Operation[None]: ...


class Compute(Protocol):
    async def begin_set_disk_encryption(self, disk_id: Id, *, encryption_type: str,
                                        disk_encryption_set_id: str | None) -> Operation[None]: ...

    async def begin_delete_restore_points(self, collection_id: Id) -> Operation[None]: ...


class Capacity(Protocol):
    async def list_usages(self, subscription_id: str, location: str) -> list[QuotaUsage]: ...

    async def list_vm_sizes(self, subscription_id: str, location: str) -> list[VmSize]: ...


class Features(Protocol):
    async def list_features(self, subscription_id: str) -> list[Feature]: ...


class Billing(Protocol):
    """The partner's own billing side (read in the partner's tenant)."""

    async def list_billing_accounts(self) -> list[BillingAccount]: ...

    async def get_billing_account(self, name: str) -> BillingAccount: ...

    async def get_customer(self, account: str, tenant_id: str) -> BillingCustomer:
        """NotFound: the customer is not on the account with an Azure plan."""


# --------------------------------------------------------------------------- a tenant's client, by what it has


class HasSubscriptions(Protocol):
    @property
    def subscriptions(self) -> Subscriptions: ...


class HasGroups(Protocol):
    @property
    def groups(self) -> ResourceGroups: ...


class HasInventory(Protocol):
    @property
    def inventory(self) -> Inventory: ...


class HasResources(Protocol):
    @property
    def resources(self) -> Resources: ...


class HasMoves(Protocol):
    @property
    def moves(self) -> Moves: ...


class HasLocks(Protocol):
    @property
    def locks(self) -> Locks: ...


class HasAuthorization(Protocol):
    @property
    def authorization(self) -> Authorization: ...


class HasTags(Protocol):
    @property
    def tags(self) -> Tags: ...


class HasSettings(Protocol):
    @property
    def settings(self) -> SubscriptionSettings: ...


class HasProviders(Protocol):
    @property
    def providers(self) -> Providers: ...


class HasNetwork(Protocol):
    @property
    def network(self) -> Network: ...


class HasWeb(Protocol):
    @property
    def web(self) -> Web: ...


class HasJobs(Protocol):
    @property
    def jobs(self) -> StreamingJobs: ...


class HasCompute(Protocol):
    @property
    def compute(self) -> Compute: ...


class HasCapacity(Protocol):
    @property
    def capacity(self) -> Capacity: ...


class HasFeatures(Protocol):
    @property
    def features(self) -> Features: ...


class HasPacer(Protocol):
    @property
    def pacer(self) -> Pacer:
        """What Azure's throttle headers said is left for this tenant's identity."""


class TenantAzure(HasSubscriptions, HasGroups, HasInventory, HasResources, HasMoves, HasLocks, HasAuthorization,
                  HasTags, HasSettings, HasProviders, HasNetwork, HasWeb, HasJobs, HasCompute, HasCapacity,
                  HasFeatures, HasPacer, Protocol):
    """Every family of one tenant (the chat edge's view; the domain asks for less)."""


class Aliases(Protocol):
    """CSP subscriptions the partner creates (subscription aliases)."""

    async def begin_create_subscription(self, name: str, *, display_name: str, workload: Workload,
                                        billing_scope: str, tags: Mapping[str, str],
                                        owner_id: str | None = None) -> Operation[CreatedSubscription]: ...

    async def get_alias(self, name: str) -> CreatedSubscription: ...


class PartnerAzure(Protocol):
    """Azure in the partner's own tenant: what the partner, not a customer, holds."""

    @property
    def billing(self) -> Billing: ...

    @property
    def aliases(self) -> Aliases: ...


class HasPartner(Protocol):
    def for_partner(self) -> PartnerAzure:
        """The client acting in the partner's own tenant, with the identity's partner-tenant token."""


class Gateway(Protocol[Tenant]):
    """Azure, by tenant. `for_tenant` is cheap: a tenant's client is made once and kept."""

    def for_tenant(self, tenant_id: str) -> Tenant: ...


class AzureGateway(Gateway[TenantAzure], HasPartner, Protocol):
    async def resolve_tenant(self, tenant: str) -> str:
        """A tenant GUID or verified domain -> the tenant GUID (OpenID metadata)."""

    async def close(self) -> None: ...
