"""An engineer types `help` in the Agents Playground (Teams-like web chat, real Chromium) and sees
the help card from the real bot process, on each Teams edge (BOT_SDK)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from settings import BotSdk
from tests.support.playground import playground_config, playground_user, run_journey

E2E = Path(__file__).resolve().parent
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/")

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("edge", [sdk.value for sdk in BotSdk])
def test_help_in_personal_chat_shows_the_help_card(bot_server, playground, e2e_out: Path, edge: str) -> None:
    # Allow exactly the Playground's mock tenant and people: if the ids in
    # .m365agentsplayground.yml did not reach the bot, it would refuse to answer.
    bot = bot_server(
        extra_env={
            "ALLOWED_TENANT_IDS": playground_config()["tenantId"],
            "ENGINEER_IDS": playground_user("Alex Wilber").aad_object_id,
            "APPROVER_IDS": playground_user("Megan Bowen").aad_object_id,
            "BOT_SDK": edge,
        }
    )
    pg = playground(bot + "/api/messages")

    result = run_journey(E2E / "journey_help.js", pg, e2e_out, timeout=120)
    assert f"Teams edge: {edge}" in (e2e_out / "bot.log").read_text(encoding="utf-8")

    text = result["text"]
    assert "CSP migration bot" in text
    # The command list: each command next to what it does.
    commands = {title.split(" ")[0] if title != "approvals here" else title: value for title, value in result["facts"]}
    assert commands.get("assess", "").startswith("Find what can move to CSP"), result["facts"]
    assert commands.get("move", "").startswith("Ask to move resource groups"), result["facts"]
    for command in ("help", "attach", "status", "history", "cancel", "approvals here"):
        assert commands.get(command), f"{command!r} missing from the help card's commands: {result['facts']}"
    assert "Assess a subscription" in result["buttons"]

    # The browser stayed on loopback (CDN fonts were aborted) and the page raised no script error.
    assert result["pageErrors"] == []
    assert not [u for u in result["blockedRequests"] if LOOPBACK.match(u)]

    for shot in result["screenshots"].values():
        with Image.open(shot) as img:
            assert img.width > 300 and img.height > 200, (shot, img.size)
