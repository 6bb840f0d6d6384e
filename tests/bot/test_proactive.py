"""Cards that Teams has lost (a message deleted, a chat cleared): over real HTTP to a Bot Connector stub that
answers 404 to their updates, as Teams does. The card is posted again once, later updates go to the new
message, and the log says so in one line, without a traceback per update."""

from __future__ import annotations

import asyncio
import logging

from tests.support import teams
from tests.support.cardtools import buttons, choices, click, text_of
from tests.support.contoso import CONTOSO, PAYG


async def test_a_lost_card_is_posted_again_once_and_logged_once(start_bot, connector, caplog):
    bot = await start_bot()
    await bot.post(teams.message(f"attach {CONTOSO}", connector.url))
    await connector.wait_for(1)
    picker = await click(bot, connector, buttons(connector.cards()[-1])["Assess a subscription"])
    assert any(c["value"] == PAYG for c in choices(picker, "subscriptionId"))
    connector.clear()
    connector.lose_next_card = True  # the assessment's progress card, as soon as it is shown
    caplog.set_level(logging.INFO)
    await bot.post(teams.message(f"assess {CONTOSO} {PAYG}", connector.url))

    def summary_shown() -> bool:
        return any("Assessment:" in text_of(a["attachments"][0]["content"])
                   for a in [*connector.sent, *connector.updated] if a.get("attachments"))

    for _ in range(300):
        if summary_shown():
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the assessment never showed")
    await asyncio.sleep(0.5)  # any update still on its way

    (lost,) = connector.gone
    posted = [a for a in connector.sent if a.get("attachments")]
    assert len(posted) == 2, "the lost card, then the same card posted again once"
    assert connector.refused_updates == [lost], "no update goes to the lost message after it was posted again"
    assert all(u["_activity_id"] != lost for u in connector.updated)
    gone = [r for r in caplog.records if "gone" in r.getMessage()]
    assert len(gone) == 1 and gone[0].levelno == logging.WARNING, [r.getMessage() for r in gone]
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a lost card"
