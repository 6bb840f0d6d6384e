"""A customer's tenant as the flows show it: its subscriptions (for attach and the pickers), what the bot
may do there, and, when it cannot act there, the cause with its fix. The checks are the tenant access
service's (`migration.application.tenant_access`); this module words them as cards."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.access import CustomerScope
from bot.port import Card, Turn
from cards.messages import not_allowed_card
from cards.relationship import relationship_section
from cards.tenant import attach_result_card, invitation_card, move_access_card, onboarding_card
from dialogs.replies import azure_error_card, tenant_not_found_card
from dialogs.state import ChatKey, ChatStates
from migration.application.relationship import PartnerRelationship
from migration.application.tenant_access import Denial, MoveAccess, TenantAccess, TenantSubscriptions
from migration.azure.together import together
from migration.model import ArmError, NotFound, RelationshipStatus, TenantAccessDenied
from migration.model.customers import Role

# What to draw once the tenant's subscriptions are known (a picker, the attach card).
SubscriptionsCard = Callable[[TenantSubscriptions], Card | Awaitable[Card]]


class TenantCards:
    def __init__(self, *, access: TenantAccess, chats: ChatStates, scope: CustomerScope, partner_tenant_id: str,
                 public_base_url: str, relationship: PartnerRelationship) -> None:
        self._access = access
        self._scope = scope  # every tenant a person names is checked here, typed or clicked
        self._relationship = relationship
        self._chats = chats
        self._partner = partner_tenant_id
        self._base = public_base_url.rstrip("/")

    async def resolved(self, turn: Turn, tenant: str) -> str | None:
        """The tenant's id, or None once the card saying why not is sent."""
        if (reason := await self._scope.refusal(turn.caller, Role.ENGINEER, tenant)) is not None:
            await turn.reply_card(not_allowed_card(reason))
            return None
        try:
            return await self._access.resolve(tenant)
        except NotFound:
            await turn.reply_card(tenant_not_found_card(tenant))
        except ArmError as error:
            await turn.reply_card(azure_error_card(error))
        return None

    async def subscriptions_card(self, turn: Turn, tenant: str, render: SubscriptionsCard) -> tuple[Card, bool]:
        """(card, whether the tenant worked): `render`'s card, or the one saying why the tenant did not. A
        tenant that worked is remembered: later questions of this person here default to it."""
        if (reason := await self._scope.refusal(turn.caller, Role.ENGINEER, tenant)) is not None:
            return not_allowed_card(reason), False
        try:
            found = await self._access.subscriptions(tenant)
        except TenantAccessDenied as exc:
            return await self.denied(tenant, exc), False
        except NotFound:
            return tenant_not_found_card(tenant), False
        except ArmError as error:
            return azure_error_card(error), False
        await self._chats.update(ChatKey.of(turn), lambda s: replace(s, tenant_id=found.tenant_id))
        if (nothing := await self._access.sees_nothing(tenant, found)) is not None:
            return self._denial_card(tenant, nothing, tenant_id=found.tenant_id), True
        card = render(found)
        return (await card if inspect.isawaitable(card) else card), True

    async def attached(self, tenant: str, found: TenantSubscriptions) -> Card:
        if (nothing := await self._access.sees_nothing(tenant, found)) is not None:
            return self._denial_card(tenant, nothing, tenant_id=found.tenant_id)
        checks, relationship = await together(self._access.checks(found), self._relationship.check(found.tenant_id))
        return attach_result_card(tenant=tenant, tenant_id=found.tenant_id, subscriptions=list(found.subscriptions),
                                  checks=checks, identity=self._access.identity,
                                  relationship=relationship_section(relationship, partner_tenant_id=self._partner),
                                  recheck=relationship.status is not RelationshipStatus.CONFIRMED)

    async def denied(self, tenant: str, exc: TenantAccessDenied | None = None) -> Card:
        """The card naming why the bot cannot act in the tenant, with the fix for that cause."""
        if self._access.identity.mode == "sandbox":
            return invitation_card(tenant=tenant, partner_tenant_id=self._partner)
        return self._denial_card(tenant, await self._access.denial(tenant, exc))

    def _denial_card(self, tenant: str, denial: Denial, *, tenant_id: str | None = None) -> Card:
        template_url = f"{self._base}/reports/{denial.delegation.token}.json" if denial.delegation else None
        return onboarding_card(tenant=tenant, tenant_id=tenant_id, cause=denial.cause, detail=denial.detail,
                               identity=denial.identity, partner_tenant_id=self._partner, template_url=template_url,
                               scope=denial.scope)

    async def move_blocked(self, tenant_id: str, blocked: MoveAccess) -> Card:
        """What the bot may not do before a move is planned, with the fix."""
        return move_access_card(identity=await self._access.with_principal(), tenant_id=tenant_id,
                                checks=blocked.checks,
                                names={blocked.source.id: blocked.source.display_name,
                                       blocked.target.id: blocked.target.display_name},
                                retry={"tenantId": tenant_id, "sourceSubscriptionId": blocked.source.id,
                                       "targetSubscriptionId": blocked.target.id})
