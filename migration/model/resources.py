"""Azure facts as the gateway reads them: subscriptions, groups, resources, locks, roles,
permissions, peerings. Mapping fields hold plain JSON as ARM returned it (camelCase keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Mapping[str, Any]

# --------------------------------------------------------------------------- Azure facts


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str  # the GUID, not the ARM path
    tenant_id: str
    display_name: str
    state: str  # Enabled, Warned, PastDue, Disabled, Deleted
    quota_id: str  # subscriptionPolicies.quotaId, e.g. PayAsYouGo_2014-09-01
    spending_limit: str | None = None

    @property
    def arm_id(self) -> str:
        return f"/subscriptions/{self.id}"


@dataclass(frozen=True, slots=True)
class ResourceGroup:
    id: str
    subscription_id: str
    name: str
    location: str
    provisioning_state: str = "Succeeded"
    managed_by: str | None = None
    tags: JSON = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Resource:
    """A top-level or child resource as Resource Graph / ARM lists it."""

    id: str
    name: str
    type: str  # as returned; compare case-insensitively (Resource Graph lower-cases it)
    location: str
    subscription_id: str
    resource_group: str
    kind: str | None = None
    sku: JSON | None = field(default=None, hash=False)
    plan: JSON | None = field(default=None, hash=False)
    properties: JSON = field(default_factory=dict, hash=False)
    tags: JSON = field(default_factory=dict, hash=False)
    identity: JSON | None = field(default=None, hash=False)
    managed_by: str | None = None
    zones: tuple[str, ...] = ()

    @property
    def type_lower(self) -> str:
        return self.type.lower()

    @property
    def provisioning_state(self) -> str | None:
        state = self.properties.get("provisioningState") if self.properties else None
        return str(state) if state is not None else None


@dataclass(frozen=True, slots=True)
class Lock:
    id: str
    name: str
    level: str  # CanNotDelete, ReadOnly, NotSpecified
    scope: str  # ARM id of what the lock sits on (subscription, group or resource)
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderRegistration:
    namespace: str
    registration_state: str  # Registered, NotRegistered, Registering, Unregistered

    @property
    def registered(self) -> bool:
        return self.registration_state.lower() == "registered"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who the bot's token says it is in a tenant (its claims; read from the token, never verified here)."""

    tenant_id: str
    object_id: str
    app_id: str


@dataclass(frozen=True, slots=True)
class Permission:
    """One entry of Microsoft.Authorization's `permissions` answer: what one role lets the caller do here."""

    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """An Azure role assignment: who holds which role where. Made on a resource, it does not travel with it."""

    id: str
    name: str  # the assignment's GUID
    scope: str  # ARM id it is made on (subscription, group or resource)
    role_definition_id: str
    principal_id: str
    principal_type: str  # User, Group, ServicePrincipal...; Unknown once the principal is deleted
    condition: str | None = None
    description: str | None = None

    @property
    def role_guid(self) -> str:
        return role_guid(self.role_definition_id)


def role_guid(role_definition_id: str) -> str:
    """A role definition's GUID, whichever scope its id names (a subscription's, or the tenant's
    `/providers/Microsoft.Authorization/roleDefinitions/{guid}`): only the GUID counts."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Peering:
    """One side of a virtual network peering, as it must be re-created after a move."""

    vnet_id: str
    name: str
    remote_vnet_id: str
    allow_virtual_network_access: bool = True
    allow_forwarded_traffic: bool = False
    allow_gateway_transit: bool = False
    use_remote_gateways: bool = False
    state: str = ""  # Connected, Initiated, Disconnected


@dataclass(frozen=True, slots=True)
class RoleDefinition:
    id: str
    role_name: str
    custom: bool
    assignable_scopes: tuple[str, ...]
