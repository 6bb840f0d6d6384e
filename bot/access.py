"""Who may do what: the Teams tenant allow-list, engineers, approvers. Pure decisions, no I/O."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from migration.model import Person
from migration.model.records import Actor


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

    def tenant_allowed(self, caller: Caller) -> bool:
        if not self.allowed_tenant_ids:
            return True
        return caller.tenant_id is not None and caller.tenant_id in self.allowed_tenant_ids

    def may_engineer(self, caller: Caller) -> bool:
        """Assess and request moves: listed engineers, or anyone of an allowed tenant when none are listed."""
        if not self.tenant_allowed(caller):
            return False
        if not self.engineer_ids:
            return True
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
