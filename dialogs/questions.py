"""The question a flow leaves open (which tenant?), answered by the next message of the person who was
asked; help, and the greeting when the app is added to a chat.

A flow asks only for what it lacks; an answer that is not a tenant is asked again with the reason, and a
tenant that did not work keeps the question open, with a card that says why.
"""

from __future__ import annotations

from typing import Any

from bot.commands import Command
from bot.port import Card, Turn
from cards import verbs
from cards.help import help_card
from cards.pickers import subscription_picker_card
from dialogs.inputs import tenant_problem
from dialogs.replies import TENANT_QUESTION
from dialogs.state import ChatKey, ChatStates
from dialogs.tenants import SubscriptionsCard, TenantCards
from migration.model.store import ConcurrencyError, DocumentStore

WELCOMED = "welcomed"


class Questions:
    def __init__(self, *, chats: ChatStates, tenants: TenantCards, store: DocumentStore, sandbox: bool) -> None:
        self._chats = chats
        self._tenants = tenants
        self._store = store
        self._sandbox = sandbox

    async def ask(self, turn: Turn, flow: str, question: str) -> None:
        await self._chats.ask(ChatKey.of(turn), flow)
        await turn.reply(question)

    async def asked_for_tenant(self, turn: Turn, flow: str, args: tuple[str, ...]) -> bool:
        """A command that names no tenant, or not a tenant, asks for it (True: asked)."""
        if not args:
            await self.ask(turn, flow, "Which customer tenant? " + TENANT_QUESTION)
            return True
        if problem := tenant_problem(args[0]):
            await self.ask(turn, flow, problem)
            return True
        return False

    async def on_text(self, turn: Turn, said: str) -> bool:
        """A message that names no command (`said`, without the @mention): the answer to this person's open
        question, if any."""
        key = ChatKey.of(turn)
        question = (await self._chats.get(key)).question
        if question is None or question.step != "tenant":
            return False
        if problem := tenant_problem(said):
            await turn.reply(problem + " Or type `cancel`.")
            return True
        text = said.strip()
        if question.flow == "attach":
            render: SubscriptionsCard = lambda found: self._tenants.attached(text, found)  # noqa: E731
        else:
            verb = verbs.MOVE_SOURCE if question.flow == "move" else verbs.ASSESS_SUBSCRIPTION
            render = lambda found: subscription_picker_card(  # noqa: E731
                tenant_id=found.tenant_id, tenant=text, subscriptions=list(found.subscriptions), verb=verb)
        card, answered = await self._tenants.subscriptions_card(turn, text, render)
        if answered:
            await self._chats.close_question(key)
        await turn.reply_card(card)
        if not answered:
            # The question stays open: the card says why that tenant did not work.
            await turn.reply("Type the tenant again (its GUID or a domain such as `contoso.onmicrosoft.com`), or "
                             "`cancel`.")
        return True

    # ------------------------------------------------------------------ help and the greeting

    async def help_command(self, turn: Turn, command: Command) -> None:
        await turn.reply_card(help_card(sandbox=self._sandbox))

    async def help_verb(self, turn: Turn, data: Any) -> Card:
        await self._chats.close_question(ChatKey.of(turn))
        return help_card(sandbox=self._sandbox)

    async def welcome(self, turn: Turn) -> None:
        """Greet once per conversation. Teams (and the Playground on every page load) sends
        installationUpdate and conversationUpdate at the same moment; an insert-if-absent in the store lets
        exactly one of them greet."""
        try:
            await self._store.put(WELCOMED, turn.conversation.id, {}, etag="")
        except ConcurrencyError:
            return
        await turn.reply_card(help_card(sandbox=self._sandbox))
