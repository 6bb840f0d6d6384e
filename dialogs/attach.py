"""Attach: can the bot act in a customer's tenant, and what may it do there? Checked, not guessed: the
subscriptions it sees, and Microsoft.Authorization's permissions on each, evaluated against what a move
needs. A tenant without access gets the fix for its actual cause (admin consent, a role, a Lighthouse
delegation, or the bot's own credential)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cards.tenant import attach_result_card, invitation_card, move_access_card, onboarding_card
from migration.assessment.rules.preconditions import MOVE_NEEDS
from migration.azure.permissions import AccessIdentity, Check, evaluate, lighthouse_template
from migration.azure.ports import AzureGateway
from migration.azure.together import together
from migration.model import AccessCause, ArmError, ArmErrorDetail, Offer, Subscription, TenantAccessDenied
from storage.reports import ReportLinks

log = logging.getLogger(__name__)

SANDBOX_IDENTITY = AccessIdentity(mode="sandbox", kind="sandbox token")
MAX_CHECKED = 20  # subscriptions whose permissions are read on attach (the card lists 20)


class AccessCards:
    def __init__(self, *, gateway: AzureGateway, identity: AccessIdentity, partner_tenant_id: str,
                 reports: ReportLinks, public_base_url: str) -> None:
        self._gateway = gateway
        self._identity = identity
        self._partner = partner_tenant_id
        self._reports = reports
        self._base = public_base_url.rstrip("/")
        self._principal: str | None = None

    async def checks(self, tenant_id: str, subscriptions: Sequence[tuple[Subscription, Offer]]) -> tuple[Check, ...]:
        """Each source and CSP target's permissions, read concurrently and evaluated."""
        sides = [(s, "source" if o.source_allowed else "target") for s, o in subscriptions
                 if o.source_allowed or o.target_allowed][:MAX_CHECKED]

        results = await together(*(self._read(tenant_id, s.id, side) for s, side in sides))
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

    async def move_blockers_of(self, tenant_id: str, source_id: str, target_id: str) -> dict[str, Any] | None:
        """`move_blockers` by ids. A target the bot cannot even read in this tenant (another tenant's: rule G1)
        is left to the assessment, which explains it."""
        subscriptions = self._gateway.for_tenant(tenant_id).subscriptions
        try:
            source, target = await together(subscriptions.get_subscription(source_id),
                                            subscriptions.get_subscription(target_id))
        except TenantAccessDenied:
            return None
        return await self.move_blockers(tenant_id, source, target)

    async def move_blockers(self, tenant_id: str, source: Subscription, target: Subscription) -> dict[str, Any] | None:
        """Before a move is planned: the card with what the bot may not do and the fix, or None when it may."""
        source_checks, target_checks = await together(self._read(tenant_id, source.id, "source"),
                                                      self._read(tenant_id, target.id, "target"))
        checks = (*source_checks, *target_checks)
        if not any(not c.granted and c.requirement.key in MOVE_NEEDS for c in checks):
            return None
        return move_access_card(identity=await self._with_principal(), tenant_id=tenant_id, checks=checks,
                                names={source.id: source.display_name, target.id: target.display_name},
                                retry={"tenantId": tenant_id, "sourceSubscriptionId": source.id,
                                       "targetSubscriptionId": target.id})

    async def attached(self, tenant: str, tenant_id: str,
                       subscriptions: list[tuple[Subscription, Offer]]) -> dict[str, Any]:
        if not subscriptions and self._identity.mode != "sandbox":
            # Signed in, but no role anywhere (or, with Lighthouse, nothing delegated).
            cause = AccessCause.NOT_DELEGATED if self._identity.mode == "lighthouse" else AccessCause.ROLE_MISSING
            detail = ("The bot's identity gets a token for this tenant but sees no subscription: it holds no Azure "
                      "role on any of them." if cause is AccessCause.ROLE_MISSING else
                      "No subscription of this tenant is delegated to the partner tenant.")
            return await self.denied(tenant, None, tenant_id=tenant_id, cause=cause, detail=detail)
        checks = await self.checks(tenant_id, subscriptions)
        return attach_result_card(tenant=tenant, tenant_id=tenant_id, subscriptions=subscriptions, checks=checks,
                                  identity=self._identity)

    async def denied(self, tenant: str, exc: TenantAccessDenied | None, *, tenant_id: str | None = None,
                     cause: AccessCause | None = None, detail: str | None = None) -> dict[str, Any]:
        """The onboarding card for the cause of `exc` (or the cause given)."""
        if self._identity.mode == "sandbox":
            return invitation_card(tenant=tenant, partner_tenant_id=self._partner)
        error = exc.error if exc is not None else ArmErrorDetail(code="", message=detail or "")
        cause = cause or (exc.cause if exc is not None else AccessCause.UNKNOWN)
        if cause is AccessCause.NOT_DELEGATED and self._identity.mode != "lighthouse" and exc is not None:
            # A token of another tenant than the subscription's: with the app, that is a missing consent.
            cause = AccessCause.APP_NOT_CONSENTED if self._identity.mode == "app" else cause
        template_url = None
        if self._identity.mode == "lighthouse" and cause in (AccessCause.NOT_DELEGATED, AccessCause.ROLE_MISSING):
            template_url = await self._template_url(tenant)
        return onboarding_card(tenant=tenant, tenant_id=tenant_id, cause=cause, detail=detail or error.message,
                               identity=await self._with_principal(), partner_tenant_id=self._partner,
                               template_url=template_url, scope=exc.scope if exc is not None else None)

    async def _with_principal(self) -> AccessIdentity:
        """In Lighthouse mode the delegation names the bot's object id in the partner tenant: read from its token."""
        if self._identity.mode != "lighthouse" or self._identity.principal_id:
            return self._identity
        home = self._identity.partner_tenant_id
        if self._principal is None and home:
            try:
                me = await self._gateway.for_tenant(home).authorization.whoami()  # Lighthouse: the partner's token
            except ArmError as exc:
                log.warning("could not read the bot's own principal: %s", exc.code)
                me = None
            self._principal = me.object_id if me else ""
        return replace(self._identity, principal_id=self._principal or "")

    async def _template_url(self, tenant: str) -> str:
        identity = await self._with_principal()
        template = lighthouse_template(identity, customer=tenant)
        link = await self._reports.create_document(f"lighthouse-delegation-{tenant}", json.dumps(template, indent=2))
        return f"{self._base}/reports/{link.token}.json"
