"""Moves side by side, chained groups, and requests that never overlap: over real HTTP (Teams-shaped
activities to /api/messages), the runner against the ARM sandbox, the connector stand-in recording cards."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from cards import verbs
from migration.model import GroupState, RequestState
from migration.model.records import StoredRequest
from sandbox.throttle import BucketSpec
from tests.support.cardtools import text_of as _text
from tests.support.moves import (
    APPROVALS_CHAT,
    CUSTOMER,
    PARTNER_TENANT,
    REQUESTER,
    SOURCE,
    TARGET,
    MoveBot,
    scenario_group,
)
from tests.support.teams import APPROVER, ENGINEER


async def _setup(bot: MoveBot) -> None:
    assert await bot.say("approvals here", user=APPROVER, conversation=APPROVALS_CHAT, kind="groupChat") in (200, 201)
    assert await bot.say("status") in (200, 201)
    await bot.connector.wait_for(2)
    bot.connector.clear()


async def _request(bot: MoveBot, *groups) -> StoredRequest:  # type: ignore[no-untyped-def]
    workflow = bot.parts.workflow
    stored = await workflow.submit(customer_tenant_id=CUSTOMER, source_subscription_id=SOURCE,
                                   target_subscription_id=TARGET, groups=groups, requester=REQUESTER,
                                   requester_tenant_id=PARTNER_TENANT, source_name="Contoso PAYG",
                                   target_name="Contoso CSP")
    record = await workflow.store.get("conversations", "a:conv-personal")
    assert record is not None
    return await bot.parts.notifier.announce(stored.id, record.value)


def _span(stored: StoredRequest, group: str) -> tuple[float, float]:
    batches = stored.batches_of(group)
    starts = [b.started_at.timestamp() for b in batches if b.started_at]
    ends = [b.finished_at.timestamp() for b in batches if b.finished_at]
    return min(starts), max(ends)


async def test_groups_move_side_by_side_and_one_failure_does_not_stop_the_others(move_bot: MoveBot):
    bot = move_bot
    bot.sandbox.set_move_seconds(0.8)
    await _setup(bot)
    stored = await _request(bot, *(scenario_group(n) for n in ("rg-app", "rg-bad", "rg-blocked", "rg-web")))
    assert stored.card is not None
    await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id}, reply_to_id=stored.card.activity_id or "")
    done = await bot.until(stored.id, lambda s: s.report_sent, timeout=30)

    assert done.state is RequestState.PARTIALLY_SUCCEEDED
    groups = {g.source_group: g for g in done.request.groups}
    assert groups["rg-app"].state is GroupState.SUCCEEDED and groups["rg-web"].state is GroupState.SUCCEEDED
    assert groups["rg-bad"].state is GroupState.FAILED and groups["rg-bad"].moved_count == 3
    assert groups["rg-blocked"].state is GroupState.FAILED
    assert groups["rg-blocked"].error is not None and "Policy" in groups["rg-blocked"].error.message
    # The groups' moves overlapped in time: each started before the others had finished.
    spans = [_span(done, g) for g in ("rg-app", "rg-bad", "rg-web")]
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans
    # Within a group, batches still go one after the other (Azure locks the group during a call).
    app = done.batches_of("rg-app")
    assert all(a.finished_at and b.started_at and a.finished_at <= b.started_at
               for a, b in zip(app, app[1:], strict=False))
    assert bot.sandbox.stats()["moves"] == {"started": 6, "succeeded": 5, "failed": 1}

    # The shared card ends on the report, and no progress update landed after it.
    updates = [u for u in bot.connector.updated if u["_activity_id"] == stored.card.activity_id]
    final = _text(updates[-1]["attachments"][0]["content"])
    assert "Partly moved" in final and "rg-blocked" in final
    assert sum("Partly moved" in _text(u) for u in updates) == 1


async def test_a_group_waits_for_the_group_it_is_chained_to(move_bot: MoveBot):
    bot = move_bot
    bot.sandbox.set_move_seconds(0.5)
    await _setup(bot)
    stored = await _request(
        bot, scenario_group("rg-app"), replace(scenario_group("rg-web"), after=("rg-app",)),
        scenario_group("rg-bad"), replace(scenario_group("rg-stays"), after=("rg-bad",)))
    await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id})
    done = await bot.until(stored.id, lambda s: s.report_sent, timeout=30)

    groups = {g.source_group: g for g in done.request.groups}
    assert groups["rg-web"].state is GroupState.SUCCEEDED
    assert _span(done, "rg-web")[0] >= _span(done, "rg-app")[1], "rg-web moved only after rg-app had moved"
    # rg-bad failed, so rg-stays, which waits for it, is left where it is, with the reason.
    stays = groups["rg-stays"]
    assert stays.state is GroupState.SKIPPED and not done.batches_of("rg-stays")
    assert stays.error is not None and "waits for group rg-bad" in stays.error.message
    assert bot.sandbox.world.group(SOURCE, "rg-stays") is not None
    assert len(bot.sandbox.world.group(SOURCE, "rg-stays").resources) == 1


async def test_a_group_in_an_open_request_cannot_be_requested_again(move_bot: MoveBot):
    bot = move_bot
    await _setup(bot)
    first = await _request(bot, scenario_group("rg-web"), scenario_group("rg-app"))
    bot.connector.clear()

    # The move flow (one-line form) refuses the group and says which request has it.
    assert await bot.say(f"move {CUSTOMER} {SOURCE} {TARGET} rg-app") in (200, 201)
    card = await _wait_update_with(bot, "Group already in a request")
    assert f"rg-app is already in move request {first.id}" in card and "pending approval" in card
    assert f"status {first.id}" in card

    # So does the workflow itself, whoever calls it, and nothing is stored for the refused request.
    before = len(await bot.parts.workflow.history())
    bot.connector.clear()
    assert await bot.say("history") in (200, 201)
    [history] = await bot.connector.wait_for(1)
    text = _text(history)
    assert first.id.replace("-", "\u2011") in json.dumps(history, ensure_ascii=False), "ids do not wrap mid-word"
    assert "rg-web and rg-app" in text, "history shows each request's groups"
    assert len(await bot.parts.workflow.history()) == before

    # Once the first request is finished (here: cancelled), its groups are free again.
    cancelled = await bot.click(verbs.REQUEST_CANCEL, {"requestId": first.id}, user=ENGINEER)
    assert "Cancelled" in _text(cancelled)
    second = await _request(bot, scenario_group("rg-app"))
    assert second.state is RequestState.PENDING_APPROVAL


async def _wait_update_with(bot: MoveBot, needle: str, timeout: float = 20.0) -> str:
    async def find() -> str:
        while True:
            for update in reversed(bot.connector.updated):
                if needle in _text(update):
                    return _text(update)
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(find(), timeout)


async def test_moves_side_by_side_are_paced_by_azures_remaining_writes(move_bot: MoveBot):
    bot = move_bot
    # A small write budget on every subscription (4, +4 a second): far fewer than the calls the request makes.
    bot.sandbox.server.throttle.specs["writes"] = BucketSpec(4, 4)
    bot.sandbox.server.throttle.reset()
    await _setup(bot)
    stored = await _request(bot, *(scenario_group(n) for n in ("rg-app", "rg-bad", "rg-stays", "rg-web")))
    bot.sandbox.reset_stats()
    await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id})
    done = await bot.until(stored.id, lambda s: s.report_sent, timeout=45)

    assert done.state is RequestState.PARTIALLY_SUCCEEDED  # rg-bad's last batch fails by the scenario
    assert {g.source_group: g.state for g in done.request.groups} == {
        "rg-app": GroupState.SUCCEEDED, "rg-bad": GroupState.FAILED, "rg-stays": GroupState.SUCCEEDED,
        "rg-web": GroupState.SUCCEEDED}
    stats = bot.sandbox.stats()
    writes = sum(stats["by_operation"].get(op, 0) for op in (
        "Resources_ValidateMoveResources", "Resources_MoveResources", "ResourceGroups_CreateOrUpdate"))
    throttled = sum(stats["throttled_by_operation"].get(op, 0) for op in (
        "Resources_ValidateMoveResources", "Resources_MoveResources", "ResourceGroups_CreateOrUpdate"))
    assert writes - throttled >= 16, stats  # validations and moves per batch, and the target groups
    # Sent as the remaining-writes header allowed, not all at once into the empty bucket: a 429 now and
    # then (a probe, or a refill learnt a little too fast), far fewer than the calls beyond the budget.
    assert throttled <= 3, stats
