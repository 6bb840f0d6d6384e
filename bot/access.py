"""Who may do what: the Teams tenant allow-list, engineers, approvers. Pure decisions, no I/O."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from dialogs.inputs import GUID
from migration.application.customers import CustomerRegistry
from migration.model import ArmError, NotFound, Person
from migration.model.customers import Customer, Role
from migration.model.errors import DirectoryUnavailable
from migration.model.records import Actor

ENGINEERS_ONLY = "Only partner engineers can attach tenants and assess subscriptions."
APPROVERS_ONLY = "Only approvers can approve or reject moves."
FOREIGN = "Your organisation may not use this bot."


@dataclass(frozen=True, slots=True)
class Caller:
    tenant_id: str | None  # channelData.tenant.id (conversation.tenantId is lost by botbuilder 4.17)
    user_id: str | None  # Entra object id (from.aadObjectId)
    name: str
    mri: str | None  # Teams user id (from.id)


def person_of(caller: Caller) -> Person:
    return Person(caller.user_id or caller.mri or "unknown", caller.name, caller.mri)


def _chat(conversation_id: str) -> str:
    """A channel's conversation id names the thread too (`19:...@thread.tacv2;messageid=...`): every thread
    of the channel is the same audience."""
    return conversation_id.split(";messageid=", 1)[0]


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    allowed_tenant_ids: frozenset[str]
    engineer_ids: frozenset[str]
    approver_ids: frozenset[str]
    anyone_engineers: bool = True  # no ENGINEER_IDS: everyone of an allowed tenant (local mode only)

    def tenant_allowed(self, caller: Caller) -> bool:
        if not self.allowed_tenant_ids:
            return True
        return caller.tenant_id is not None and caller.tenant_id in self.allowed_tenant_ids

    def may_engineer(self, caller: Caller) -> bool:
        """Assess and request moves: listed engineers, or anyone of an allowed tenant when none are listed (in
        local mode; a registered bot then has no engineers until customers are registered)."""
        if not self.tenant_allowed(caller):
            return False
        if not self.engineer_ids:
            return self.anyone_engineers
        return caller.user_id is not None and caller.user_id in self.engineer_ids

    def may_approve(self, caller: Caller) -> bool:
        return self.tenant_allowed(caller) and caller.user_id is not None and caller.user_id in self.approver_ids

    def how_to_become_approver(self) -> str:
        """Said with a refusal to someone who is not an approver: who decides instead, or how anyone becomes one
        when nobody is an approver yet."""
        if self.approver_ids:
            return "An approver decides; the bot's administrator adds approvers to the setting APPROVER_IDS."
        return ("Nobody is an approver yet: the bot's administrator names them in the setting APPROVER_IDS "
                "(their Entra object ids, comma-separated) and restarts the bot.")

    def actor(self, caller: Caller) -> Actor:
        """The caller as the workflow's decisions take them."""
        return Actor(person_of(caller), caller.tenant_id, may_approve=self.may_approve(caller),
                     tenant_allowed=self.tenant_allowed(caller))

    def may_see_request(self, caller: Caller, *, requester_id: str, requester_tenant_id: str | None,
                        conversations: Collection[str], conversation_id: str | None) -> bool:
        """A move request's details (its report): the requester, the approvers, and whoever is in a
        conversation the request was posted to (the requester's chat, the approvals channel) in the
        requester's own tenant."""
        if not self.tenant_allowed(caller):
            return False
        if caller.user_id is not None and caller.user_id == requester_id.lower():
            return True
        if self.may_approve(caller):
            return True
        same_tenant = not requester_tenant_id or caller.tenant_id == requester_tenant_id.lower()
        return same_tenant and conversation_id is not None and _chat(conversation_id) in {_chat(c) for c in
                                                                                           conversations}


ASK_ADMIN = "Ask a partner admin to register the customer (`customer add`) and grant you access (`customer grant`)."
GRAPH_DOWN = ("I could not check your group memberships with Microsoft Graph just now, so access through a group "
              "does not count. Nothing was done; try again in a minute.")


class TenantNames(Protocol):
    async def resolve(self, tenant: str) -> str:
        """A verified domain or tenant id -> the tenant id (NotFound when Entra knows no such tenant)."""


class CustomerScope:
    """Which customers a person may act for. While no customer is registered the legacy settings decide
    (`AccessPolicy`: ENGINEER_IDS / APPROVER_IDS for every tenant); once one is, only the registry's grants do,
    and a tenant that is not registered is nobody's. Each check answers why not (None: allowed)."""

    def __init__(self, *, registry: CustomerRegistry, tenants: TenantNames, policy: AccessPolicy) -> None:
        self._registry = registry
        self._tenants = tenants
        self._policy = policy

    async def active(self) -> bool:
        return await self._registry.active()

    async def customer(self, tenant: str) -> Customer | None:
        """The registered customer a tenant id or domain names (a domain Entra resolves to a registered id too)."""
        found = await self._registry.find(tenant)
        if found is not None or GUID.match(tenant.strip()):
            return found
        try:
            return await self._registry.find(await self._tenants.resolve(tenant))
        except (NotFound, ArmError):
            return None

    async def refusal(self, caller: Caller, role: Role, tenant: str | None, *,
                      subscriptions: Collection[str] = ()) -> str | None:
        """Why `caller` may not act as `role` for `tenant` (None: they may). No tenant named: they must hold the
        role for some customer (the flow asks which, and the answer is checked again)."""
        legacy = self._policy.may_engineer(caller) if role is Role.ENGINEER else self._policy.may_approve(caller)
        if not await self.active():
            return None if legacy else (ENGINEERS_ONLY if role is Role.ENGINEER else APPROVERS_ONLY)
        if not self._policy.tenant_allowed(caller):
            return FOREIGN
        try:
            if tenant is None or not tenant.strip():
                if await self._registry.customers_of(caller.user_id, role):
                    return None
                return f"You are not {_a(role)} of any customer. {ASK_ADMIN}"
            customer = await self.customer(tenant)
            if customer is None:
                return f"{tenant.strip()[:60]} is not one of the partner's registered customers. {ASK_ADMIN}"
            if role not in await self._registry.roles(caller.user_id, customer):
                return f"You are not {_a(role)} of the customer {tenant.strip()[:60]}. {ASK_ADMIN}"
        except DirectoryUnavailable:
            return GRAPH_DOWN
        outside = [s for s in subscriptions if s and not customer.subscription_in_scope(s)]
        if outside:
            return (f"Subscription {outside[0][:40]} is not in scope for this customer. Ask a partner admin to add "
                    f"it: `customer scope {customer.tenant} <subscription id>...` names the customer's subscriptions "
                    "(`customer show` lists them).")
        return None

    async def may_approve(self, caller: Caller, tenant_id: str) -> bool:
        if not await self.active():
            return self._policy.may_approve(caller)
        return await self.refusal(caller, Role.APPROVER, tenant_id) is None

    async def approves_anywhere(self, caller: Caller) -> bool:
        """An approver (of some customer, once customers are registered)."""
        if not await self.active():
            return self._policy.may_approve(caller)
        return await self.refusal(caller, Role.APPROVER, None) is None

    async def actor(self, caller: Caller, tenant_id: str) -> Actor:
        """The caller as the workflow's decisions on one of `tenant_id`'s requests take them."""
        return Actor(person_of(caller), caller.tenant_id, may_approve=await self.may_approve(caller, tenant_id),
                     tenant_allowed=self._policy.tenant_allowed(caller))

    async def is_admin(self, caller: Caller) -> bool:
        return await self._registry.is_admin(caller.user_id)

    @property
    def admins_configured(self) -> bool:
        return self._registry.admins_configured

    async def may_see(self, caller: Caller, tenant_id: str) -> bool:
        """A customer's requests and reports: its engineers and approvers (anyone allowed, without a registry)."""
        if not await self.active():
            return True
        for role in Role:
            if await self.refusal(caller, role, tenant_id) is None:
                return True
        return False


def _a(role: Role) -> str:
    return "an engineer" if role is Role.ENGINEER else "an approver"
