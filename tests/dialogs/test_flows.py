"""Chat flows over real HTTP against the embedded sandbox tenant (contoso): attach, assess, blockers."""

from __future__ import annotations

import re

from app import STORE
from migration.execution.workflow import Workflow
from tests.support import teams
from tests.support.cards.cardwalk import walk as _walk
from tests.support.cardtools import buttons as _buttons
from tests.support.cardtools import choices as _choices
from tests.support.cardtools import click as _click
from tests.support.cardtools import final_update as _final_update
from tests.support.cardtools import text_of as _text

CONTOSO = "contoso.onmicrosoft.com"
PAYG_ID = "0c0a7050-5ab1-4000-8000-000000000001"


async def test_attach_lists_the_tenants_subscriptions_with_their_offers(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message(f"attach {CONTOSO}", connector.url))
    await connector.wait_for(1)
    card = connector.cards()[-1]
    text = _text(card)
    assert f"Attached: {CONTOSO}" in text
    assert "Pay-As-You-Go" in text and "CSP" in text
    assert "Assess a subscription" in _buttons(card)


async def test_attach_on_the_sandbox_without_partner_access(start_bot, connector):
    bot = await start_bot(PARTNER_TENANT_ID="11111111-2222-3333-4444-555555555555")
    await bot.post(teams.message("attach fabrikam.onmicrosoft.com", connector.url))
    await connector.wait_for(1)
    card = connector.cards()[-1]
    assert "Not attached yet" in _text(card)
    assert "does not grant any access to Azure" in _text(card), "the relationship link says what it is for"
    buttons = _buttons(card)
    assert "partnerId=11111111-2222-3333-4444-555555555555" in buttons["Partner Center relationship (billing)"]["url"]
    check = buttons["Check again"]
    again = await _click(bot, connector, check)
    assert "Not attached yet" in _text(again), "still no relationship: the same answer"


async def test_attach_asks_for_what_is_missing_and_reasks_invalid_input(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message("attach", connector.url))
    await connector.wait_for(1)
    assert "Which customer tenant?" in connector.texts()[-1]
    await bot.post(teams.message("not a tenant!", connector.url))
    await connector.wait_for(2)
    assert "is not a tenant" in connector.texts()[-1]
    await bot.post(teams.message(CONTOSO, connector.url))
    await connector.wait_for(3)
    assert f"Attached: {CONTOSO}" in _text(connector.cards()[-1])


async def test_unknown_domain_is_reported_plainly(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message("attach nosuchcustomer.onmicrosoft.com", connector.url))
    await connector.wait_for(1)
    assert "Tenant not found" in _text(connector.cards()[-1])


async def test_cancel_stops_an_open_question(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message("assess", connector.url))
    await bot.post(teams.message("cancel", connector.url))
    await bot.post(teams.message(CONTOSO, connector.url))
    await connector.wait_for(3)
    assert "Stopped" in connector.texts()[1]
    assert "don't know" in connector.texts()[2], "after cancel, a domain alone is not an answer"


async def test_assess_by_clicking_the_choices_then_paging_blockers(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message("assess", connector.url))
    await bot.post(teams.message(CONTOSO, connector.url))
    await connector.wait_for(2)
    picker = connector.cards()[-1]
    choices = _choices(picker, "subscriptionId")
    payg = next(c for c in choices if "Pay-As-You-Go" in c["title"])
    progress = await _click(bot, connector, _buttons(picker)["Continue"], subscriptionId=payg["value"])
    assert "Assessing" in _text(progress), "the click is answered at once with a progress card"

    summary = await _final_update(connector)
    text = _text(summary)
    assert "Assessment:" in text and "Pay-As-You-Go" in text
    assert "60 in 16 groups" in text
    blockers = await _click(bot, connector, _buttons(summary)["Show blockers"])
    assert "Page 1 of" in _text(blockers)
    # Blocked and fix first are counted apart; each resource appears once with all its findings.
    counts = re.search(r"(\d+) blocked, (\d+) fix first", _text(blockers))
    assert counts, _text(blockers)[:400]
    page2 = await _click(bot, connector, _buttons(blockers)["Next page"])
    assert "Page 2 of" in _text(page2)
    back = await _click(bot, connector, _buttons(page2)["Previous page"])
    assert "Page 1 of" in _text(back)
    # Commands carry the real names (nothing between angle brackets for Teams to eat).
    pages = [blockers, page2]
    while "Next page" in _buttons(pages[-1]):
        pages.append(await _click(bot, connector, _buttons(pages[-1])["Next page"]))
    commands = [b["text"] for p in pages for b in _walk(p) if b.get("fontType") == "monospace"]
    assert f"az lock delete --name finance-freeze --resource-group rg-locked --subscription {PAYG_ID}" in commands
    assert not any("<" in c or ">" in c for c in commands)
    names = [m.group(1) for p in pages for m in re.finditer(r"\*\*\d+\. ([^*]+)\*\*", _text(p))]
    assert len(names) == len(set(names)) and "finance-freeze" not in names  # the lock is on its group's entry
    # Back to summary keeps its counts (the stored assessment holds no per-resource inventory).
    again = await _click(bot, connector, _buttons(pages[-1])["Back to summary"])
    assert "60 in 16 groups" in _text(again)
    assert _without_export(again) == _without_export(summary), "the same summary, but for the export's link"


async def test_assess_one_line_form_skips_the_prompts(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message(f"attach {CONTOSO}", connector.url))
    await connector.wait_for(1)
    picker_source = await _click(bot, connector, _buttons(connector.cards()[-1])["Assess a subscription"])
    payg = next(c for c in _choices(picker_source, "subscriptionId") if "Pay-As-You-Go" in c["title"])
    connector.clear()
    await bot.post(teams.message(f"assess {CONTOSO} {payg['value']}", connector.url))
    await connector.wait_for(1)
    assert any(a.get("type") == "typing" for a in connector.sent)
    summary = await _final_update(connector)
    assert "Assessment:" in _text(summary)


def _without_export(card: dict) -> dict:
    """The card without the line about the export's link (the link is on the first summary only)."""
    lines = ("Every resource with its findings", "The export of every resource")
    return {**card, "body": [e for e in card["body"] if not str(e.get("text", "")).startswith(lines)]}


async def test_assess_rejects_a_malformed_subscription_id_and_changes_nothing(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message(f"assess {CONTOSO} not-a-guid", connector.url))
    await connector.wait_for(2)
    assert "is not a subscription id" in connector.texts()[-1]
    assert connector.updated == []


async def test_summary_offers_the_report_download_with_every_resource(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message("assess", connector.url))
    await bot.post(teams.message(CONTOSO, connector.url))
    await connector.wait_for(2)
    picker = connector.cards()[-1]
    payg = next(c for c in _choices(picker, "subscriptionId") if "Pay-As-You-Go" in c["title"])
    await _click(bot, connector, _buttons(picker)["Continue"], subscriptionId=payg["value"])
    summary = await _final_update(connector)
    url = re.search(r"\[download CSV\]\(([^)]+)\)", _text(summary)).group(1)
    assert url.startswith(bot.settings.public_base_url + "/reports/")
    path = url.removeprefix(bot.settings.public_base_url)
    async with bot.session.get(f"{bot.url}{path}") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        rows = (await response.text()).strip().splitlines()
    assert len(rows) > 60, "a header and at least one row per resource (60 in contoso)"
    async with bot.session.get(f"{bot.url}{path.removesuffix('.csv')}.json") as response:
        assert response.status == 200
        assert "application/json" in response.headers["Content-Type"]
    # Unknown tokens and formats give a plain 404, never someone else's report.
    for wrong in (path.replace(path[10:20], "x" * 10), path.removesuffix(".csv") + ".exe", "/reports/abc.csv"):
        async with bot.session.get(f"{bot.url}{wrong}") as response:
            assert response.status == 404
            assert "unknown or has expired" in await response.text()
    # Each download is recorded on the customer tenant's audit chain; the link carries no identity.
    store = bot.runner.app[STORE]
    [chain] = await Workflow(store).trail.chains(prefix="tenant:")
    downloads = [link.entry for link in await Workflow(store).trail.chain(chain) if link.entry.action == "downloaded"]
    assert [e.detail["report"].rsplit(".", 1)[1] for e in downloads] == ["csv", "json"]
    assert all(e.by is None and e.detail["identity"].startswith("none") for e in downloads)
    reads = [(e.detail["read"], e.by.id if e.by else None) for link in await Workflow(store).trail.chain(chain)
             if (e := link.entry).action == "read"]
    assert reads == [("subscriptions", teams.ENGINEER["aadObjectId"]), ("assessment", teams.ENGINEER["aadObjectId"])]
    # The store keeps only the token's hash: the summary re-rendered later has no link, and says how to get one.
    again = await _click(bot, connector, _buttons(summary)["Show blockers"])
    back = await _click(bot, connector, _buttons(again)["Back to summary"])
    assert url not in _text(back) and "assess the subscription again for a new one" in _text(back)


async def test_assess_alone_uses_the_tenant_just_attached_in_this_chat(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message(f"attach {CONTOSO}", connector.url))
    await connector.wait_for(1)
    await bot.post(teams.message("assess", connector.url))
    await connector.wait_for(2)
    picker = connector.cards()[-1]
    assert "Which customer tenant?" not in " ".join(connector.texts()), "it does not ask for the tenant again"
    assert any("Pay-As-You-Go" in c["title"] for c in _choices(picker, "subscriptionId"))
    # Another chat has attached nothing: there the question is asked.
    await bot.post(teams.message("assess", connector.url, conversation_id="a:other-chat"))
    await connector.wait_for(3)
    assert "Which customer tenant?" in connector.texts()[-1]
