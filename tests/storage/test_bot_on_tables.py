"""The bot itself on `STORAGE_URL=azure-table://`: conversation state lives in Azure Table Storage and
survives a restart, as it does on SQLite."""

from __future__ import annotations

import uuid

from storage.tables import TableDocumentStore
from tests.support import teams
from tests.support.cardtools import text_of


async def test_conversation_state_survives_a_restart_on_azure_tables(start_bot, connector, azurite: str) -> None:
    env = {"STORAGE_URL": f"azure-table://bot{uuid.uuid4().hex[:10]}", "AZURE_STORAGE_CONNECTION_STRING": azurite}
    bot = await start_bot(**env)
    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200 and (await response.json())["storage"] == "reachable"
    for activity in teams.installed(connector.url):
        await bot.post(activity)
    await bot.post(teams.message("attach", connector.url))  # opens a question: conversation state
    await connector.wait_for(2)
    await bot.stop()

    restarted = await start_bot(**env)
    connector.clear()
    for activity in teams.installed(connector.url):
        await restarted.post(activity)
    await restarted.post(teams.message("contoso.onmicrosoft.com", connector.url))
    await connector.wait_for(1)
    assert len(connector.sent) == 1, "the restarted bot greeted again: its state was not kept"
    assert "Attached: contoso.onmicrosoft.com" in text_of(connector.cards()[0]), "the open question was kept"

    store = TableDocumentStore(azurite, prefix=env["STORAGE_URL"].removeprefix("azure-table://"))
    try:
        keys = [r.key for r in await store.list("chatstate")]
    finally:
        await store.close()
    # Per conversation and person, stored under its ":" and "|" key, read back intact.
    assert keys == [f"a:conv-personal|{teams.ENGINEER['aadObjectId']}"]
