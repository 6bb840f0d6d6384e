"""What a naive port to the Agents SDK 1.9.0 gets wrong, one test each, on both Teams edges (the `edge` fixture):
the status codes, answers to malformed input and failed turns, typing, and each chat's own state."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from tests.support import teams
from tests.support.bot_http import Connector, RunningBot
from tests.support.cardtools import text_of
from tests.support.contoso import CONTOSO

CARD = "application/vnd.microsoft.card.adaptive"


async def test_a_message_is_answered_201_as_botbuilder_does(start_bot, connector: Connector) -> None:
    bot = await start_bot()
    response = await bot.post(teams.message("help", connector.url))
    assert response.status == 201, "the Agents SDK answers 202"
    await connector.wait_for(1)


async def test_an_invoke_the_bot_does_not_handle_gets_400_with_a_reason(start_bot, connector: Connector) -> None:
    bot = await start_bot()
    activity = {**teams.card_action("help.show", {}, connector.url), "name": "composeExtension/query"}
    response = await bot.post(activity)
    assert response.status == 400, "the Agents SDK answers 501 with an empty body"
    assert "composeExtension/query" in json.loads(await response.text())["error"]
    assert connector.sent == []


async def test_a_field_of_the_wrong_type_gets_400_naming_it(start_bot, connector: Connector) -> None:
    bot = await start_bot()
    response = await bot.post({**teams.message("help", connector.url), "from": 42})
    body = await response.text()
    assert response.status == 400, f"the Agents SDK's pydantic model raises (HTTP 500): {body[:300]}"
    assert "malformed activity" in body and "42" not in body
    assert connector.sent == []


async def test_an_action_submit_sent_as_a_card_action_gets_the_unknown_button_card(
    start_bot, connector: Connector
) -> None:
    bot = await start_bot()
    activity = teams.card_action("help.show", {}, connector.url)
    activity["value"]["action"]["type"] = "Action.Submit"
    response = await bot.post(activity)
    assert response.status == 200, "the Agents SDK's ActivityHandler answers 500"
    answer = json.loads(await response.text())
    assert answer["statusCode"] == 200 and answer["type"] == CARD
    assert "button" in text_of(answer["value"]).lower()


async def _break_the_store(bot: RunningBot) -> None:
    async with bot.session.get(f"{bot.url}/healthz") as response:  # the store is open, its table made
        assert response.status == 200
    with sqlite3.connect(Path(bot.settings.storage_url.removeprefix("sqlite:///"))) as db:
        db.execute("DROP TABLE documents")


async def test_a_failed_turn_tells_the_user_plainly_and_never_shows_the_error(start_bot, connector: Connector) -> None:
    bot = await start_bot()
    await _break_the_store(bot)
    response = await bot.post(teams.message("attach", connector.url))
    assert response.status == 201, "a 5xx would make Teams send the message again"
    [reply] = await connector.wait_for(1)
    assert reply["text"].startswith("Sorry, something went wrong on my side. Nothing was changed.")
    shown = json.dumps(connector.sent)
    assert "no such table" not in shown and "Exception" not in shown, "the SDK's own handler posts the error"


async def test_the_bot_sends_typing_only_when_a_flow_asks_for_it(start_bot, connector: Connector) -> None:
    bot = await start_bot()
    connector.post_delay = 2.0  # a slow turn: a typing timer fires while the reply is on its way
    await bot.post(teams.message("help", connector.url))
    await connector.wait_for(1)
    assert [a["type"] for a in connector.sent] == ["message"], "AgentApplication's typing timer posts by itself"


async def test_two_chats_answering_at_once_keep_their_own_questions(start_bot, connector: Connector) -> None:
    """One app-wide ConversationState (the Agents SDK's pattern) writes one chat's state under the other's key
    when their turns interleave; the bot's state is per chat in its own store."""
    bot = await start_bot()
    chats = [f"a:chat-{n}" for n in range(4)]
    await asyncio.gather(*(bot.post(teams.message("attach", connector.url, conversation_id=c)) for c in chats))
    await connector.wait_for(len(chats))
    assert all("Which customer tenant?" in t for t in connector.texts())
    connector.clear()
    first, *others = chats
    await asyncio.gather(bot.post(teams.message(CONTOSO, connector.url, conversation_id=first)),
                         *(bot.post(teams.message("not a tenant!", connector.url, conversation_id=c))
                           for c in others))
    await connector.wait_for(len(chats))
    by_chat = {a["_conversation"]: a for a in connector.sent}
    assert f"Attached: {CONTOSO}" in text_of(by_chat[first]["attachments"][0]["content"])
    assert all("is not a tenant" in by_chat[c]["text"] for c in others), "each chat still had its own question"
