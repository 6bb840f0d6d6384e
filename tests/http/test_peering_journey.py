"""The move journey of a peered virtual network, over real HTTP to /api/messages: the plan card and the
approval card show the peering removed before the move and re-created on both sides after it; after one
approval both sides exist again (read back from the sandbox: connected, the hub's side pointing at the
network's new id) and the final report says each of those steps is done."""

from __future__ import annotations

import asyncio
from typing import Any

from migration.model import NotFound
from tests.arm.fixes_scenario import HUB, VNET1
from tests.http import teams
from tests.http.cardtools import buttons, click, text_of
from tests.http.fixbot import FixBot, plan_card
from tests.plugins.sandbox import CSP, FABRIKAM, PAYG

REMOVE = "Remove peering to-hub of vnet-1 (traffic to vnet-hub stops until it is re-created after the move)"
RECREATE_HERE = "Re-create peering to-hub of vnet-1 with vnet-hub"
RECREATE_THERE = "Re-create peering to-vnet-1 of vnet-hub with vnet-1"


def _outcomes(card: dict[str, Any]) -> dict[str, str]:
    """The report's Steps table: step text -> outcome."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TableRow" and len(node.get("cells") or []) == 2:
                step, outcome = (" ".join(i.get("text", "") for i in cell.get("items") or [])
                                 for cell in node["cells"])
                out[step] = outcome
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return out


async def test_a_peered_network_moves_with_one_approval_and_both_peering_sides_come_back(fix_bots: FixBot,
                                                                                        connector):
    bot = fix_bots.bot
    plan = await plan_card(bot, connector, "rg-net")
    text = text_of(plan)
    assert REMOVE in text and RECREATE_HERE in text and RECREATE_THERE in text
    assert text.index(REMOVE) < text.index("The moves") < text.index(RECREATE_HERE)
    assert "Remove VNet peerings and re-create them" in text  # a fix the engineer may leave out
    assert "nothing to ask approval for" not in text and "Azure refused rg-net until the steps" in text

    connector.clear()
    submitted = await click(bot, connector, buttons(plan)["Ask for approval"])
    text = text_of(submitted)
    assert "approval needed" in text and REMOVE in text and RECREATE_HERE in text and RECREATE_THERE in text
    request_id = next(a["data"]["requestId"] for a in buttons(submitted).values()
                      if "requestId" in (a.get("data") or {}))
    approve = {"type": "Action.Execute", "verb": "request.approve", "data": {"requestId": request_id}}
    await click(bot, connector, approve, user=teams.APPROVER)
    deadline = asyncio.get_running_loop().time() + 90
    report = None
    while report is None and asyncio.get_running_loop().time() < deadline:
        report = next((c for c in connector.cards() if f"Move {request_id}: moved" in text_of(c)), None)
        await asyncio.sleep(0.3)
    assert report is not None, [text_of(c)[:200] for c in connector.cards()]
    outcomes = _outcomes(report)
    assert {outcomes.get(s) for s in (REMOVE, RECREATE_HERE, RECREATE_THERE)} == {"Done"}, outcomes

    gateway = bot.app_gateway()
    moved = next(r for r in await gateway.list_resources(CSP, tenant_id=FABRIKAM) if r.name == "vnet-1")
    here = await gateway.get_peering(moved.id, "to-hub", tenant_id=FABRIKAM)
    there = await gateway.get_peering(HUB, "to-vnet-1", tenant_id=FABRIKAM)
    assert here.remote_vnet_id.lower() == HUB.lower() and there.remote_vnet_id.lower() == moved.id.lower()
    assert here.state == there.state == "Connected"
    assert here.allow_forwarded_traffic and here.allow_virtual_network_access  # the flags it had
    try:
        await gateway.get_peering(VNET1, "to-hub", tenant_id=FABRIKAM)
    except NotFound:
        pass  # the network is gone from the source, with its old peering
    else:
        raise AssertionError(f"vnet-1 is still in {PAYG}")
