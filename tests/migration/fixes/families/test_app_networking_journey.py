"""The network fixes through /api/messages: an engineer plans rg-web (an app with VNet integration, a subnet
on a NAT gateway) with rg-private (an app with a private endpoint). rg-private is held out with the reason and
the command; rg-web moves with one approval and its app is integrated again at its new id, with the moved
subnet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app import MOVES
from tests.support.cardtools import buttons, click, text_of
from tests.support.fixbot import FixBot, approve_and_report, plan_card, running_fix_bot
from tests.support.sandbox import FABRIKAM, PAYG
from tests.support.scenarios.app_network import APPS, PRIVATE_SITE, SITE, VNET, app_network_scenario


@pytest.fixture
async def net_bot(tmp_path: Path, sandbox_factory: Any) -> AsyncIterator[FixBot]:
    async with running_fix_bot(tmp_path, sandbox_factory, app_network_scenario()) as running:
        yield running


async def test_an_integrated_app_moves_and_an_app_with_a_private_endpoint_is_held_with_why(net_bot: FixBot,
                                                                                           connector):
    bot = net_bot.bot
    plan = await plan_card(bot, connector, "rg-web,rg-private")
    text = text_of(plan)
    assert "rg-private: a fix it needs before its move must be done by hand first" in text, text[:1500]
    assert "deleting one cuts private access to the app" in text and "az network private-endpoint delete" in text
    assert "Remove the VNet integration of app app-1" in text
    assert "cannot reach the private resources of that network" in text  # the warning, before approval

    connector.clear()
    submitted = await click(bot, connector, buttons(plan)["Ask for approval"])
    report = await approve_and_report(bot, connector, submitted)
    request_id = next(a["data"]["requestId"] for a in buttons(submitted).values()
                      if "requestId" in (a.get("data") or {}))
    stored = await bot.runner.app[MOVES].workflow.get(request_id)
    assert [g.source_group for g in stored.request.groups] == ["rg-web"]
    assert "Add the VNet integration of app app-1 again" in text_of(report)

    target = stored.request.groups[0].target_group_id
    gateway = bot.app_gateway()
    moved = f"/subscriptions/{PAYG}/resourceGroups/rg-web"
    azure = gateway.for_tenant(FABRIKAM)
    assert await azure.web.get_vnet_integration(SITE.replace(moved, target)) == \
        APPS.replace(moved, target)
    assert await azure.network.get_subnet_nat_gateway(VNET.replace(moved, target), "egress") == ""
    left = {r.id.lower() for r in await azure.inventory.list_resources(PAYG)}
    assert PRIVATE_SITE.lower() in left  # held: not moved, its endpoint untouched
