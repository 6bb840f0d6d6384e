"""Attaching a tenant: can the bot act in a customer's tenant, and what may it do there? Checked, not
guessed: the subscriptions it sees, and Microsoft.Authorization's permissions on each, evaluated against
what a move needs. When it cannot act, the cause (admin consent, a role, a Lighthouse delegation, the bot's
own credential) is named so the edge can show its fix.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace

from migration.application.ports import ReportArchive
from migration.assessment.catalog import Catalog
from migration.assessment.rules.preconditions import MOVE_NEEDS
from migration.azure.permissions import AccessIdentity, Check, evaluate, lighthouse_template
from migration.azure.ports import AzureGateway
from migration.azure.together import together
from migration.model import AccessCause, ArmError, Offer, Subscription, TenantAccessDenied
from migration.model.links import ReportLink

log = logging.getLogger(__name__)

SANDBOX_IDENTITY = AccessIdentity(mode="sandbox", kind="sandbox token")
MAX_CHECKED = 20  # subscriptions whose permissions are read on attach (the card lists 20)


@dataclass(frozen=True, slots=True)
class TenantSubscriptions:
    tenant_id: str
    subscriptions: tuple[tuple[Subscription, Offer], ...]  # each with the offer its quota id names


@dataclass(frozen=True, slots=True)
class Denial:
    """Why the bot cannot act in a tenant, with what its fix needs."""

    cause: AccessCause
    detail: str
    identity: AccessIdentity  # with the bot's principal id in Lighthouse mode
    scope: str | None = None  # where Azure refused, when it said
    delegation: ReportLink | None = None  # the Lighthouse delegation template to deploy


@dataclass(frozen=True, slots=True)
class MoveAccess:
    """What the bot may and may not do on a move's two subscriptions."""

    source: Subscription
    target: Subscription
    checks: tuple[Check, ...]


class TenantAccess:
    def __init__(self, *, gateway: AzureGateway, catalog: Catalog, identity: AccessIdentity,
                 reports: ReportArchive) -> None:
        self._gateway = gateway
        self._catalog = catalog
        self.identity = identity
        self._reports = reports
        self._principal: str | None = None

    async def resolve(self, tenant: str) -> str:
        """A domain or tenant id -> the tenant id (NotFound when Entra knows no such tenant)."""
        return await self._gateway.resolve_tenant(tenant)

    async def subscriptions(self, tenant: str) -> TenantSubscriptions:
        return await self.subscriptions_of(await self.resolve(tenant))

    async def subscriptions_of(self, tenant_id: str) -> TenantSubscriptions:
        found = await self._gateway.for_tenant(tenant_id).subscriptions.list_subscriptions()
        return TenantSubscriptions(tenant_id, tuple((s, self._catalog.offer(s.quota_id)) for s in found))

    async def sees_nothing(self, tenant: str, found: TenantSubscriptions) -> Denial | None:
        """Signed in, but no subscription in sight: no role anywhere (or, with Lighthouse, nothing
        delegated). The sandbox's identity sees what the scenario has: nothing to fix."""
        if found.subscriptions or self.identity.mode == "sandbox":
            return None
        if self.identity.mode == "lighthouse":
            return await self.denial(tenant, None, cause=AccessCause.NOT_DELEGATED,
                                     detail="No subscription of this tenant is delegated to the partner tenant.")
        return await self.denial(tenant, None, cause=AccessCause.ROLE_MISSING,
                                 detail="The bot's identity gets a token for this tenant but sees no subscription: "
                                 "it holds no Azure role on any of them.")

    async def checks(self, found: TenantSubscriptions) -> tuple[Check, ...]:
        """Each source and CSP target's permissions, read concurrently and evaluated."""
        sides = [(s, "source" if o.source_allowed else "target") for s, o in found.subscriptions
                 if o.source_allowed or o.target_allowed][:MAX_CHECKED]
        results = await together(*(self._read(found.tenant_id, s.id, side) for s, side in sides))
        return tuple(c for r in results for c in r)

    async def _read(self, tenant_id: str, subscription_id: str, side: str) -> tuple[Check, ...]:
        try:
            permissions = await self._gateway.for_tenant(tenant_id).authorization.list_permissions(subscription_id)
        except TenantAccessDenied:
            permissions = []  # no role at all there: every check fails, with its fix
        except ArmError as exc:
            log.warning("permissions of %s could not be read: %s", subscription_id, exc.code)
            return ()
        return evaluate(permissions, subscription_id=subscription_id, side=side)

    async def move_blockers(self, tenant_id: str, source_id: str, target_id: str) -> MoveAccess | None:
        """Before a move is planned: what the bot may not do that a move needs, or None when it may. A target
        the bot cannot even read in this tenant (another tenant's: rule G1) is left to the assessment,
        which explains it."""
        try:
            subscriptions = self._gateway.for_tenant(tenant_id).subscriptions
            source, target = await together(subscriptions.get_subscription(source_id),
                                            subscriptions.get_subscription(target_id))
        except TenantAccessDenied:
            return None
        source_checks, target_checks = await together(self._read(tenant_id, source.id, "source"),
                                                      self._read(tenant_id, target.id, "target"))
        checks = (*source_checks, *target_checks)
        if not any(not c.granted and c.requirement.key in MOVE_NEEDS for c in checks):
            return None
        return MoveAccess(source, target, checks)

    async def denial(self, tenant: str, exc: TenantAccessDenied | None, *, cause: AccessCause | None = None,
                     detail: str = "") -> Denial:
        """The cause of `exc` (or the cause given), as this identity's mode makes it."""
        cause = cause or (exc.cause if exc is not None else AccessCause.UNKNOWN)
        if cause is AccessCause.NOT_DELEGATED and self.identity.mode == "app" and exc is not None:
            cause = AccessCause.APP_NOT_CONSENTED  # a token of another tenant than the subscription's
        delegation = None
        if self.identity.mode == "lighthouse" and cause in (AccessCause.NOT_DELEGATED, AccessCause.ROLE_MISSING):
            template = lighthouse_template(await self.with_principal(), customer=tenant)
            delegation = await self._reports.create_document(f"lighthouse-delegation-{tenant}",
                                                             json.dumps(template, indent=2))
        return Denial(cause, detail or (exc.error.message if exc is not None else ""), await self.with_principal(),
                      scope=exc.scope if exc is not None else None, delegation=delegation)

    async def with_principal(self) -> AccessIdentity:
        """In Lighthouse mode the delegation names the bot's object id in the partner tenant: read from its token."""
        if self.identity.mode != "lighthouse" or self.identity.principal_id:
            return self.identity
        home = self.identity.partner_tenant_id
        if self._principal is None and home:
            try:
                me = await self._gateway.for_tenant(home).authorization.whoami()  # Lighthouse: the partner's token
            except ArmError as exc:
                log.warning("could not read the bot's own principal: %s", exc.code)
                me = None
            self._principal = me.object_id if me else ""
        return replace(self.identity, principal_id=self._principal or "")

