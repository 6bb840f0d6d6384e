"""Who may use a route: each guard judges the caller (and what the command or click names) and says why
not, in the words the person is shown; a refusal about a move request carries what its audit trail
records, and the router writes it once. The route table (`bot/route_table.py`) puts them on the routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.access import GRAPH_DOWN, AccessPolicy, Caller, CustomerScope, person_of
from bot.commands import Command
from bot.notifier import with_note
from bot.port import Turn
from bot.routes import Guard, Refusal, Subject
from cards.messages import error_card, not_allowed_card
from dialogs.cancel import CancelFlow
from dialogs.decisions import DecisionFlow
from dialogs.inputs import GUID
from dialogs.requests import RequestsFlow, no_report_text
from migration.application.decisions import RequestDecisions
from migration.model.customers import Role
from migration.model.errors import DirectoryUnavailable
from migration.model.records import StoredRequest

ADMINS_ONLY = "Only partner admins manage the customer registry."
NOT_THEIR_CUSTOMER = "not an engineer or approver of the request's customer"
# The ids a click names that must belong to the customer named with them.
_SUBSCRIPTION_KEYS = ("subscriptionId", "sourceSubscriptionId", "targetSubscriptionId")
APPROVERS_CHOOSE = "Only approvers can choose where approval cards go."
PLANNER_ONLY = "Only the engineer who planned this move can cancel it."
REPORT_AUDIENCE = "A move's report goes to its requester, the approvers and the chats it was posted to."
NOT_IN_AUDIENCE = "not the requester, an approver or in the request's conversations"


class RefusalAuditTrail:
    """The router's RefusalAudit: a refusal is recorded on the move request it concerns."""

    def __init__(self, decisions: RequestDecisions) -> None:
        self._decisions = decisions

    async def refused(self, caller: Caller, request_id: str, detail: Mapping[str, Any]) -> None:
        await self._decisions.refused(request_id, by=person_of(caller), tenant_id=caller.tenant_id, detail=detail)


class Guards:
    def __init__(self, *, policy: AccessPolicy, scope: CustomerScope, decisions: RequestDecisions,
                 answers: DecisionFlow, cancels: CancelFlow, requests: RequestsFlow) -> None:
        self._policy = policy
        self._scope = scope
        self._decisions = decisions
        self._answers = answers
        self._cancels = cancels
        self._requests = requests

    async def engineers(self, turn: Turn, subject: Subject) -> Refusal | None:
        """Attaching, assessing and planning moves: an engineer of the customer the command or click names (of
        some customer when it names none yet). Without a registry: the engineers (anyone of the partner's
        tenant when none are listed)."""
        if isinstance(subject, Command):
            tenant, subscriptions = (subject.args[0] if subject.args else None), subject.args[1:2]
        else:
            named = subject.get("tenantId") or subject.get("tenant")
            tenant = named if isinstance(named, str) else None
            subscriptions = tuple(str(subject[k]) for k in _SUBSCRIPTION_KEYS if isinstance(subject.get(k), str))
            if subject.get("requestId") is not None:
                # A plan's or request's customer is the stored one's, whatever else the click names.
                tenant = await self._tenant_of(subject.get("requestId")) or tenant
        reason = await self._scope.refusal(turn.caller, Role.ENGINEER, tenant,
                                           subscriptions=[s for s in subscriptions if GUID.match(s)])
        if reason is None:
            return None
        return Refusal(reason, card=not_allowed_card(reason), text=f"Not allowed: {reason} Nothing was done."
                       if isinstance(subject, Command) else None)

    async def admins(self, turn: Turn, subject: Subject) -> Refusal | None:
        """The customer registry: partner admins (PARTNER_ADMIN_IDS, users or groups)."""
        try:
            if self._policy.tenant_allowed(turn.caller) and await self._scope.is_admin(turn.caller):
                return None
        except DirectoryUnavailable:
            return Refusal(GRAPH_DOWN, text=GRAPH_DOWN)
        ask = ("Ask a partner admin (the setting PARTNER_ADMIN_IDS names them) to make the change."
               if self._scope.admins_configured else
               "Nobody is a partner admin yet: the bot's administrator names them (users or groups) in the setting "
               "PARTNER_ADMIN_IDS.")
        return Refusal(ADMINS_ONLY, text=f"Not allowed: {ADMINS_ONLY} {ask} Nothing was changed.")

    async def request_viewers(self, turn: Turn, subject: Subject) -> Refusal | None:
        """A request's status and card: once customers are registered, the engineers and approvers of its
        customer. A command names no request it may not see; a click learns nothing about it."""
        if isinstance(subject, Command):
            if not subject.args:
                return None  # the caller's own newest request
            stored = await self._decisions.find(subject.args[0])
        else:
            stored = await self._decisions.find(subject.get("requestId"))
        if stored is None or await self._scope.may_see(turn.caller, stored.request.tenant_id):
            return None
        return Refusal(NOT_THEIR_CUSTOMER, card=not_allowed_card("You may not see this move request."),
                       text="I found no move request. Type `history` to see yours, or `status <request id>`."
                       if isinstance(subject, Command) else None,
                       request_id=stored.id, audit={"attempted": "view", "reason": NOT_THEIR_CUSTOMER})

    async def approvers_choose_where(self, turn: Turn, subject: Subject) -> Refusal | None:
        """`approvals here`: only an approver sets where approval cards go (anyone may ask where they go)."""
        here = isinstance(subject, Command) and bool(subject.args) and subject.args[0].lower() == "here"
        if not here or await self._scope.approves_anywhere(turn.caller):
            return None
        return Refusal(APPROVERS_CHOOSE, card=not_allowed_card(APPROVERS_CHOOSE))

    def deciders(self, action: str) -> Guard:
        """Approve or reject: an approver who did not ask for the move (the workflow's rule)."""

        async def guard(turn: Turn, subject: Subject) -> Refusal | None:
            stored = await self._decisions.find(_data(subject).get("requestId"))
            if stored is None:
                return None  # the handler says there is no such request
            reason = await self._scope.refusal(turn.caller, Role.APPROVER, stored.request.tenant_id)
            if reason is not None and await self._scope.active():
                return Refusal(reason, card=not_allowed_card(reason), request_id=stored.id,
                               audit={"attempted": action, "reason": reason, "state": stored.state.value})
            return await self._request_refusal(turn, stored, action, as_text=False)

        return guard

    async def cancellers(self, turn: Turn, subject: Subject) -> Refusal | None:
        """A plan is cancelled by the engineer who made it; a request by the person who asked for it. A bare
        `cancel` only ever stops the caller's own question, plan or request."""
        as_text = isinstance(subject, Command)
        if isinstance(subject, Command):
            if not subject.args:
                return None
            named = await self._cancels.named(subject.args[0])
        else:
            named = await self._cancels.named(subject.get("requestId"))
        if named.draft is not None:
            if named.draft.request.requested_by.id == person_of(turn.caller).id:
                return None
            return Refusal(PLANNER_ONLY, text=f"Not allowed: {PLANNER_ONLY} Nothing was changed." if as_text else None,
                           card=error_card(PLANNER_ONLY, "Ask them to cancel it."))
        if named.request is None:
            return None
        return await self._request_refusal(turn, named.request, "cancelled", as_text=as_text)

    async def report_viewers(self, turn: Turn, subject: Subject) -> Refusal | None:
        """A move's report: its requester, the approvers, and the people in the chats it was posted to. To
        anyone else a command finds no such request, and a click learns nothing about it."""
        if isinstance(subject, Command):
            stored = await self._requests.picked(turn, subject, reportable=True)
        else:
            stored = await self._decisions.find(subject.get("requestId"))
        if stored is None or (self._may_see(turn, stored) and
                              await self._scope.may_see(turn.caller, stored.request.tenant_id)):
            return None
        return Refusal(REPORT_AUDIENCE, card=not_allowed_card(REPORT_AUDIENCE),
                       text=no_report_text(subject) if isinstance(subject, Command) else None,
                       request_id=stored.id, audit={"attempted": "report", "reason": NOT_IN_AUDIENCE})

    # ------------------------------------------------------------------ helpers

    async def _tenant_of(self, request_id: object) -> str | None:
        """The customer tenant of the plan or request an id names; None when it names none."""
        named = await self._cancels.named(request_id)
        request = named.draft.request if named.draft else named.request.request if named.request else None
        return request.tenant_id if request else None

    async def _request_refusal(self, turn: Turn, stored: StoredRequest, action: str, *,
                               as_text: bool) -> Refusal | None:
        reason = self._decisions.refusal(stored, await self._scope.actor(turn.caller, stored.request.tenant_id),
                                         action)
        if reason is None:
            return None
        hint = ""
        if action != "cancelled" and self._policy.tenant_allowed(turn.caller) and \
                not self._policy.may_approve(turn.caller):
            hint = f" {self._policy.how_to_become_approver()}"
        shown = f"Not allowed: {reason}{hint} Nothing was changed."
        card = None if as_text else with_note(await self._answers.view(stored, turn.caller), shown, attention=True)
        return Refusal(reason, card=card, text=shown if as_text else None, request_id=stored.id,
                       audit={"attempted": action, "reason": reason, "state": stored.state.value})

    def _may_see(self, turn: Turn, stored: StoredRequest) -> bool:
        places = [stored.requester_conversation, stored.card.conversation if stored.card else None]
        conversations = {str((p.get("conversation") or {}).get("id")) for p in places if p}
        requested = next((d for d in stored.request.decisions if d.action == "requested"), None)
        return self._policy.may_see_request(turn.caller, requester_id=stored.request.requested_by.id,
                                            requester_tenant_id=requested.tenant_id if requested else None,
                                            conversations=conversations, conversation_id=turn.conversation.id or None)


def _data(subject: Subject) -> Mapping[str, Any]:
    return subject if not isinstance(subject, Command) else {}
