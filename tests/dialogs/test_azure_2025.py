"""The azure-2025 tenant over real HTTP: an engineer assesses it in chat, reads the four verdicts and the fixes
with their commands, then plans a move of a group only Azure can decide; the dry run gives the answer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app import create_app
from settings import load_settings
from tests.support import teams
from tests.support.bot_http import RunningBot, _serve
from tests.support.cards.cardwalk import walk
from tests.support.cardtools import buttons, click, final_update, text_of, wait_update
from tests.support.sandbox import gateway_spec

ADATUM = "adatum.onmicrosoft.com"
PAYG = "ada7a000-5ab1-4000-8000-000000000001"
CSP = "ada7a000-c5b1-4000-8000-000000000002"


@pytest.fixture
async def bot(tmp_path: Path, sandbox_factory: Any) -> AsyncIterator[RunningBot]:
    sandbox = await sandbox_factory("azure-2025", lro_seconds=0.1)
    settings = load_settings({"STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "HOST": "127.0.0.1", "PORT": "0",
                              "AZURE_CREDENTIAL": "sandbox", "ARM_ENDPOINT": sandbox.url})
    runner, url = await _serve(create_app(settings, gateway_spec=gateway_spec(sandbox)))
    async with aiohttp.ClientSession() as session:
        running = RunningBot(url, settings, runner, session)
        try:
            yield running
        finally:
            await running.stop()


def _readiness(card: dict[str, Any]) -> dict[str, list[str]]:
    table = next(b for b in walk(card) if b.get("type") == "Table")
    rows = [[t["text"] for cell in row["cells"] for t in cell["items"]] for row in table["rows"]]
    return {r[0]: r[1:] for r in rows[1:]}


async def test_assess_shows_four_verdicts_and_fixes_with_commands(bot: RunningBot, connector: Any) -> None:
    await bot.post(teams.message(f"assess {ADATUM} {PAYG}", connector.url))
    summary = await final_update(connector)
    assert "55 in 32 groups" in text_of(summary)
    # No target chosen in chat yet: rules only (G4 and target locks need the target).
    # rg-webapp-home is ready only after fixes: its plan hosts the app of rg-webapp-moved.
    assert _readiness(summary) == {"Ready": ["8", "9"], "Azure decides": ["2", "2"],
                                   "Ready after fixes": ["13", "33"], "Blocked": ["9", "11"]}
    assert "ms.date 10/26/2025" in text_of(summary)

    pages = [await click(bot, connector, buttons(summary)["Show blockers"])]
    while "Next page" in buttons(pages[-1]):
        pages.append(await click(bot, connector, buttons(pages[-1])["Next page"]))
    text = "\n".join(text_of(p) for p in pages)
    assert "11 blocked, 19 fix first, 2 Azure decides." in text
    commands = [b["text"] for p in pages for b in walk(p) if b.get("fontType") == "monospace"]
    assert ("az network nic ip-config update -g rg-vm-stdip --nic-name vm-web-1-nic -n ipconfig1 "
            "--remove publicIpAddress") in commands
    assert "az sql vm delete -g rg-sqlvm -n vm-sql --yes" in commands
    assert f"az lock delete --name change-freeze --resource-group rg-locked-ro --subscription {PAYG}" in commands
    names = re.findall(r"\*\*\d+\. ([^*]+)\*\*", text)
    assert len(names) == 32 and "vm-web-1-nic" in names and "plan-web" in names


@pytest.mark.parametrize(("group", "accepted"), [("rg-unknown", 1), ("rg-unknown-refused", 0)])
async def test_a_group_azure_decides_is_offered_and_its_dry_run_answers(bot: RunningBot, connector: Any, group: str,
                                                                        accepted: int) -> None:
    await bot.post(teams.message(f"move {ADATUM} {PAYG} {CSP} {group}", connector.url))
    confirm = await wait_update(connector, "Create target resource groups?")
    assert group in text_of(confirm)
    connector.updated.clear()
    await click(bot, connector, buttons(confirm)["Create groups and run dry run"])
    plan = await wait_update(connector, "Move plan MR-")
    if accepted:
        assert "Azure accepted 1 of 1 group." in text_of(plan) and "Ask for approval" in buttons(plan)
    else:  # left out with Azure's reason beside it, and nothing to ask approval for
        assert f"{group}: Azure's dry run refused it" in text_of(plan) and "Ask for approval" not in buttons(plan)
