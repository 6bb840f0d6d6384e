"""What the chat remembers, per conversation and per person, over real HTTP on the embedded contoso sandbox:
an open question is its asker's, and `cancel` stops the asker's question, else the plan they made there."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from dialogs.state import ChatKey, ChatStates, OpenQuestion
from storage import SqliteDocumentStore
from tests.support import teams
from tests.support.cardtools import buttons, click, text_of
from tests.support.contoso import CONTOSO, CONTOSO_TENANT_ID, CSP, draft_card

GROUP_CHAT = "19:team-migrations@thread.v2"
COLLEAGUE = {"id": "29:colleague", "name": "Lee Gu", "aadObjectId": "00000000-0000-0000-0000-00000000a004"}


def _in_group(text: str, connector, user: dict[str, str]) -> dict:
    activity = teams.message(text, connector.url, conversation_id=GROUP_CHAT, user=user)
    activity["conversation"]["conversationType"] = "groupChat"
    return activity


async def test_an_open_question_belongs_to_the_person_who_asked_it(start_bot, connector):
    bot = await start_bot()
    await bot.post(_in_group("attach", connector, teams.ENGINEER))
    await connector.wait_for(1)
    assert "Which customer tenant?" in connector.texts()[-1]

    # A colleague in the same chat: a domain is not an answer for them, and their cancel stops nothing of his.
    await bot.post(_in_group(CONTOSO, connector, COLLEAGUE))
    await bot.post(_in_group("cancel", connector, COLLEAGUE))
    await connector.wait_for(3)
    assert "I don't know the command" in connector.texts()[1]
    assert "no move request that can still be cancelled" in connector.texts()[2]

    # The asker's answer still answers his question.
    await bot.post(_in_group(CONTOSO, connector, teams.ENGINEER))
    await connector.wait_for(4)
    assert f"Attached: {CONTOSO}" in text_of(connector.cards()[-1])


async def test_cancel_stops_the_plan_made_in_this_chat_and_creates_nothing(start_bot, connector):
    bot = await start_bot()
    confirm = await draft_card(bot, connector, "rg-web-prod")
    plan_id = buttons(confirm)["Cancel"]["data"]["requestId"]

    connector.clear()
    await bot.post(teams.message("cancel", connector.url))
    await connector.wait_for(1)
    assert connector.texts() == [f"Move plan {plan_id} was cancelled. Nothing was moved."]
    again = await click(bot, connector, buttons(confirm)["Create groups and run dry run"])
    assert "no longer exists" in text_of(again)
    groups = await bot.app_gateway().for_tenant(CONTOSO_TENANT_ID).groups.list_groups(CSP)
    assert "rg-web-prod" not in {g.name for g in groups}


async def test_changes_from_turns_at_once_are_each_kept(tmp_path: Path):
    """Each change is a compare-and-swap on the record: concurrent writers retry on the fresh record."""
    store = SqliteDocumentStore(tmp_path / "bot.db")
    try:
        chats = ChatStates(store)
        key = ChatKey("a:conv-personal", "00000000-0000-0000-0000-00000000a001")
        await asyncio.gather(chats.update(key, lambda s: replace(s, tenant_id="t-1")),
                             chats.update(key, lambda s: replace(s, plan_id="MR-ABCDEF")),
                             chats.ask(key, "assess"))
        state = await chats.get(key)
        assert (state.tenant_id, state.plan_id, state.question) == ("t-1", "MR-ABCDEF", OpenQuestion("assess"))
        assert await chats.get(ChatKey("a:conv-personal", "someone-else")) == type(state)()
    finally:
        await store.close()
