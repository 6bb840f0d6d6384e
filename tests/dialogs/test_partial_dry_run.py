"""A dry run that partly fails is explicit (over real HTTP, embedded contoso sandbox): each refused group shows
Azure's reason, and the plan says exactly which groups "Ask for approval" requests and why the others are out."""

from __future__ import annotations

from tests.dialogs.test_move import _plan
from tests.support.cardtools import buttons, click, text_of


async def test_partly_refused_dry_run_names_reasons_and_what_approval_requests(start_bot, connector):
    bot = await start_bot()
    plan = await _plan(bot, connector)
    text = text_of(plan)
    assert "Azure accepted 2 of 2 groups" in text, "the plan's dry run counts the groups it moves"
    # The refused group is left out, with Azure's reason (not just its name).
    row = text[text.index("rg-integration: Azure's dry run refused it"):]
    assert "integration runtime" in row.lower() or "ssis" in row.lower(), row[:400]
    # Azure's reason and its fix in whole sentences: nothing is cut mid-word.
    assert "Fix: Change what Azure names, then assess again and request a new move." in row, row[:600]
    assert "…" not in text
    # What the button will do, exactly, on the first screen: before the details behind "Show all".
    first = text[:text.index("Show all")]
    assert "Asking for approval requests all of this:** the moves of 11 resources in 2 groups (rg-vm-app and " \
           "rg-web-prod)" in first or "2 groups (rg-web-prod and rg-vm-app)" in first, first[:1500]
    assert "rg-integration: Azure's dry run refused it, for a reason no fix of the bot's addresses." in first

    submitted = await _click_submit(bot, connector, plan)
    assert "rg-web-prod" in submitted and "rg-vm-app" in submitted
    assert "rg-integration" not in submitted.split("Dry run")[0], "the refused group is not requested"


async def _click_submit(bot, connector, plan) -> str:  # type: ignore[no-untyped-def]
    return text_of(await click(bot, connector, buttons(plan)["Ask for approval"]))
