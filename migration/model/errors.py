"""Azure's failures as the domain knows them: `ArmError` and the kinds of lost access.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from migration.model.ids import ResourceId


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
    """An Azure Resource Manager failure, as a domain error (never an SDK exception). `about`: the
    subscription or resource of the call that failed, when it had one."""

    def __init__(self, status: int | None, error: ArmErrorDetail, *, about: ResourceId | None = None) -> None:
        super().__init__(f"({error.code}) {error.message}")
        self.status = status
        self.error = error
        self.about = about

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
                 action: str | None = None, scope: str | None = None, about: ResourceId | None = None) -> None:
        super().__init__(status, error, about=about)
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


class DirectoryUnavailable(Exception):
    """Microsoft Graph could not say whether a person is in a group (refused the bot's token, failed, timed
    out): a grant through a group then counts for nothing until it can."""
