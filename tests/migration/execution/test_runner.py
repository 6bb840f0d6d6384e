"""The move runner against the ARM sandbox over HTTPS with the real Azure SDK: batches, per-group
outcomes, leases between runners, resume after a crash, reconciling a POST whose answer was lost."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from migration.execution.runner import MoveRunner, RunnerConfig
from migration.execution.workflow import Workflow
from migration.model import GroupState, RequestState
from migration.model.records import BatchRecord, BatchStatus, Lease, StoredRequest
from storage import SqliteDocumentStore
from tests.support.moves import TARGET, approver_actor, move_scenario, submit_move

FAST = RunnerConfig(lease_seconds=5.0, poll_seconds=0.2, batch_size=3, retry_seconds=0.1)


class Recorder:
    """A ProgressListener that keeps what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[RequestState, bool]] = []

    async def request_changed(self, stored: StoredRequest, *, final: bool) -> None:
        self.seen.append((stored.state, final))


def _in_group(sandbox, subscription: str, group: str) -> set[str]:
    g = sandbox.world.group(subscription, group)
    return {r.name for r in g.resources.values()} if g else set()


async def _approved(workflow: Workflow, *groups: str) -> StoredRequest:
    stored = await submit_move(workflow, *groups)
    outcome = await workflow.approve(stored.id, approver_actor)
    assert outcome.changed
    return stored


async def test_moves_group_by_group_in_batches_and_one_failure_does_not_stop_the_others(
    workflow, sandbox_factory, gateway_factory
):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stored = await _approved(workflow, "rg-app", "rg-bad", "rg-blocked", "rg-web")
    recorder = Recorder()
    runner = MoveRunner(workflow, gateway_factory(sandbox), listener=recorder, config=FAST)
    assert await runner.run_once() == [stored.id]

    done = await workflow.get(stored.id)
    assert done is not None
    assert done.state is RequestState.PARTIALLY_SUCCEEDED
    groups = {g.source_group: g for g in done.request.groups}
    assert (groups["rg-app"].state, groups["rg-app"].moved_count) == (GroupState.SUCCEEDED, 7)
    assert (groups["rg-web"].state, groups["rg-web"].moved_count) == (GroupState.SUCCEEDED, 2)
    # rg-bad: batch [0,1,2] moved, batch [3] failed; Azure's reason and the fix in plain words.
    bad = groups["rg-bad"]
    assert (bad.state, bad.moved_count) == (GroupState.FAILED, 3)
    assert bad.error is not None and bad.error.code == "ResourceMoveFailed" and "Fix:" in bad.error.message
    assert [b.status for b in done.batches_of("rg-bad")] == [BatchStatus.SUCCEEDED, BatchStatus.FAILED]
    blocked = groups["rg-blocked"]
    assert blocked.state is GroupState.FAILED and not done.batches_of("rg-blocked")
    assert blocked.error is not None and blocked.error.code == "RequestDisallowedByPolicy"

    # Azure's side: what moved is in the target groups (created by the runner), the rest stayed.
    assert _in_group(sandbox, TARGET, "rg-app-csp") == {f"stapp{i}" for i in range(7)}
    assert _in_group(sandbox, TARGET, "rg-bad-csp") == {"stbad0", "stbad1", "stbad2"}
    assert [len(b.resource_ids) for b in done.batches_of("rg-app")] == [3, 3, 1]
    stats = sandbox.stats()
    assert stats["moves"] == {"started": 6, "succeeded": 5, "failed": 1}
    # The inventory read after the move lists what is left in the source subscription.
    left = {i.rsplit("/", 1)[-1] for i in done.leftovers}
    assert left == {"stbad3", "stblocked0", "ststays0"}
    assert done.report_sent and done.lease is None
    assert recorder.seen[-1] == (RequestState.PARTIALLY_SUCCEEDED, True)
    assert sum(final for _, final in recorder.seen) == 1
    trail = [e.action for e in await workflow.audit_trail(stored.id)]
    assert trail[:3] == ["requested", "approved", "claimed"] and trail[-1] == "finished"


async def test_two_runners_on_one_store_move_each_batch_once(tmp_path: Path, sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    stores = [SqliteDocumentStore(tmp_path / "shared.db") for _ in range(2)]
    try:
        flows = [Workflow(s) for s in stores]
        stored = await _approved(flows[0], "rg-app", "rg-web")
        runners = [MoveRunner(f, gateway_factory(sandbox), config=FAST) for f in flows]
        results = await asyncio.gather(*(r.run_once() for r in runners))
        assert sorted(len(r) for r in results) == [0, 1], "exactly one runner claims the request"
        done = await flows[1].get(stored.id)
        assert done is not None and done.state is RequestState.SUCCEEDED
        assert sandbox.stats()["moves"]["started"] == 4  # 3 batches for rg-app, 1 for rg-web
        assert all(b.posts == 1 for b in done.batches)
    finally:
        for s in stores:
            await s.close()


async def test_a_killed_runner_is_resumed_from_saved_tokens_without_moving_anything_twice(
    tmp_path: Path, sandbox_factory, gateway_factory
):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=1.0)
    store = SqliteDocumentStore(tmp_path / "bot.db")
    workflow = Workflow(store)
    try:
        stored = await _approved(workflow, "rg-app")
        first = MoveRunner(workflow, gateway_factory(sandbox), config=replace(FAST, lease_seconds=1.0))
        first.start()
        for _ in range(100):  # until the first batch's continuation token is saved
            current = await workflow.get(stored.id)
            if current and any(b.token for b in current.batches):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the first batch never started")
        await first.stop(release=False)  # like a crash: nothing cleaned up, the lease just lapses
        crashed = await workflow.get(stored.id)
        assert crashed is not None and crashed.state is RequestState.MOVING

        second = MoveRunner(workflow, gateway_factory(sandbox), config=FAST)
        assert await second.run_once() == [], "the lease still holds: nobody may take over yet"
        await asyncio.sleep(1.1)
        assert await second.run_once() == [stored.id]
        done = await workflow.get(stored.id)
        assert done is not None and done.state is RequestState.SUCCEEDED
        assert done.request.moved_count == 7
        assert sandbox.stats()["moves"]["started"] == 3, "each of the 3 batches was posted once"
        assert [b.posts for b in done.batches] == [1, 1, 1]
        assert "resumed" in [e.action for e in await workflow.audit_trail(stored.id)]
    finally:
        await store.close()


async def test_a_post_whose_answer_was_lost_is_reconciled_not_resent(workflow, sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.6)
    gateway = gateway_factory(sandbox)
    stored = await _approved(workflow, "rg-web", "rg-app")
    web, app = stored.group("rg-web"), stored.group("rg-app")
    # A runner validated, recorded batch 0 of rg-web as started, POSTed it and died before saving the
    # token; batch 0 of rg-app was recorded as started but the process died before its POST.
    azure = gateway.for_tenant(stored.request.tenant_id)
    await azure.groups.ensure_group(TARGET, "rg-web-csp", location="westeurope")
    await azure.groups.ensure_group(TARGET, "rg-app-csp", location="westeurope")
    await azure.moves.begin_move(stored.request.source_subscription_id, "rg-web", resource_ids=web.resource_ids,
                                 target_group_id=web.target_group_id)
    now = workflow.now()

    def crashed(s: StoredRequest) -> StoredRequest:
        request = replace(s.request, state=RequestState.MOVING, groups=tuple(
            replace(g, state=GroupState.MOVING) for g in s.request.groups))
        batches = (
            BatchRecord("rg-web", 0, web.resource_ids, BatchStatus.STARTED, sent_ids=web.resource_ids, posts=1),
            BatchRecord("rg-app", 0, app.resource_ids[:3], BatchStatus.STARTED, sent_ids=app.resource_ids[:3],
                        posts=1),
            BatchRecord("rg-app", 1, app.resource_ids[3:6], BatchStatus.PLANNED),
            BatchRecord("rg-app", 2, app.resource_ids[6:], BatchStatus.PLANNED),
        )
        return replace(s, request=request, validated=("rg-web", "rg-app"), batches=batches,
                       lease=Lease("dead-runner", now - timedelta(seconds=1)))

    await workflow.update(stored.id, crashed)
    # Each reconcile reads Resource Graph (15 queries per 5 s): poll it gently.
    runner = MoveRunner(workflow, gateway, config=replace(FAST, retry_seconds=0.3))
    assert await runner.run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None and done.state is RequestState.SUCCEEDED, done
    stats = sandbox.stats()
    # rg-web: the lost POST's move finished; nothing re-sent. rg-app: 3 batches, each posted once.
    assert stats["moves"]["started"] == 4
    assert [b.posts for b in done.batches_of("rg-web")] == [1]
    assert [b.posts for b in done.batches_of("rg-app")] == [2, 1, 1]  # batch 0: the lost attempt + 1
    assert _in_group(sandbox, TARGET, "rg-web-csp") == {"stweb0", "stweb1"}
    assert len(_in_group(sandbox, TARGET, "rg-app-csp")) == 7


async def test_a_report_that_could_not_be_sent_is_sent_by_a_later_scan(workflow, sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)

    class FlakyChat(Recorder):
        failed: bool
        async def request_changed(self, stored: StoredRequest, *, final: bool) -> None:
            if final and not self.failed:
                self.failed = True
                raise ConnectionError("Bot Connector unreachable")
            await super().request_changed(stored, final=final)

    chat = FlakyChat()
    chat.failed = False
    stored = await _approved(workflow, "rg-web")
    runner = MoveRunner(workflow, gateway_factory(sandbox), listener=chat, config=replace(FAST, lease_seconds=0.5))
    await runner.run_once()
    first = await workflow.get(stored.id)
    assert first is not None and first.state is RequestState.SUCCEEDED and not first.report_sent
    await asyncio.sleep(0.6)
    assert await runner.run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None and done.report_sent and done.lease is None
    assert chat.seen[-1] == (RequestState.SUCCEEDED, True)
    assert sandbox.stats()["moves"]["started"] == 1, "sending the report again moves nothing again"
