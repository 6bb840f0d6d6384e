"""What the bot's identity may do in a customer's subscriptions, decided from Microsoft.Authorization's
`permissions` answer (actions / notActions, wildcards included) against what a move needs
(`data/access.json`). Pure: no I/O; the gateway reads the permissions, the cards show the result."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from migration import DATA_DIR
from migration.model import Permission
from migration.model.commands import Command, Data, Script

DATA = DATA_DIR / "access.json"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    label: str
    on: str  # source | target | both
    action: str
    role: str  # the least built-in role that grants it
    why: str

    def applies_to(self, side: str) -> bool:
        return self.on in (side, "both")


@dataclass(frozen=True, slots=True)
class Check:
    """One requirement on one subscription: granted or not."""

    requirement: Requirement
    subscription_id: str
    side: str  # source | target
    granted: bool


@cache
def requirements() -> tuple[Requirement, ...]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(Requirement(**p) for p in data["permissions"])


@cache
def lighthouse_limits() -> dict[str, object]:
    data: dict[str, object] = json.loads(DATA.read_text(encoding="utf-8"))["lighthouse"]
    return data


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    # Azure matches operations case-insensitively; "*" stands for any run of characters, "/" included.
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.IGNORECASE)


def matches(pattern: str, action: str) -> bool:
    return bool(_pattern(pattern).match(action))


def allows(permissions: Sequence[Permission], action: str) -> bool:
    """Azure's rule: some entry lists the action in `actions` and not in that same entry's `notActions`."""
    return any(
        any(matches(p, action) for p in entry.actions) and not any(matches(p, action) for p in entry.not_actions)
        for entry in permissions
    )


def evaluate(permissions: Sequence[Permission], *, subscription_id: str, side: str) -> tuple[Check, ...]:
    """Every requirement of `side` (source or target) on one subscription."""
    return tuple(Check(r, subscription_id, side, allows(permissions, r.action))
                 for r in requirements() if r.applies_to(side))


def missing_roles(checks: Sequence[Check]) -> dict[str, tuple[str, ...]]:
    """Subscription id -> the built-in roles to grant there, for what is not granted (least first)."""
    order = ("Reader", "Contributor", "User Access Administrator")
    out: dict[str, set[str]] = {}
    for c in checks:
        if not c.granted:
            out.setdefault(c.subscription_id, set()).add(c.requirement.role)
    result = {}
    for sub, roles in out.items():
        if "Contributor" in roles:
            roles.discard("Reader")  # Contributor includes every read
        result[sub] = tuple(sorted(roles, key=lambda r: order.index(r) if r in order else len(order)))
    return result


# --------------------------------------------------------------------------- who acts, and the fixes


@dataclass(frozen=True, slots=True)
class AccessIdentity:
    """What the cards need to know about the bot's own identity to write a customer's fix."""

    mode: str  # app | lighthouse | cli | sandbox
    kind: str  # how it proves itself (client secret, federated credential, ...), never the secret
    app_id: str = ""  # the partner's multi-tenant app (AZURE_CLIENT_ID)
    partner_tenant_id: str = ""  # PARTNER_TENANT_ID, else AZURE_TENANT_ID
    authority_host: str = "https://login.microsoftonline.com"
    principal_id: str = ""  # the identity's object id in the partner tenant (Lighthouse authorizations)


@cache
def role_definition_id(role: str) -> str:
    ids: dict[str, str] = json.loads(DATA.read_text(encoding="utf-8"))["roleDefinitionIds"]
    return ids[role]


def admin_consent_url(identity: AccessIdentity, tenant_id: str) -> str:
    """Where a global admin of the customer's tenant consents to the partner's app (Entra's admin consent)."""
    return f"{identity.authority_host.rstrip('/')}/{tenant_id}/adminconsent?client_id={identity.app_id}"


def role_assignment_command(assignee: str, role: str, subscription_id: str) -> Script:
    return Script.of(Command.of("az", "role", "assignment", "create", "--assignee", Data(assignee), "--role", role,
                                "--scope", Data(f"/subscriptions/{subscription_id}")))


def portal_access_url(tenant_id: str, subscription_id: str) -> str:
    """The subscription's Access control (IAM) blade in the customer's directory."""
    return f"https://portal.azure.com/#@{tenant_id}/resource/subscriptions/{subscription_id}/users"


_DEFINITION_ID = "[resourceId('Microsoft.ManagedServices/registrationDefinitions/', variables('mspRegistrationName'))]"


def lighthouse_template(identity: AccessIdentity, *, customer: str, roles: Sequence[str] = ("Contributor",),
                        principal_name: str = "CSP migration bot") -> dict[str, object]:
    """An Azure Lighthouse delegation for the customer to deploy on each subscription to migrate (Microsoft's
    subscription-level sample): the partner tenant's identity gets `roles` (Owner cannot be delegated)."""
    if "Owner" in roles:
        raise ValueError("Azure Lighthouse cannot delegate the Owner role")
    offer = f"CSP migration by the partner ({customer})"
    principal = identity.principal_id or "<object id of the bot's identity in the partner tenant>"
    authorizations = [{"principalId": principal,
                       "principalIdDisplayName": principal_name, "roleDefinitionId": role_definition_id(role)}
                      for role in roles]
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-08-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "mspOfferName": {"type": "string", "defaultValue": offer},
            "mspOfferDescription": {"type": "string",
                                    "defaultValue": "Lets the partner assess and move this subscription to Azure CSP."},
            "managedByTenantId": {"type": "string", "defaultValue": identity.partner_tenant_id},
            "authorizations": {"type": "array", "defaultValue": authorizations},
        },
        "variables": {"mspRegistrationName": "[guid(parameters('mspOfferName'))]",
                      "mspAssignmentName": "[guid(parameters('mspOfferName'))]"},
        "resources": [
            {"type": "Microsoft.ManagedServices/registrationDefinitions", "apiVersion": "2022-10-01",
             "name": "[variables('mspRegistrationName')]",
             "properties": {"registrationDefinitionName": "[parameters('mspOfferName')]",
                            "description": "[parameters('mspOfferDescription')]",
                            "managedByTenantId": "[parameters('managedByTenantId')]",
                            "authorizations": "[parameters('authorizations')]"}},
            {"type": "Microsoft.ManagedServices/registrationAssignments", "apiVersion": "2022-10-01",
             "name": "[variables('mspAssignmentName')]",
             "dependsOn": [_DEFINITION_ID],
             "properties": {"registrationDefinitionId": _DEFINITION_ID}},
        ],
        "outputs": {"mspOfferName": {"type": "string",
                                     "value": "[concat('Managed by', ' ', parameters('mspOfferName'))]"}},
    }
