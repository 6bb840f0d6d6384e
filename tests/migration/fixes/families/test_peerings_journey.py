"""The move journey of a peered virtual network, over real HTTP to /api/messages: the plan card and the
approval card show the peering removed before the move and re-created on both sides after it; after one
approval both sides exist again (read back from the sandbox: connected, the hub's side pointing at the
network's new id) and the final report says each of those steps is done."""

from __future__ import annotations

import pytest

from migration.model import NotFound
from tests.support.cardtools import buttons, click, text_of
from tests.support.fixbot import FixBot, approve_and_report, plan_card
from tests.support.sandbox import CSP, FABRIKAM
from tests.support.scenarios.fixes import HUB, VNET1

REMOVE = "Remove peering to-hub of vnet-1 (traffic to vnet-hub stops until it is re-created after the move)"
RECREATE_HERE = "Re-create peering to-hub of vnet-1 with vnet-hub"
RECREATE_THERE = "Re-create peering to-vnet-1 of vnet-hub with vnet-1"


async def test_a_peered_network_moves_with_one_approval_and_both_peering_sides_come_back(fix_bots: FixBot,
                                                                                        connector):
    bot = fix_bots.bot
    plan = await plan_card(bot, connector, "rg-net")
    text = text_of(plan)
    assert REMOVE in text and RECREATE_HERE in text and RECREATE_THERE in text
    assert text.index(REMOVE) < text.index("The moves") < text.index(RECREATE_HERE)
    assert "Remove VNet peerings and re-create them" in text  # a fix the engineer may leave out
    assert "nothing to ask approval for" not in text and "The bot makes this fix before the moves" in text

    connector.clear()
    submitted = await click(bot, connector, buttons(plan)["Ask for approval"])
    text = text_of(submitted)
    assert "approval needed" in text and REMOVE in text and RECREATE_HERE in text and RECREATE_THERE in text
    report = await approve_and_report(bot, connector, submitted)
    text = text_of(report)
    done = text[text.index('"Done"'):]
    assert all(f"✓ {s}" in done for s in (REMOVE, RECREATE_HERE, RECREATE_THERE)), done

    gateway = bot.app_gateway()
    azure = gateway.for_tenant(FABRIKAM)
    moved = next(r for r in await azure.inventory.list_resources(CSP) if r.name == "vnet-1")
    here = await azure.network.get_peering(moved.id, "to-hub")
    there = await azure.network.get_peering(HUB, "to-vnet-1")
    assert here.remote_vnet_id.lower() == HUB.lower() and there.remote_vnet_id.lower() == moved.id.lower()
    assert here.state == there.state == "Connected"
    assert here.allow_forwarded_traffic and here.allow_virtual_network_access  # the flags it had
    with pytest.raises(NotFound):  # the network is gone from the source, with its old peering
        await azure.network.get_peering(VNET1, "to-hub")


async def test_when_the_move_fails_the_peering_is_made_again_on_the_network_where_it_stayed(fix_bots: FixBot,
                                                                                           connector):
    bot = fix_bots.bot
    plan = await plan_card(bot, connector, "rg-net")
    connector.clear()
    submitted = await click(bot, connector, buttons(plan)["Ask for approval"])
    # Azure accepted the dry run; the move itself fails (no resource moved).
    fix_bots.sandbox.set_faults(lro_failure_rate=1.0, operations=("Resources_MoveResources",))
    report = await approve_and_report(bot, connector, submitted, ending="failed")
    text = text_of(report)
    done = text[text.index('"Done"'):]
    assert all(f"✓ {s}" in done for s in (REMOVE, RECREATE_HERE, RECREATE_THERE)), text

    azure = fix_bots.bot.app_gateway().for_tenant(FABRIKAM)
    here = await azure.network.get_peering(VNET1, "to-hub")  # on the source network: it never left
    there = await azure.network.get_peering(HUB, "to-vnet-1")
    assert here.remote_vnet_id.lower() == HUB.lower() and there.remote_vnet_id.lower() == VNET1.lower()
    assert here.state == there.state == "Connected"
    assert here.allow_forwarded_traffic and here.allow_virtual_network_access  # the flags it had
