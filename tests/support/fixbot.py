"""The real bot over HTTP on a sandbox of the fixes scenario (a locked group, a web app split from its plan, a
Standard public IP, a peered network, role assignments), and the engineer's way to its move plan card."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app import create_app
from sandbox import Sandbox
from settings import load_settings
from tests.support import teams
from tests.support.bot_http import RunningBot, _serve
from tests.support.cardtools import buttons, click, text_of, wait_update
from tests.support.sandbox import CSP, PAYG, gateway_spec
from tests.support.scenarios.fixes import fixes_scenario

FABRIKAM_DOMAIN = "fabrikam.onmicrosoft.com"


@dataclass
class FixBot:
    """The running bot, the sandbox it acts on, and how to start it again on the same store."""

    bot: RunningBot
    sandbox: Sandbox
    db: Path
    session: aiohttp.ClientSession

    async def restart(self) -> RunningBot:
        """Stop the bot as a deployment does (work still running is cancelled) and start it again."""
        await self.bot.stop()
        self.bot = await _start(self.db, self.sandbox, self.session)
        return self.bot


async def _start(db: Path, sandbox: Sandbox, session: aiohttp.ClientSession) -> RunningBot:
    settings = load_settings({"STORAGE_URL": f"sqlite:///{db}", "HOST": "127.0.0.1", "PORT": "0",
                              "APPROVER_IDS": teams.APPROVER["aadObjectId"], "AZURE_CREDENTIAL": "sandbox",
                              "ARM_ENDPOINT": sandbox.url})
    runner, url = await _serve(create_app(settings, gateway_spec=gateway_spec(sandbox)))
    return RunningBot(url, settings, runner, session)


@asynccontextmanager
async def running_fix_bot(tmp_path: Path, sandbox_factory: Any, scenario: dict[str, Any]) -> AsyncIterator[FixBot]:
    """The real bot over HTTP on a sandbox of `scenario`, stopped (with its session) on the way out."""
    sandbox = await sandbox_factory(scenario, lro_seconds=0.1)
    session = aiohttp.ClientSession()
    running = FixBot(await _start(tmp_path / "bot.db", sandbox, session), sandbox, tmp_path / "bot.db", session)
    try:
        yield running
    finally:
        await running.bot.stop()
        await session.close()


@pytest.fixture
async def fix_bots(tmp_path: Path, sandbox_factory: Any) -> AsyncIterator[FixBot]:
    async with running_fix_bot(tmp_path, sandbox_factory, fixes_scenario()) as running:
        yield running


@pytest.fixture
async def fix_bot(fix_bots: FixBot) -> RunningBot:
    return fix_bots.bot


async def group_picker(bot: RunningBot, connector: Any) -> dict[str, Any]:
    """move -> tenant -> the Pay-As-You-Go source -> the CSP target: the group picker."""
    await bot.post(teams.message("move", connector.url))
    await bot.post(teams.message(FABRIKAM_DOMAIN, connector.url))
    await connector.wait_for(2)
    target_picker = await click(bot, connector, buttons(connector.cards()[-1])["Continue"], subscriptionId=PAYG)
    await click(bot, connector, buttons(target_picker)["Continue"], targetSubscriptionId=CSP)
    return await wait_update(connector, "Which resource groups?")


async def dry_run(bot: RunningBot, connector: Any, confirm: dict[str, Any]) -> dict[str, Any]:
    """Create groups and run dry run on the confirmation card: the plan card."""
    connector.updated.clear()
    await click(bot, connector, buttons(confirm)["Create groups and run dry run"])
    return await wait_update(connector, "Move plan MR-", timeout=60)


async def plan_card(bot: RunningBot, connector: Any, groups: str) -> dict[str, Any]:
    """From `move` to the plan card of `groups` (comma-separated)."""
    picker = await group_picker(bot, connector)
    return await dry_run(bot, connector, await click(bot, connector, buttons(picker)["Continue"], groups=groups))


async def approve_and_report(bot: RunningBot, connector: Any, submitted: dict[str, Any], *,
                             ending: str = "moved") -> dict[str, Any]:
    """The approver approves the request on `submitted` (the requester's approval card): the final report
    (its title "Move <id>: <ending>...")."""
    request_id = next(a["data"]["requestId"] for a in buttons(submitted).values()
                      if "requestId" in (a.get("data") or {}))
    approve = {"type": "Action.Execute", "verb": "request.approve", "data": {"requestId": request_id}}
    await click(bot, connector, approve, user=teams.APPROVER)
    deadline = asyncio.get_running_loop().time() + 90
    while asyncio.get_running_loop().time() < deadline:
        report = next((c for c in connector.cards() if f"Move {request_id}: {ending}" in text_of(c)), None)
        if report is not None:
            return report
        await asyncio.sleep(0.3)
    raise AssertionError([text_of(c)[:200] for c in connector.cards()])
