"""The embedded contoso sandbox as the move flow sees it: its ids, and the engineer's way to a plan's draft."""

from __future__ import annotations

from typing import Any

from tests.support import teams
from tests.support.cardtools import buttons, click, wait_update

CONTOSO = "contoso.onmicrosoft.com"
PAYG = "0c0a7050-5ab1-4000-8000-000000000001"
CSP = "0c0a7050-c5b1-4000-8000-000000000002"
CONTOSO_TENANT_ID = "0c0a7050-0000-4000-8000-000000000001"


async def group_picker(bot: Any, connector: Any) -> dict[str, Any]:
    """move -> contoso -> Pay-As-You-Go -> CSP: the group picker."""
    await bot.post(teams.message("move", connector.url))
    await bot.post(teams.message(CONTOSO, connector.url))
    await connector.wait_for(2)
    target_picker = await click(bot, connector, buttons(connector.cards()[-1])["Continue"], subscriptionId=PAYG)
    await click(bot, connector, buttons(target_picker)["Continue"], targetSubscriptionId=CSP)
    return await wait_update(connector, "Which resource groups?")


async def draft_card(bot: Any, connector: Any, groups: str) -> dict[str, Any]:
    """move -> contoso -> Pay-As-You-Go -> CSP -> `groups` (comma-separated): the card that confirms the draft."""
    return await click(bot, connector, buttons(await group_picker(bot, connector))["Continue"], groups=groups)
