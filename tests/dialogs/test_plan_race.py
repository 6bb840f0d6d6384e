"""Asking for approval always submits exactly the plan the engineer saw, over real HTTP to /api/messages.

"Update plan" plans again in the background (Azure's dry run included); the sandbox is made slow (latency on
validateMoveResources, its own knob) so the engineer can click "Ask for approval" on the old card before the
new plan is ready. That click submits nothing and says the plan is being updated; the new card then comes,
and only it can be submitted. Double clicks submit or re-plan once. A restart in the middle of planning
again leaves a card that offers a way on.
"""

from __future__ import annotations

import asyncio

from app import STORE
from migration.execution.workflow import Workflow
from tests.support.cardtools import buttons, click, text_of, wait_update
from tests.support.fixbot import FixBot, plan_card

GROUPS = "rg-app,rg-locked,rg-webapp"
EVERY_FIX = "lift_read_only_lock,move_app_service_back,register_provider,disassociate_public_ip"
WITHOUT_IP = "lift_read_only_lock,move_app_service_back,register_provider"
IP_STEP = "Disassociate Standard public IP pip-1 from vm-1-nic"
SLOW = ["Resources_ValidateMoveResources"]


def _request_id(card: dict) -> str:
    return next(a["data"]["requestId"] for a in buttons(card).values() if "requestId" in (a.get("data") or {}))


async def _requests(bot, request_id: str):
    return await Workflow(bot.runner.app[STORE]).get(request_id)


def _approval_cards(connector, request_id: str) -> list[dict]:
    return [c for c in connector.cards() if f"Move request {request_id}: approval needed" in text_of(c)]


async def test_ask_for_approval_while_the_plan_is_updated_submits_nothing_then_only_the_new_plan(fix_bots: FixBot,
                                                                                               connector):
    bot = fix_bots.bot
    plan = await plan_card(bot, connector, GROUPS)
    request_id = _request_id(plan)
    assert IP_STEP in text_of(plan)
    fix_bots.sandbox.set_faults(latency_ms=3000, operations=SLOW)
    connector.updated.clear()
    progress = await click(bot, connector, buttons(plan)["Update plan"], fixes=WITHOUT_IP)
    assert "Planning again" in text_of(progress)

    # The old card's "Ask for approval", before the new plan is ready: nothing is submitted.
    early = await click(bot, connector, buttons(plan)["Ask for approval"])
    assert "being updated" in text_of(early) and "nothing was submitted" in text_of(early)
    assert "Left out:** Disassociate Standard public IPs" in text_of(early)  # the choice being planned
    assert {"Show the plan", "Plan again"} <= set(buttons(early))
    assert await _requests(bot, request_id) is None and not _approval_cards(connector, request_id)
    still = await click(bot, connector, buttons(early)["Show the plan"])
    assert "being updated" in text_of(still)

    # The new plan replaces the card when it is ready.
    fix_bots.sandbox.set_faults(latency_ms=0)
    new = await wait_update(connector, "Left out of this plan", timeout=60)
    assert IP_STEP not in text_of(new) and "rg-app: a fix it needs is not ticked" in text_of(new)

    # The old card is stale for good: it shows the plan as it stands, and submits nothing.
    stale = await click(bot, connector, buttons(plan)["Ask for approval"])
    assert "The plan changed after that card was shown" in text_of(stale)
    assert "rg-app: a fix it needs is not ticked" in text_of(stale)
    assert await _requests(bot, request_id) is None
    shown = await click(bot, connector, buttons(early)["Show the plan"])
    assert "rg-app: a fix it needs is not ticked" in text_of(shown)

    submitted = await click(bot, connector, buttons(new)["Ask for approval"])
    assert "approval needed" in text_of(submitted) and IP_STEP not in text_of(submitted)
    stored = await _requests(bot, request_id)
    assert stored is not None
    assert "rg-app" not in {g.source_group for g in stored.request.groups}
    assert not [s for s in stored.fix_steps if s.kind.value == "disassociate_ip"]
    assert {g.source_group for g in stored.request.groups} == {"rg-locked", "rg-web"}


async def test_double_clicks_submit_once_and_plan_again_once(fix_bots: FixBot, connector):
    bot = fix_bots.bot
    plan = await plan_card(bot, connector, GROUPS)
    request_id = _request_id(plan)

    # Two "Update plan" clicks at once: one plans again, the other is told the plan is being updated.
    fix_bots.sandbox.set_faults(latency_ms=1500, operations=SLOW)
    connector.updated.clear()
    answers = await asyncio.gather(*(click(bot, connector, buttons(plan)["Update plan"], fixes=WITHOUT_IP)
                                     for _ in range(2)))
    texts = sorted(text_of(a) for a in answers)
    assert sum("Planning again" in t for t in texts) == 1 and sum("being updated" in t for t in texts) == 1
    fix_bots.sandbox.set_faults(latency_ms=0)
    new = await wait_update(connector, "Left out of this plan", timeout=60)

    # Two "Ask for approval" clicks at once: one request, one approval card; both clicks see it.
    connector.clear()
    answers = await asyncio.gather(*(click(bot, connector, buttons(new)["Ask for approval"]) for _ in range(2)))
    assert all(f"Move request {request_id}: approval needed" in text_of(a) for a in answers), \
        [text_of(a)[:300] for a in answers]
    await asyncio.sleep(0.5)
    assert len(_approval_cards(connector, request_id)) == 1
    stored = await _requests(bot, request_id)
    assert stored is not None and not [s for s in stored.fix_steps if s.kind.value == "disassociate_ip"]


async def test_a_restart_while_planning_again_leaves_a_way_on(fix_bots: FixBot, connector):
    bot = fix_bots.bot
    plan = await plan_card(bot, connector, GROUPS)
    request_id = _request_id(plan)
    fix_bots.sandbox.set_faults(latency_ms=15_000, operations=SLOW)  # outlasts the bot's 10 s drain
    await click(bot, connector, buttons(plan)["Update plan"], fixes=WITHOUT_IP)
    await asyncio.sleep(0.5)
    bot = await fix_bots.restart()
    fix_bots.sandbox.set_faults(latency_ms=0)
    interrupted = await wait_update(connector, "was interrupted", timeout=30)
    assert "Run again" in buttons(interrupted)

    # The old plan card cannot be submitted, and its answer offers to plan again.
    early = await click(bot, connector, buttons(plan)["Ask for approval"])
    assert "being updated" in text_of(early) and await _requests(bot, request_id) is None
    connector.updated.clear()
    await click(bot, connector, buttons(early)["Plan again"])
    new = await wait_update(connector, "Left out of this plan", timeout=60)
    submitted = await click(bot, connector, buttons(new)["Ask for approval"])
    assert f"Move request {request_id}: approval needed" in text_of(submitted) and IP_STEP not in text_of(submitted)


async def test_a_plan_made_by_the_previous_version_is_shown_with_its_revision_then_submitted(fix_bots: FixBot,
                                                                                           connector):
    """A deployment while a plan waits: its records have no revision and its dry run sits on the draft, and
    its card's buttons carry no revision. The click shows the plan as it stands, which can be submitted."""
    bot = fix_bots.bot
    plan = await plan_card(bot, connector, GROUPS)
    request_id = _request_id(plan)
    store = bot.runner.app[STORE]
    fixes = (await store.get("fixdrafts", request_id)).value
    draft = (await store.get("drafts", request_id)).value
    await store.put("drafts", request_id, {**draft, "dryRuns": fixes["dry_runs"]})
    await store.put("fixdrafts", request_id, {k: v for k, v in fixes.items()
                                              if k not in ("dry_runs", "revision", "planned")})
    old_button = {k: v for k, v in buttons(plan)["Ask for approval"].items() if k != "data"}
    old_button["data"] = {"requestId": request_id}

    shown = await click(bot, connector, old_button)
    assert "The plan changed after that card was shown" in text_of(shown)
    assert "Azure accepted" in text_of(shown) and "No dry run yet" not in text_of(shown)
    assert await _requests(bot, request_id) is None
    submitted = await click(bot, connector, buttons(shown)["Ask for approval"])
    assert f"Move request {request_id}: approval needed" in text_of(submitted) and IP_STEP in text_of(submitted)
    stored = await _requests(bot, request_id)
    assert {g.source_group for g in stored.request.groups} == {"rg-app", "rg-locked", "rg-web"}
    assert stored.dry_runs
