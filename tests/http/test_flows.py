"""Chat flows over real HTTP against the embedded sandbox tenant (contoso): attach, assess, blockers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.http import teams

CONTOSO = "contoso.onmicrosoft.com"


def _text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def _buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Button title -> action, wherever it stands in the card."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type", "").startswith("Action.") and "title" in node:
                found[node["title"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def _choices(card: dict[str, Any], input_id: str) -> list[dict[str, str]]:
    def walk(node: Any) -> list[dict[str, str]]:
        if isinstance(node, dict):
            if node.get("id") == input_id and "choices" in node:
                return list(node["choices"])
            return [c for v in node.values() for c in walk(v)]
        if isinstance(node, list):
            return [c for v in node for c in walk(v)]
        return []

    return walk(card)


async def _click(bot, connector, action: dict[str, Any], **inputs: Any) -> dict[str, Any]:
    data = dict(action.get("data") or {})
    data.update(inputs)
    response = await bot.post(teams.card_action(action["verb"], data, connector.url, reply_to_id="activity-1"))
    assert response.status == 200
    return json.loads(await response.text())["value"]


async def _final_update(connector, *, timeout: float = 30.0) -> dict[str, Any]:
    """The card the background work leaves in place of the progress card."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for update in reversed(connector.updated):
            card = update["attachments"][0]["content"]
            if "Assessment:" in _text(card) or "went wrong" in _text(card) or "not found" in _text(card):
                return card
        await asyncio.sleep(0.1)
    raise AssertionError(f"no final card; updates: {[_text(u)[:200] for u in connector.updated]}")


async def test_attach_lists_the_tenants_subscriptions_with_their_offers(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message(f"attach {CONTOSO}", connector.url))
    await connector.wait_for(1)
    card = connector.cards()[-1]
    text = _text(card)
    assert f"Attached: {CONTOSO}" in text
    assert "Pay-As-You-Go" in text and "CSP" in text
    assert "Assess a subscription" in _buttons(card)


async def test_attach_without_a_relationship_gives_the_invitation_link(start_bot, connector):
    bot = await start_bot(PARTNER_TENANT_ID="11111111-2222-3333-4444-555555555555")
    await bot.post(teams.message("attach fabrikam.onmicrosoft.com", connector.url))
    await connector.wait_for(1)
    card = connector.cards()[-1]
    assert "Not attached yet" in _text(card)
    buttons = _buttons(card)
    assert "partnerId=11111111-2222-3333-4444-555555555555" in buttons["Open invitation link"]["url"]
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
    blockers = await _click(bot, connector, _buttons(summary)["Show blockers"])
    assert "Page 1 of" in _text(blockers)
    page2 = await _click(bot, connector, _buttons(blockers)["Next page"])
    assert "Page 2 of" in _text(page2)
    back = await _click(bot, connector, _buttons(page2)["Previous page"])
    assert "Page 1 of" in _text(back)


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


async def test_assess_rejects_a_malformed_subscription_id_and_changes_nothing(start_bot, connector):
    bot = await start_bot()
    await bot.post(teams.message(f"assess {CONTOSO} not-a-guid", connector.url))
    await connector.wait_for(2)
    assert "is not a subscription id" in connector.texts()[-1]
    assert connector.updated == []
