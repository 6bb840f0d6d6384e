"""Who may use a move plan's verbs (Update plan, Ask for approval, Show the plan, Create groups, Plan again):
the engineer who made the draft, nobody else, so that four eyes are two people. A refusal is audited on the
draft's id (the request keeps it) by the application service, and says whose plan it is.
"""

from __future__ import annotations

from bot.access import person_of
from bot.commands import Command
from bot.port import Turn
from bot.routes import Guard, Refusal, Subject
from cards.messages import error_card
from dialogs.move_plan import not_yours
from migration.application.move_plans import MovePlans


def plan_owner(plans: MovePlans, verb: str, *, then: Guard) -> Guard:
    """`then` (who may plan at all), and the draft the click names is the caller's own."""

    async def guard(turn: Turn, subject: Subject) -> Refusal | None:
        refusal = await then(turn, subject)
        if refusal is not None or isinstance(subject, Command):
            return refusal
        planner = await plans.stranger(subject.get("requestId"), by=person_of(turn.caller),
                                       tenant_id=turn.caller.tenant_id, attempted=verb)
        if planner is None:
            return None
        shown = not_yours(planner.name)
        return Refusal(shown, card=error_card(shown, "Ask them to change it, or plan your own move."))

    return guard
