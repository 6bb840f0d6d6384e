"""ARM's side of authentication and authorization: who the bearer token is, which subscriptions it sees,
and whether its roles allow the action a request needs (403 AuthorizationFailed otherwise).

Two kinds of token:
- JWTs from the sandbox's Entra (`sandbox.entra`): signature, expiry, audience and tenant are checked;
  access comes from the scenario's role assignments in the subscription's tenant, or from an Azure
  Lighthouse delegation when the token is from the managing tenant;
- the static `sandbox.<tenant-id>` / `sandbox.partner` tokens of the sandbox-only credential: full access
  to tenants whose scenario entry says `"partnerAccess": true` (a shortcut for trying the bot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.directory import Role
from sandbox.entra import Entra, TokenInvalid
from sandbox.errors import ArmFailure
from sandbox.routing import Match
from sandbox.state import Sub, Tenant, World

STATIC_PREFIX = "sandbox."
STATIC_PARTNER = "partner"

GRAPH_READ = "Microsoft.Resources/subscriptions/resources/read"


@dataclass(slots=True)
class Caller:
    """The principal behind a bearer token."""

    token: str  # also the throttling key (per principal)
    static_tenant: Tenant | None = None  # static token for one tenant
    static: bool = False
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant_id(self) -> str:
        return str(self.claims.get("tid", ""))

    @property
    def principals(self) -> set[str]:
        return {str(self.claims.get(k)) for k in ("oid", "appid") if self.claims.get(k)}


def wrong_tenant(sub: Sub) -> ArmFailure:
    """What ARM answers for a token of another tenant than the subscription's (and no delegation)."""
    return ArmFailure(401, "InvalidAuthenticationTokenTenant",
                      f"The access token is from the wrong issuer. It must match the tenant "
                      f"'https://sts.windows.net/{sub.tenant_id}/' associated with this subscription. "
                      "Please use the authority (URL) 'https://login.windows.net/"
                      f"{sub.tenant_id}' to get the token.")


class ArmAuth:
    def __init__(self, world: World, entra: Entra) -> None:
        self.world = world
        self.entra = entra

    def authenticate(self, request: web.Request) -> Caller:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise ArmFailure(401, "AuthenticationFailed",
                             "Authentication failed. The 'Authorization' header is missing.")
        token = auth[len("Bearer "):].strip()
        if token.startswith(STATIC_PREFIX):
            who = token[len(STATIC_PREFIX):]
            if who == STATIC_PARTNER:
                return Caller(token, static=True)
            tenant = self.world.tenant(who)
            if tenant is None or not tenant.partner_access:
                raise ArmFailure(401, "InvalidAuthenticationTokenTenant",
                                 f"The access token is from the wrong issuer 'https://sts.windows.net/{who}/'. "
                                 "The partner has no delegated access to this tenant.")
            return Caller(token, tenant, static=True)
        try:
            claims = self.entra.verify(token)
        except TokenInvalid as exc:
            raise ArmFailure(exc.status, exc.code, exc.message) from None
        if self.world.tenant(str(claims["tid"])) is None:
            raise ArmFailure(401, "InvalidAuthenticationTokenTenant",
                             f"The access token is from an unknown tenant '{claims['tid']}'.")
        return Caller(token, claims=claims)

    # ------------------------------------------------------------------ visibility and roles

    def _roles(self, caller: Caller, sub: Sub, scope: str) -> list[Role] | None:
        """None: the token cannot be used for this subscription at all (wrong tenant, no delegation)."""
        own = caller.tenant_id.lower() == sub.tenant_id.lower()
        if not own and not self.world.directory.delegated(sub.id, caller.tenant_id):
            return None
        app, directory = str(caller.claims.get("appid", "")), self.world.directory
        if own and directory.app(app) is not None and not directory.app_in_tenant(app, sub.tenant_id):
            return []  # consent withdrawn: the app's service principal, and its role assignments, are gone
        return self.world.directory.roles_at(subscription_id=sub.id, subscription_tenant=sub.tenant_id,
                                             token_tenant=caller.tenant_id, principal_ids=caller.principals,
                                             scope=scope)

    def sees(self, caller: Caller, sub: Sub) -> bool:
        """Listed by GET /subscriptions: a role on the subscription (own tenant or delegated)."""
        if caller.static:
            if caller.static_tenant is None:
                t = self.world.tenant(sub.tenant_id)
                return bool(t and t.partner_access)
            return sub.tenant_id.lower() == caller.static_tenant.id.lower()
        return bool(self._roles(caller, sub, f"/subscriptions/{sub.id}"))

    def usable(self, caller: Caller, sub: Sub) -> None:
        """The token may be used for this subscription at all (else 401 InvalidAuthenticationTokenTenant)."""
        if caller.static:
            if not self.sees(caller, sub):
                raise wrong_tenant(sub)
            return
        if self._roles(caller, sub, f"/subscriptions/{sub.id}") is None:
            raise wrong_tenant(sub)

    def authorize_route(self, caller: Caller, match: Match) -> None:
        """Before any work: the token may be used for the subscription the path names, and its roles allow the
        route's action (the Azure operation names, learn.microsoft.com/azure/role-based-access-control/
        resource-provider-operations) on the route's scope. A path naming no subscription, or one that does not
        exist, is left to its handler."""
        sub = self.world.sub(match.subscription_id) if match.subscription_id else None
        if sub is not None:
            self.authorize(caller, sub, match.action, match.authorization_scope)

    def authorize(self, caller: Caller, sub: Sub, action: str | None, scope: str) -> None:
        """403 AuthorizationFailed unless a role of the caller allows `action` on `scope`."""
        self.usable(caller, sub)
        if caller.static or action is None:
            return
        roles = self._roles(caller, sub, scope) or []
        if not any(r.allows(action) for r in roles):
            who = caller.claims.get("oid", "")
            raise ArmFailure(403, "AuthorizationFailed",
                             f"The client '{who}' with object id '{who}' does not have authorization to perform "
                             f"action '{action}' over scope '{scope}' or the scope is invalid. If access was "
                             "recently granted, please refresh your credentials.")

    def permissions(self, caller: Caller, sub: Sub) -> list[dict[str, Any]]:
        """Microsoft.Authorization/permissions: one entry per role the caller holds on the subscription."""
        self.usable(caller, sub)
        if caller.static:
            return [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}]
        roles = self._roles(caller, sub, f"/subscriptions/{sub.id}") or []
        return [{"actions": list(r.actions), "notActions": list(r.not_actions), "dataActions": [],
                 "notDataActions": []} for r in roles]

