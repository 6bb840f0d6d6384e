"""Limits on assessments, over /api/messages against the two-customer sandbox: a person's asks over their
limit are refused with when to try again, a second ask for the same subscription joins the first (one run
in Azure), and neither changes what the others get."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.bot_http import Connector
from tests.support.cardtools import text_of
from tests.support.customers import ALPHA, BETA, ENGINEER_B, SUBS
from tests.support.teams import ENGINEER

FINAL = ("Assessment:", "Too many assessments at once", "went wrong")


async def _finals(connector: Connector, count: int, *, timeout: float = 60.0) -> list[str]:
    """The text each of `count` progress cards ends with, in the order the cards were posted."""
    async def settle() -> list[str]:
        while True:
            finals: dict[str, str] = {}
            for update in connector.updated:
                text = text_of(update["attachments"][0]["content"])
                if any(word in text for word in FINAL):
                    finals[update["_activity_id"]] = text
            if len(finals) >= count:
                return [finals[card] for card in sorted(finals, key=lambda card: int(card.rsplit("-", 1)[1]))]
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(settle(), timeout)


def _resource_graph_queries(bot: Any) -> int:
    return int(bot.sandbox.stats()["by_operation"].get("Resources", 0))


async def test_asks_over_a_persons_limit_are_refused_with_when_to_try_again(customers_bot, connector):
    bot = await customers_bot(ASSESSMENTS_PER_USER="1")
    bot.sandbox.set_faults(latency_ms=1500, operations=["Resources"])  # the first still runs when the next comes
    source, target = SUBS[ALPHA]
    await bot.say(f"assess {ALPHA} {source}")
    await bot.say(f"assess {ALPHA} {target}")
    await bot.say(f"assess {BETA} {SUBS[BETA][0]}", user=ENGINEER_B)  # someone else's ask is not theirs to pay
    finals = await _finals(connector, 3)
    first, second, other = finals
    assert "Assessment:" in first and "Assessment:" in other
    assert "Too many assessments at once" in second
    assert "You already have as many assessments waiting or running as one person may (1)" in second
    assert "Try again in about" in second and "UTC" in second and "Nothing was started." in second

    # Once the first has ended, the same ask runs.
    connector.clear()
    await bot.say(f"assess {ALPHA} {target}")
    assert "Assessment:" in (await _finals(connector, 1))[0]


async def test_a_second_ask_for_the_same_subscription_joins_the_first(customers_bot, connector):
    bot = await customers_bot(ASSESSMENTS_PER_USER="1")
    source = SUBS[ALPHA][0]
    bot.sandbox.reset_stats()
    bot.sandbox.set_faults(latency_ms=1500, operations=["Resources"])
    await bot.say(f"assess {ALPHA} {source}", user=ENGINEER)
    await bot.say(f"assess {ALPHA} {source}", user=ENGINEER, conversation="a:another-chat")
    finals = await _finals(connector, 2)
    assert all("Assessment:" in text for text in finals), finals
    one_run = _resource_graph_queries(bot)

    # Asked again once it ended: a run of its own, as many queries again.
    connector.clear()
    await bot.say(f"assess {ALPHA} {source}", user=ENGINEER)
    await _finals(connector, 1)
    assert _resource_graph_queries(bot) == 2 * one_run > 0, "the joined ask made no Azure calls of its own"
