"""Who may export the audit trail: the approvers (the partner's reviewers of every move); once customers are
registered, the approvers of the customer the export is about (the tenant named, or the request's). Anyone else
is told so and nothing is exported."""

from __future__ import annotations

from bot.access import CustomerScope
from bot.commands import Command
from bot.port import Turn
from bot.routes import Guard, Refusal, Subject
from cards.messages import not_allowed_card
from dialogs.inputs import GUID
from migration.application.decisions import RequestDecisions

AUDITORS_ONLY = "Only approvers can export the audit trail."
THEIR_CUSTOMERS_ONLY = "Only the customer's approvers can export its audit trail."


def auditors(scope: CustomerScope, decisions: RequestDecisions) -> Guard:
    async def guard(turn: Turn, subject: Subject) -> Refusal | None:
        if not await scope.approves_anywhere(turn.caller):
            return Refusal(AUDITORS_ONLY, card=not_allowed_card(AUDITORS_ONLY), text=f"Not allowed: {AUDITORS_ONLY}")
        named = subject.args[1].strip() if isinstance(subject, Command) and len(subject.args) == 2 else ""
        if not named or not await scope.active():
            return None  # the handler explains its usage; without a registry every approver audits every customer
        stored = None if GUID.match(named) else await decisions.find(named)
        tenant = named if GUID.match(named) else stored.request.tenant_id if stored else None
        if tenant is None or await scope.may_approve(turn.caller, tenant):
            return None  # no such request: the handler says nothing is recorded
        return Refusal(THEIR_CUSTOMERS_ONLY, text=f"Not allowed: {THEIR_CUSTOMERS_ONLY} Nothing was exported.")

    return guard
