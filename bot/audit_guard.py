"""Who may export the audit trail: the approvers (the partner's reviewers of every move). Anyone else is told
so and nothing is exported."""

from __future__ import annotations

from bot.access import AccessPolicy
from bot.port import Turn
from bot.routes import Guard, Refusal, Subject
from cards.messages import not_allowed_card

AUDITORS_ONLY = "Only approvers can export the audit trail."


def auditors(policy: AccessPolicy) -> Guard:
    async def guard(turn: Turn, subject: Subject) -> Refusal | None:
        if policy.may_approve(turn.caller):
            return None
        return Refusal(AUDITORS_ONLY, card=not_allowed_card(AUDITORS_ONLY), text=f"Not allowed: {AUDITORS_ONLY}")

    return guard
