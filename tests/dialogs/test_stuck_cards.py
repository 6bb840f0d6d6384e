"""Cards never get stuck, found by trying the bot as a new user would (over real HTTP, embedded sandbox)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp

from app import SANDBOX_URL
from sandbox.tls import CA_FILE
from tests.support import teams
from tests.support.cardtools import buttons, click, wait_update
from tests.support.cardtools import text_of as _text

CONTOSO = "contoso.onmicrosoft.com"
NO_SUCH_SUBSCRIPTION = "0badf00d-0000-4000-8000-000000000000"  # well-formed, not in the tenant
PAYG = "0c0a7050-5ab1-4000-8000-000000000001"


async def _updates_settle(connector, *, quiet: float = 1.5, timeout: float = 20.0) -> list[dict]:
    """Card updates once none has landed for `quiet` seconds."""
    async def settle() -> None:
        seen = -1
        while seen != len(connector.updated) or not connector.updated:
            seen = len(connector.updated)
            await asyncio.sleep(quiet)

    await asyncio.wait_for(settle(), timeout)
    return connector.updated


async def _slow_inventory(bot, seconds: float) -> None:
    """Resource Graph answers the embedded sandbox's inventory queries late (the other calls stay fast)."""
    url = bot.runner.app[SANDBOX_URL]
    ctx = ssl.create_default_context(cafile=str(Path(bot.settings.storage_url.removeprefix("sqlite:///")).parent
                                                / "sandbox" / CA_FILE))
    async with aiohttp.ClientSession() as http, http.post(
            f"{url}/_sandbox/faults", json={"latency_ms": seconds * 1000, "operations": ["Resources"]},
            ssl=ctx) as response:
        assert response.status == 200


async def test_subscription_not_found_stays_although_the_inventory_answered_later(start_bot, connector):
    bot = await start_bot()
    # The subscription read fails at once; the inventory query answers after the "not found" card is shown,
    # and its progress must not replace that card.
    await _slow_inventory(bot, 0.8)
    await bot.post(teams.message(f"assess {CONTOSO} {NO_SUCH_SUBSCRIPTION}", connector.url))
    updates = await _updates_settle(connector)
    final = _text(updates[-1]["attachments"][0]["content"])
    assert "Subscription not found" in final, f"a progress update landed after the final card: {final[:200]}"
    assert NO_SUCH_SUBSCRIPTION in final and "pick the subscription from the list" in final


async def test_a_wrong_tenant_keeps_the_question_open_with_the_reason(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message("assess", connector.url))
    await connector.wait_for(1)
    assert "Which customer tenant?" in connector.texts()[-1]
    await bot.post(teams.message("nosuchcustomer.onmicrosoft.com", connector.url))
    await connector.wait_for(3)
    assert "Tenant not found" in _text(connector.cards()[-1]), "the card says why"
    assert "Type the tenant again" in connector.texts()[-1]
    # Retyping the tenant answers the same question.
    await bot.post(teams.message(CONTOSO, connector.url))
    await connector.wait_for(4)
    assert not any("don't know" in t for t in connector.texts())
    picker = _text(connector.cards()[-1])
    assert "Pay-As-You-Go" in picker, picker[:300]
    # ... and then the question is closed: a domain alone is no longer an answer.
    await bot.post(teams.message(CONTOSO, connector.url))
    await connector.wait_for(5)
    assert "don't know" in connector.texts()[-1]


async def test_a_typo_gets_a_suggestion(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message("asess contoso.onmicrosoft.com", connector.url))
    await bot.post(teams.message("histroy", connector.url))
    await bot.post(teams.message("frobnicate", connector.url))
    await connector.wait_for(3)
    texts = connector.texts()
    assert "I don't know the command 'asess'. Did you mean `assess`?" in texts[0]
    assert "Did you mean `history`?" in texts[1]
    assert "Did you mean" not in texts[2] and "Type `help`" in texts[2]


async def test_an_assessment_interrupted_by_a_restart_says_so_and_runs_again(start_bot, connector):
    bot = await start_bot()
    # The inventory answers after 11 s: longer than a stopping bot waits for its work (10 s).
    await _slow_inventory(bot, 11)
    await bot.post(teams.message(f"assess {CONTOSO} {PAYG}", connector.url))
    [*_, progress] = await connector.wait_for(2)
    card_id = "activity-2"
    assert "Assessing" in _text(progress["attachments"][0]["content"]) or "Reading" in _text(progress)
    await asyncio.sleep(0.3)
    await bot.stop()

    again = await start_bot()  # same database: the card's work was left unfinished
    interrupted = await wait_update(connector, "Interrupted", timeout=20)
    text = _text(interrupted)
    assert "was interrupted: the bot restarted before it finished" in text and PAYG in text
    assert [u for u in connector.updated if "Interrupted" in _text(u)][-1]["_activity_id"] == card_id
    connector.updated.clear()
    rerun = await click(again, connector, buttons(interrupted)["Run again"], reply_to_id=card_id)
    assert "Assess" in _text(rerun)
    summary = await wait_update(connector, "Assessment:", timeout=30)
    assert "Contoso" in _text(summary) or "Pay-As-You-Go" in _text(summary)
    assert connector.updated[-1]["_activity_id"] == card_id, "the same card, updated in place"
