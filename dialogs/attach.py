"""`attach <tenant>`: what the bot may do in a customer's tenant (its subscriptions, the permissions on
each, ✓ or ✗ with the fix), or why it cannot act there at all and the fix for that cause."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands import Command
from bot.port import Card, Turn
from cards.messages import error_card, question_card
from dialogs.inputs import tenant_problem
from dialogs.questions import Questions
from dialogs.replies import TENANT_QUESTION
from dialogs.state import ChatKey, ChatStates
from dialogs.tenants import TenantCards


class AttachFlow:
    def __init__(self, *, tenants: TenantCards, questions: Questions, chats: ChatStates) -> None:
        self._tenants = tenants
        self._questions = questions
        self._chats = chats

    async def attach_command(self, turn: Turn, command: Command) -> None:
        if await self._questions.asked_for_tenant(turn, "attach", command.args):
            return
        await turn.typing()
        await turn.reply_card(await self._attach_card(turn, command.args[0]))

    async def start_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        await self._chats.ask(ChatKey.of(turn), "attach")
        return question_card("Attach a tenant", TENANT_QUESTION)

    async def check_verb(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        tenant = data.get("tenant")
        if not isinstance(tenant, str) or tenant_problem(tenant):
            return error_card("That button carries no valid tenant.", "Type attach followed by the tenant.")
        return await self._attach_card(turn, tenant)

    async def _attach_card(self, turn: Turn, tenant: str) -> Card:
        card, _ = await self._tenants.subscriptions_card(turn, tenant, lambda found: self._tenants.attached(tenant,
                                                                                                            found))
        return card
