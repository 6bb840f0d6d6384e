"""Domain values: what Azure tells us, and what the assessment concludes.

Frozen dataclasses only; no Bot Framework, no Azure SDK types. The Azure gateway
(`migration/arm.py`) converts SDK models into these, the rules read them, the cards render them.
Mapping fields hold plain JSON-like data exactly as ARM returned it (camelCase keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
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
        return self.role_definition_id.rstrip("/").rsplit("/", 1)[-1]


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


@dataclass(frozen=True, slots=True)
class ArmErrorDetail:
    """One node of an ARM CloudError tree (details nest; some hide JSON inside `message`)."""

    code: str
    message: str
    target: str | None = None
    details: tuple[ArmErrorDetail, ...] = ()

    def walk(self) -> tuple[ArmErrorDetail, ...]:
        """This node and every node below it, depth first."""
        out: list[ArmErrorDetail] = [self]
        for d in self.details:
            out.extend(d.walk())
        return tuple(out)


class ArmError(Exception):
    """An Azure Resource Manager failure, as a domain error (never an SDK exception)."""

    def __init__(self, status: int | None, error: ArmErrorDetail) -> None:
        super().__init__(f"({error.code}) {error.message}")
        self.status = status
        self.error = error

    @property
    def code(self) -> str:
        return self.error.code


class AccessCause(StrEnum):
    """Why the bot's identity cannot act in a customer's tenant; each has its own fix."""

    APP_NOT_CONSENTED = "app_not_consented"  # the partner's app has no service principal there (AADSTS700016)
    TENANT_NOT_FOUND = "tenant_not_found"  # no such tenant (AADSTS90002)
    CREDENTIAL_REJECTED = "credential_rejected"  # wrong or expired secret / certificate / assertion
    IDENTITY_UNAVAILABLE = "identity_unavailable"  # no managed identity here, or no `az login`
    ROLE_MISSING = "role_missing"  # a token, but no Azure role allowing the action (403 AuthorizationFailed)
    NOT_DELEGATED = "not_delegated"  # the token's tenant is not the subscription's and no delegation covers it
    UNKNOWN = "unknown"


class TenantAccessDenied(ArmError):
    """The bot's identity cannot act in the customer's tenant. Subclasses name the cause and the fix."""

    cause: AccessCause = AccessCause.UNKNOWN
    default_fix = "Check the bot's Azure identity and its access to this tenant, then click Check again."

    def __init__(self, status: int | None, error: ArmErrorDetail, *, fix: str | None = None,
                 action: str | None = None, scope: str | None = None) -> None:
        super().__init__(status, error)
        self.fix = fix or self.default_fix
        self.action = action  # the Azure action refused (ROLE_MISSING), when Azure named it
        self.scope = scope  # the scope it was refused on


class AppNotConsented(TenantAccessDenied):
    cause = AccessCause.APP_NOT_CONSENTED
    default_fix = "A global admin of the customer's tenant grants admin consent to the partner's app."


class TenantNotFound(TenantAccessDenied):
    cause = AccessCause.TENANT_NOT_FOUND
    default_fix = "Check the tenant id or domain: Microsoft Entra knows no such tenant."


class CredentialRejected(TenantAccessDenied):
    cause = AccessCause.CREDENTIAL_REJECTED
    default_fix = ("Entra refused the bot's own credential: renew the client secret or certificate (or fix the "
                   "federated credential) in the partner tenant's app registration, and update the bot's settings.")


class IdentityUnavailable(TenantAccessDenied):
    cause = AccessCause.IDENTITY_UNAVAILABLE
    default_fix = "The bot's Azure identity is not available where it runs; check AZURE_CREDENTIAL and its settings."


class RoleMissing(TenantAccessDenied):
    cause = AccessCause.ROLE_MISSING
    default_fix = "Grant the bot's identity a role on the subscription that allows this action."


class NotDelegated(TenantAccessDenied):
    cause = AccessCause.NOT_DELEGATED
    default_fix = ("The token is not valid for this subscription's tenant: consent the partner's app in the "
                   "customer's tenant, or delegate the subscription to the partner tenant with Azure Lighthouse.")


class NotFound(ArmError):
    """The subscription, group or operation does not exist (or is not visible)."""


# --------------------------------------------------------------------------- assessment


class Severity(StrEnum):
    BLOCKER = "blocker"  # cannot move short of redeploying
    FIX_FIRST = "fix_first"  # a step in the source subscription makes it movable
    AZURE_DECIDES = "azure_decides"  # Microsoft's table does not say: the dry run decides
    WARNING = "warning"  # moves, but something breaks or must be redone after
    INFO = "info"


class Verdict(StrEnum):
    READY = "ready"
    AZURE_DECIDES = "azure_decides"  # ready as far as the rules know, but a type the table does not list
    READY_AFTER_FIXES = "ready_after_fixes"
    BLOCKED = "blocked"


class FixAction(StrEnum):
    """What a fix does, by name: the runner of fixes maps each to its steps."""

    LIFT_READ_ONLY_LOCK = "lift_read_only_lock"
    CONSOLIDATE_DEPENDENCIES = "consolidate_dependencies"
    MOVE_APP_SERVICE_BACK = "move_app_service_back"
    DISASSOCIATE_PUBLIC_IP = "disassociate_public_ip"
    DISABLE_PEERING = "disable_peering"
    UNLINK_AUTOMATION_WORKSPACE = "unlink_automation_workspace"
    DELETE_SQL_IAAS_REGISTRATION = "delete_sql_iaas_registration"
    DISABLE_CUSTOMER_MANAGED_KEY = "disable_customer_managed_key"
    LEAVE_BEHIND_AND_RECREATE = "leave_behind_and_recreate"
    DETACH_SUBNET_RESOURCE = "detach_subnet_resource"
    DISABLE_DISK_ENCRYPTION = "disable_disk_encryption"
    REGISTER_PROVIDER = "register_provider"
    STOP_JOB = "stop_job"
    REMOVE_APP_NETWORKING = "remove_app_networking"
    RECREATE_MANAGED_CERTIFICATE = "recreate_managed_certificate"
    DISABLE_REPLICATION = "disable_replication"
    REMOVE_RESTORE_POINTS = "remove_restore_points"
    CONVERT_SNAPSHOT = "convert_snapshot"
    MANUAL = "manual"  # a step the engineer takes; the text says which


@dataclass(frozen=True, slots=True)
class Fix:
    """A finding's remedy in machine-readable form: what to do, to which resources, with which command."""

    action: FixAction
    resource_ids: tuple[str, ...]
    command: str  # az CLI with the real names filled in
    source: str  # Microsoft page and section the step comes from
    after: str | None = None  # what to do in the target once moved (re-associate, re-register...)


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's texts, loaded from the catalog data file (data over code)."""

    id: str  # G7, VM1, N1, ...
    title: str
    severity: Severity
    explanation: str
    remediation: str
    source: str  # documentation link


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: Severity
    message: str  # plain short sentence naming the resource
    remediation: str
    source: str
    resource_id: str | None = None  # None for a group- or subscription-level finding
    resource_group: str | None = None
    fix: Fix | None = None


@dataclass(frozen=True, slots=True)
class ManualCheck:
    """A rule the data cannot decide: listed for the engineer, never silently dropped."""

    rule_id: str
    title: str
    how_to_check: str
    source: str


@dataclass(frozen=True, slots=True)
class Offer:
    quota_id: str
    name: str  # "Pay-As-You-Go", "Enterprise Agreement or Microsoft Customer Agreement", "CSP", ...
    category: str  # payg, open, ea, devtest, credit, csp, other
    source_allowed: bool
    target_allowed: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DryRun:
    """Azure's own answer (validateMoveResources) for one resource group."""

    resource_group: str
    target_group_id: str
    valid: bool
    errors: tuple[ArmErrorDetail, ...] = ()
    disagreement: str | None = None  # set when Azure and our rules disagree


@dataclass(frozen=True, slots=True)
class GroupAssessment:
    name: str
    verdict: Verdict
    resource_ids: tuple[str, ...]
    findings: tuple[Finding, ...]
    consolidate_with: tuple[str, ...] = ()  # groups holding dependencies that must join this one
    dry_run: DryRun | None = None

    @property
    def final_verdict(self) -> Verdict:
        """Azure's dry run wins where it disagrees: accepted is ready; refused is blocked unless the rules
        already say which fixes come first (Azure refuses until they are made)."""
        if self.dry_run is None:
            return self.verdict
        if self.dry_run.valid:
            return Verdict.READY
        return Verdict.READY_AFTER_FIXES if self.verdict is Verdict.READY_AFTER_FIXES else Verdict.BLOCKED

    @property
    def can_move(self) -> bool:
        """Offered for a move: ready, or a group only Azure can decide (its dry run comes before approval)."""
        return self.final_verdict in (Verdict.READY, Verdict.AZURE_DECIDES)

    @property
    def resource_count(self) -> int:
        return len(self.resource_ids)


@dataclass(frozen=True, slots=True)
class Assessment:
    tenant_id: str
    source: Subscription
    offer: Offer
    groups: tuple[GroupAssessment, ...]
    preconditions: tuple[Finding, ...]  # subscription-level: offer, state, tenant, target
    manual_checks: tuple[ManualCheck, ...]
    resources: tuple[Resource, ...] = field(default=(), repr=False)
    target: Subscription | None = None
    assessed_at: datetime | None = None
    catalog_source: str = ""  # which Microsoft page (and its date) the move-support facts come from

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.preconditions + tuple(f for g in self.groups for f in g.findings)

    @property
    def resource_count(self) -> int:
        """Counted from the groups: a stored assessment keeps them but not the per-resource inventory."""
        return sum(g.resource_count for g in self.groups) if self.groups else len(self.resources)


# --------------------------------------------------------------------------- move requests


class RequestState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    VALIDATING = "validating"
    MOVING = "moving"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATES


_FINAL_STATES = frozenset(
    {
        RequestState.SUCCEEDED,
        RequestState.PARTIALLY_SUCCEEDED,
        RequestState.FAILED,
        RequestState.REJECTED,
        RequestState.CANCELLED,
    }
)


@dataclass(frozen=True, slots=True)
class Person:
    id: str  # Entra object id (aadObjectId): what authorization and the audit trail use
    name: str
    mri: str | None = None  # Teams user id (29:...), what refresh.userIds takes


class GroupState(StrEnum):
    PENDING = "pending"
    VALIDATING = "validating"
    MOVING = "moving"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class GroupMove:
    """One source resource group's part of a move request and how far it got."""

    source_group: str
    target_group_id: str
    location: str
    resource_ids: tuple[str, ...]  # top-level resources only; children follow their parent
    state: GroupState = GroupState.PENDING
    moved_count: int = 0
    error: ArmErrorDetail | None = None
    after: tuple[str, ...] = ()  # source groups whose move must finish first (a consolidation chain)


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # requested, approved, rejected, cancelled, refused
    by: Person
    at: datetime
    tenant_id: str
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class MoveRequest:
    id: str  # short, human-typable (status <id>)
    tenant_id: str
    source_subscription_id: str
    target_subscription_id: str
    requested_by: Person
    requested_at: datetime
    state: RequestState
    groups: tuple[GroupMove, ...]
    decisions: tuple[Decision, ...] = ()
    source_name: str = ""
    target_name: str = ""

    @property
    def resource_count(self) -> int:
        return sum(len(g.resource_ids) for g in self.groups)

    @property
    def moved_count(self) -> int:
        return sum(g.moved_count for g in self.groups)
