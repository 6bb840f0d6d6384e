"""Domain values: what Azure tells us, what the assessment concludes, move requests and their
records, the steps of a plan, and the store's interface. Frozen dataclasses; no I/O, no SDK types.

Imports nothing else of `migration`. The names below are the model's public surface.
"""

from migration.model.errors import (  # noqa: F401
    AccessCause,
    AppNotConsented,
    ArmError,
    ArmErrorDetail,
    CredentialRejected,
    IdentityUnavailable,
    NotDelegated,
    NotFound,
    RoleMissing,
    TenantAccessDenied,
    TenantNotFound,
)
from migration.model.findings import (  # noqa: F401
    Assessment,
    DryRun,
    Finding,
    Fix,
    FixAction,
    GroupAssessment,
    ManualCheck,
    Offer,
    Rule,
    Severity,
    Verdict,
)
from migration.model.ids import ResourceId, ScopeKind, group_of, name_of  # noqa: F401
from migration.model.requests import (  # noqa: F401
    Decision,
    GroupMove,
    GroupState,
    MoveRequest,
    Person,
    RequestState,
)
from migration.model.resources import (  # noqa: F401
    JSON,
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
