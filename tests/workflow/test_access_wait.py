"""A move whose access to the customer's tenant is revoked halfway: it waits (nothing is marked failed),
says why on the card, in `status` and to the requester and approvers, and finishes once access returns,
by itself (bounded backoff) or when someone clicks Check again. Real app over HTTP, real SDK, sandbox."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

from cards import verbs
from migration.model import GroupState, RequestState
from migration.runner import MoveRunner
from migration.workflow import StoredRequest
from sandbox import Sandbox
from tests.http.teams import APPROVER, ENGINEER
from tests.workflow.conftest import APPROVALS_CHAT, CUSTOMER, TARGET, MoveBot, move_scenario
from tests.workflow.test_runner import FAST, Recorder, _approved


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def revoke(sandbox: Sandbox) -> None:
    """The customer takes the partner's access away (in the sandbox's own facts, not the bot's)."""
    sandbox.world.tenant(CUSTOMER).partner_access = False


def restore(sandbox: Sandbox) -> None:
    sandbox.world.tenant(CUSTOMER).partner_access = True


async def _eventually(found, count: int, timeout: float = 10.0) -> list:
    """What `found()` returns once it holds `count` items (the bot sends in the background)."""
    async def poll() -> list:
        while len(items := found()) < count:
            await asyncio.sleep(0.05)
        return items

    return await asyncio.wait_for(poll(), timeout)


def _batches_done(stored: StoredRequest, group: str | None = None) -> int:
    return sum(b.status.value == "succeeded" for b in stored.batches if group in (None, b.group))


async def test_access_revoked_halfway_waits_says_why_and_finishes_after_check_again(move_bot: MoveBot):
    bot = move_bot
    assert await bot.say("approvals here", user=APPROVER, conversation=APPROVALS_CHAT, kind="groupChat") in (200, 201)
    assert await bot.say("status") in (200, 201)
    await bot.connector.wait_for(2)
    bot.connector.clear()
    bot.sandbox.set_lro_seconds(0.6)  # slow enough to take access away between two batches
    stored = await bot.request("rg-app", "rg-web")
    await bot.connector.wait_for(1)
    assert stored.card is not None
    await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id}, reply_to_id=stored.card.activity_id)

    # Groups move side by side: wait for rg-app's first batch (of three) in particular.
    await bot.until(stored.id, lambda s: _batches_done(s, "rg-app") >= 1)
    revoke(bot.sandbox)
    waiting = await bot.until(stored.id, lambda s: s.access_wait is not None)
    assert waiting.state is RequestState.MOVING, "a move without access waits; it is not failed"
    assert not any(g.state is GroupState.FAILED for g in waiting.request.groups)
    assert waiting.access_wait is not None and waiting.access_wait.fix
    moved_before = len(bot.sandbox.world.group(TARGET, "rg-app-csp").resources)
    assert 0 < moved_before < 7

    # The requester and the approvers are told, each in their own chat, what is wrong and what to do.
    alerts = await _eventually(lambda: [a for a in bot.connector.sent if "waits for access" in _text(a)], 2)
    assert sorted(a["_conversation"] for a in alerts) == sorted([APPROVALS_CHAT, "a:conv-personal"])
    assert "To fix:" in _text(alerts[0]) and "Check again" in _text(alerts[0])
    # The shared card says so too, and so does `status`.
    await _eventually(lambda: [u for u in bot.connector.updated if "Waiting for access since" in _text(u)], 1)
    bot.connector.clear()
    assert await bot.say(f"status {stored.id}", user=ENGINEER) in (200, 201)
    [status] = await bot.connector.wait_for(1)
    assert "Waiting for access since" in _text(status) and "Check again" in _text(status)

    # Still no access: a click changes nothing and fails nothing.
    still = await bot.click(verbs.REQUEST_RECHECK, {"requestId": stored.id}, user=ENGINEER)
    assert "Waiting for access since" in _text(still)
    again = await bot.until(stored.id, lambda s: s.access_wait is not None and s.access_wait.checks >= 1)
    assert again.state is RequestState.MOVING

    restore(bot.sandbox)
    answer = await bot.click(verbs.REQUEST_RECHECK, {"requestId": stored.id}, user=ENGINEER)
    assert "Checking access again now" in _text(answer)
    done = await bot.until(stored.id, lambda s: s.report_sent, timeout=30)
    assert done.state is RequestState.SUCCEEDED and done.access_wait is None
    assert len(bot.sandbox.world.group(TARGET, "rg-app-csp").resources) == 7
    assert len(bot.sandbox.world.group(TARGET, "rg-web-csp").resources) == 2
    trail = [e.action for e in await bot.parts.workflow.audit_trail(stored.id)]
    assert "access_lost" in trail and "access_restored" in trail and "access_recheck" in trail
    assert trail.index("access_lost") < trail.index("access_restored") < trail.index("finished")


async def test_access_returns_and_the_move_resumes_by_itself_with_bounded_backoff(
    workflow, sandbox_factory, gateway_factory
):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stored = await _approved(workflow, "rg-web")
    revoke(sandbox)  # before the first call: the dry run itself waits

    class Told(Recorder):
        lost: list[StoredRequest]

        async def access_lost(self, s: StoredRequest) -> None:
            self.lost.append(s)

    told = Told()
    told.lost = []
    config = replace(FAST, access_retry_seconds=0.05, access_retry_max_seconds=0.2)
    runner = MoveRunner(workflow, gateway_factory(sandbox), listener=told, config=config)
    runner.start()
    try:
        async def checked_a_few_times() -> StoredRequest:
            while True:
                s = await workflow.get(stored.id)
                if s is not None and s.access_wait is not None and s.access_wait.checks >= 4:
                    return s
                await asyncio.sleep(0.05)

        waiting = await asyncio.wait_for(checked_a_few_times(), 10)
        assert waiting.access_wait is not None
        gap = (waiting.access_wait.next_check_at - waiting.access_wait.since).total_seconds()
        assert gap < 5, "the backoff is bounded"
        assert waiting.state is RequestState.VALIDATING
        assert [g.state for g in waiting.request.groups] == [GroupState.VALIDATING]
        assert len(told.lost) == 1, "people are told once per wait, not at every check"
        restore(sandbox)

        async def finished() -> StoredRequest:
            while True:
                s = await workflow.get(stored.id)
                if s is not None and s.report_sent:
                    return s
                await asyncio.sleep(0.05)

        done = await asyncio.wait_for(finished(), 10)
    finally:
        await runner.stop()
    assert done.state is RequestState.SUCCEEDED and done.access_wait is None
    assert sandbox.stats()["moves"]["started"] == 1
