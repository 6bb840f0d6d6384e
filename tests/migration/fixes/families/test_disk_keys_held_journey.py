"""A fix the bot would make but cannot now holds its group out of the plan, through /api/messages.

rg-busy has a disk on a customer-managed key that a running VM uses (Azure changes its key only once the VM is
deallocated, which nobody approved) and a ReadOnly lock the bot could lift. Planned with rg-disks (an unused
disk on such a key), rg-busy must not be requested: lifting its lock for a move Azure will refuse would change
the customer's subscription for nothing. The plan says why and gives the command; rg-disks moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app import MOVES
from tests.support.cardtools import buttons, click, text_of
from tests.support.fixbot import FixBot, approve_and_report, plan_card, running_fix_bot
from tests.support.sandbox import CSP, FABRIKAM, PAYG
from tests.support.scenarios.resource_fixes import BUSY_VM, resource_fixes_scenario


@pytest.fixture
async def held_bot(tmp_path: Path, sandbox_factory: Any) -> AsyncIterator[FixBot]:
    data = resource_fixes_scenario()
    payg = next(s for s in data["subscriptions"] if s["id"] == PAYG)
    busy = next(g for g in payg["resourceGroups"] if g["name"] == "rg-busy")
    busy["locks"] = [{"name": "freeze", "level": "ReadOnly", "notes": "Change freeze"}]
    async with running_fix_bot(tmp_path, sandbox_factory, data) as running:
        yield running


async def test_a_disk_a_running_vm_uses_holds_its_group_out_and_its_lock_stays(held_bot: FixBot, connector):
    bot = held_bot.bot
    plan = await plan_card(bot, connector, "rg-disks,rg-busy")
    text = text_of(plan)
    assert "rg-busy: a fix it needs before its move must be done by hand first" in text, text[:1500]
    assert f"az vm deallocate -g rg-busy -n {BUSY_VM.rsplit('/', 1)[-1]}" in text  # the command, by hand
    assert "Lift ReadOnly lock freeze on group rg-busy" not in text  # no fix for a group that cannot move

    connector.clear()
    submitted = await click(bot, connector, buttons(plan)["Ask for approval"])
    approval = text_of(submitted)
    assert "rg-disks" in approval and "Lift ReadOnly lock freeze" not in approval
    report = await approve_and_report(bot, connector, submitted)
    # The request never held rg-busy; its fix stays on the report for the engineer, with the command.
    request_id = next(a["data"]["requestId"] for a in buttons(submitted).values()
                      if "requestId" in (a.get("data") or {}))
    stored = await bot.runner.app[MOVES].workflow.get(request_id)
    assert [g.source_group for g in stored.request.groups] == ["rg-disks"]
    assert "**The bot cannot do this** (rg-busy)" in text_of(report)

    gateway = bot.app_gateway()
    azure = gateway.for_tenant(FABRIKAM)
    in_target = {r.name for r in await azure.inventory.list_resources(CSP)}
    assert "data-1" in in_target and "data-2" not in in_target
    locks = {(lk.scope.rsplit("/", 1)[-1], lk.name) for lk in await azure.locks.list_locks(PAYG)}
    assert ("rg-busy", "freeze") in locks  # never lifted
