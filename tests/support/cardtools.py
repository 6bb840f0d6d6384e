"""Reading cards the way a user does: their text, their buttons by title, their choices; clicking."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from tests.support import teams
from tests.support.cards.cardwalk import walk


def text_of(card: dict[str, Any]) -> str:
    """The card as text, request ids with a plain hyphen (cards show them with a non-breaking one, U+2011),
    Markdown's backslash escapes and word joiners gone (what a reader sees)."""
    dumped = json.dumps(card, ensure_ascii=False).replace("\u2011", "-").replace("\u2060", "")
    return re.sub(r'\\\\([!#-/:-@\[\]^_`{-~])', r"\1", dumped)


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Button title -> action, wherever it stands in the card."""
    return {n["title"]: n for n in walk(card) if n.get("type", "").startswith("Action.") and "title" in n}


def choices(card: dict[str, Any], input_id: str) -> list[dict[str, str]]:
    def walk(node: Any) -> list[dict[str, str]]:
        if isinstance(node, dict):
            if node.get("id") == input_id and "choices" in node:
                return list(node["choices"])
            return [c for v in node.values() for c in walk(v)]
        if isinstance(node, list):
            return [c for v in node for c in walk(v)]
        return []

    return walk(card)


async def click(bot, connector, action: dict[str, Any], *, user: dict[str, str] = teams.ENGINEER,
                reply_to_id: str = "activity-1", **inputs: Any) -> dict[str, Any]:
    """Click a card button as `user`; returns the card the bot answers with."""
    data = dict(action.get("data") or {})
    data.update(inputs)
    response = await bot.post(
        teams.card_action(action["verb"], data, connector.url, reply_to_id=reply_to_id, user=user)
    )
    assert response.status == 200
    return json.loads(await response.text())["value"]


async def command_card(bot, connector, text: str) -> dict[str, Any]:
    """Type a command; returns the card the bot answers with (after its "typing")."""
    before = len(connector.sent)
    response = await bot.post(teams.message(text, connector.url))
    assert response.status in (200, 201)
    await connector.wait_for(before + 2)
    return connector.cards()[-1]


async def wait_update(connector, *needles: str, timeout: float = 30.0) -> dict[str, Any]:
    """The newest card that replaced a message in place (PUT) and contains one of `needles`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for update in reversed(connector.updated):
            card = update["attachments"][0]["content"]
            if any(n in text_of(card) for n in needles):
                return card
        await asyncio.sleep(0.1)
    raise AssertionError(f"no card with {needles}; updates: {[text_of(u)[:300] for u in connector.updated]}")


async def final_update(connector, *, timeout: float = 30.0) -> dict[str, Any]:
    """The card a background assessment leaves in place of the progress card."""
    return await wait_update(connector, "Assessment:", "went wrong", "not found", timeout=timeout)
