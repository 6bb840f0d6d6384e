"""The sandbox's directory: who exists (apps, managed identities), where an app is consented, and which
Azure roles a principal holds where (role assignments in a tenant, Azure Lighthouse delegations).

Scenario keys: top-level `apps` and `managedIdentities`; per entry of `tenants`: `consentedApps`,
`roleAssignments` and `delegations`. Access is decided from these facts alone (Azure's rules: a role
grants its actions minus its notActions, at its scope and below; Lighthouse never grants Owner).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ROLES_FILE = Path(__file__).with_name("roles.json")
# Azure Lighthouse refuses these in a delegation (learn.microsoft.com/azure/lighthouse/concepts/tenants-users-roles).
LIGHTHOUSE_FORBIDDEN = frozenset({"owner"})


class DirectoryError(ValueError):
    """A scenario's identity facts are inconsistent (what ARM would refuse to deploy)."""


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    id: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]

    def allows(self, action: str) -> bool:
        return any(_match(p, action) for p in self.actions) and not any(_match(p, action) for p in self.not_actions)


@cache
def roles() -> dict[str, Role]:
    data = json.loads(ROLES_FILE.read_text(encoding="utf-8"))
    out = {}
    for r in data["roles"]:
        role = Role(r["name"], r["id"], tuple(r["actions"]), tuple(r["notActions"]))
        out[r["name"].lower()] = role
        out[r["id"].lower()] = role
    return out


def role(name_or_id: str) -> Role:
    found = roles().get(name_or_id.rsplit("/", 1)[-1].lower())
    if found is None:
        raise DirectoryError(f"unknown role {name_or_id!r} (known: Owner, Contributor, Reader, "
                             "User Access Administrator)")
    return found


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$", re.IGNORECASE)


def _match(pattern: str, action: str) -> bool:
    return bool(_pattern(pattern).match(action))


@dataclass(slots=True)
class App:
    """An app registration in its home tenant, with the credentials Entra accepts for it."""

    client_id: str
    home_tenant: str
    display_name: str = ""
    secrets: list[dict[str, Any]] = field(default_factory=list)  # {"value", "expires"?: ISO time}
    certificates: list[str] = field(default_factory=list)  # public certificates, PEM
    federated: list[dict[str, str]] = field(default_factory=list)  # {"issuer", "subject"}


@dataclass(slots=True)
class ManagedIdentity:
    client_id: str
    principal_id: str
    tenant_id: str


@dataclass(slots=True)
class Assignment:
    principal: str  # object id of a user, service principal or managed identity; or an app's client id
    role: str  # a role's name or definition id (built-in or custom)
    scope: str
    name: str = ""  # the GUID in its id, {scope}/providers/Microsoft.Authorization/roleAssignments/{name}
    principal_type: str = "User"
    condition: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            # Stable for scenario entries, so ids survive a restart of the sandbox.
            self.name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ra/{self.principal}/{self.role}/{self.scope}".lower()))


@dataclass(slots=True)
class CustomRole:
    """A custom role definition of a tenant: usable only at or below its assignable scopes."""

    id: str
    name: str
    actions: list[str]
    not_actions: list[str]
    assignable_scopes: list[str]
    description: str = ""
    tenant: str = ""

    def as_role(self) -> Role:
        return Role(self.name, self.id, tuple(self.actions), tuple(self.not_actions))


@dataclass(slots=True)
class Delegation:
    """Azure Lighthouse: a customer's subscription delegated to a managing tenant's principals."""

    customer_tenant: str
    subscription_id: str
    managing_tenant: str
    authorizations: list[Assignment]


class Directory:
    def __init__(self, scenario: dict[str, Any]) -> None:
        self.apps: dict[str, App] = {}
        self.identities: dict[str, ManagedIdentity] = {}
        self.consent: dict[str, set[str]] = {}
        self.assignments: dict[str, list[Assignment]] = {}
        self.delegations: list[Delegation] = []
        self.custom_roles: dict[str, CustomRole] = {}  # lower-case id -> role
        self.principals: dict[str, dict[str, Any]] = {}  # tenant -> {lower object id: {"type", "deleted"?}}
        self.groups: dict[str, dict[str, dict[str, Any]]] = {}  # tenant -> {lower group id: group}
        for a in scenario.get("apps") or []:
            app = App(a["clientId"], a["homeTenantId"], a.get("displayName", ""), list(a.get("secrets") or []),
                      list(a.get("certificates") or []), list(a.get("federatedCredentials") or []))
            self.apps[app.client_id.lower()] = app
        for m in scenario.get("managedIdentities") or []:
            mi = ManagedIdentity(m["clientId"], m["principalId"], m["tenantId"])
            self.identities[mi.client_id.lower()] = mi
        for t in scenario.get("tenants") or []:
            tid = str(t["id"]).lower()
            self.consent[tid] = {c.lower() for c in t.get("consentedApps") or []}
            for c in t.get("roleDefinitions") or []:
                custom = CustomRole(c["id"], c["roleName"], list(c.get("actions") or []),
                                    list(c.get("notActions") or []), list(c.get("assignableScopes") or []),
                                    c.get("description", ""), tid)
                self.custom_roles[custom.id.lower()] = custom
            self.principals[tid] = {str(p["id"]).lower(): dict(p) for p in t.get("principals") or []}
            # Security groups: {"id", "displayName", "members": [user or group ids]} (Microsoft Graph's facts).
            self.groups[tid] = {str(g["id"]).lower(): dict(g) for g in t.get("groups") or []}
            self.assignments[tid] = [
                Assignment(r.get("principalId") or r["appId"], r["role"], r["scope"], r.get("name", ""),
                           r.get("principalType", "User"), r.get("condition"), r.get("description"))
                for r in t.get("roleAssignments") or []
            ]
            for d in t.get("delegations") or []:
                auths = [Assignment(x["principalId"], x["role"], f"/subscriptions/{d['subscriptionId']}")
                         for x in d.get("authorizations") or []]
                for auth in auths:
                    if role(auth.role).name.lower() in LIGHTHOUSE_FORBIDDEN:
                        raise DirectoryError(f"tenant {tid}: Azure Lighthouse cannot delegate the {auth.role} role")
                self.delegations.append(Delegation(tid, d["subscriptionId"], d["managedByTenantId"], auths))
        for tid_roles in self.assignments.values():
            for a in tid_roles:
                self.role(a.role)  # unknown roles fail at load, not at the first request

    def role(self, name_or_id: str) -> Role:
        """A built-in role, or a custom role of this directory."""
        custom = self.custom_roles.get(name_or_id.rsplit("/", 1)[-1].lower())
        return custom.as_role() if custom is not None else role(name_or_id)

    def user_exists(self, tenant_id: str, user_id: str) -> bool:
        listed = self.principals.get(tenant_id.lower(), {}).get(user_id.lower())
        return listed is not None and listed.get("type", "User") == "User" and not listed.get("deleted", False)

    def groups_of(self, tenant_id: str, object_id: str) -> set[str]:
        """The groups the object is a member of, directly or through groups in groups (transitive)."""
        groups = self.groups.get(tenant_id.lower(), {})
        found: set[str] = set()
        todo = [object_id.lower()]
        while todo:
            member = todo.pop()
            for gid, group in groups.items():
                if gid not in found and member in {str(m).lower() for m in group.get("members") or []}:
                    found.add(gid)
                    todo.append(gid)
        return found

    def principal_exists(self, tenant_id: str, principal_id: str) -> bool:
        """Listed in the tenant (and not deleted), a managed identity, an app's service principal, or named
        by the scenario's own role assignments."""
        tid, pid = tenant_id.lower(), principal_id.lower()
        listed = self.principals.get(tid, {}).get(pid)
        if listed is not None:
            return not listed.get("deleted", False)
        if any(m.principal_id.lower() == pid and m.tenant_id.lower() == tid for m in self.identities.values()):
            return True
        if any(self.service_principal_id(tid, a.client_id) == pid or a.client_id.lower() == pid
               for a in self.apps.values() if self.app_in_tenant(a.client_id, tid)):
            return True
        return any(a.principal.lower() == pid for a in self.assignments.get(tid, []))

    # ------------------------------------------------------------------ apps

    def app(self, client_id: str) -> App | None:
        return self.apps.get(client_id.lower())

    def app_in_tenant(self, client_id: str, tenant_id: str) -> bool:
        """The app has a service principal in the tenant: its home tenant, or a tenant that consented."""
        app = self.app(client_id)
        if app is None:
            return False
        return app.home_tenant.lower() == tenant_id.lower() or client_id.lower() in self.consent.get(
            tenant_id.lower(), set())

    @staticmethod
    def service_principal_id(tenant_id: str, client_id: str) -> str:
        """The app's service principal's object id in a tenant (stable, distinct per tenant)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp/{tenant_id.lower()}/{client_id.lower()}"))

    # ------------------------------------------------------------------ access

    def roles_at(self, *, subscription_id: str, subscription_tenant: str, token_tenant: str,
                 principal_ids: set[str], scope: str) -> list[Role]:
        """The roles a principal holds on `scope`: role assignments in the subscription's own tenant for a
        token of that tenant; Lighthouse authorizations for a token of a managing tenant."""
        scope_l = scope.lower().rstrip("/")
        ids = {p.lower() for p in principal_ids}
        if token_tenant.lower() == subscription_tenant.lower():
            found = self.assignments.get(subscription_tenant.lower(), [])
            return [self.role(a.role) for a in found if a.principal.lower() in ids and _covers(a.scope, scope_l)]
        out = []
        wanted = (subscription_id.lower(), token_tenant.lower())
        for d in self.delegations:
            if (d.subscription_id.lower(), d.managing_tenant.lower()) == wanted:
                out.extend(role(a.role) for a in d.authorizations
                           if a.principal.lower() in ids and _covers(a.scope, scope_l))
        return out

    def drop_assignments_under(self, scopes: list[str]) -> None:
        """Forget the assignments at or below these scopes (moved resources)."""
        for found in self.assignments.values():
            found[:] = [a for a in found if not any(_covers(s, a.scope.lower()) for s in scopes)]  # in place

    def delegated(self, subscription_id: str, managing_tenant: str) -> bool:
        return any(d.subscription_id.lower() == subscription_id.lower()
                   and d.managing_tenant.lower() == managing_tenant.lower() for d in self.delegations)

    def to_scenario(self) -> dict[str, Any]:
        """The top-level keys (apps, managedIdentities); per-tenant keys come from `tenant_keys`."""
        return {
            "apps": [{"clientId": a.client_id, "homeTenantId": a.home_tenant, "displayName": a.display_name,
                      "secrets": a.secrets, "certificates": a.certificates, "federatedCredentials": a.federated}
                     for a in self.apps.values()],
            "managedIdentities": [{"clientId": m.client_id, "principalId": m.principal_id, "tenantId": m.tenant_id}
                                  for m in self.identities.values()],
        }

    def tenant_keys(self, tenant_id: str) -> dict[str, Any]:
        tid = tenant_id.lower()
        return {
            "consentedApps": sorted(self.consent.get(tid, set())),
            "roleAssignments": [{"principalId": a.principal, "role": a.role, "scope": a.scope, "name": a.name,
                                 "principalType": a.principal_type, "condition": a.condition,
                                 "description": a.description}
                                for a in self.assignments.get(tid, [])],
            "roleDefinitions": [{"id": c.id, "roleName": c.name, "actions": c.actions, "notActions": c.not_actions,
                                 "assignableScopes": c.assignable_scopes, "description": c.description}
                                for c in self.custom_roles.values() if c.tenant == tid],
            "principals": list(self.principals.get(tid, {}).values()),
            "groups": list(self.groups.get(tid, {}).values()),
            "delegations": [
                {"subscriptionId": d.subscription_id, "managedByTenantId": d.managing_tenant,
                 "authorizations": [{"principalId": a.principal, "role": a.role} for a in d.authorizations]}
                for d in self.delegations if d.customer_tenant == tid
            ],
        }


def _covers(assignment_scope: str, scope: str) -> bool:
    a = assignment_scope.lower().rstrip("/")
    return scope == a or scope.startswith(a + "/")
