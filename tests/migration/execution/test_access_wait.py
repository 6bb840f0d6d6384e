"""A move whose access to the customer's tenant is revoked halfway: it waits (nothing is marked failed),
says why on the card, in `status` and to the requester and approvers, and finishes once access returns,
by itself (bounded backoff) or when someone clicks Check again. Real app over HTTP, real SDK, sandbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from cards import verbs
from migration.azure.credentials import IdentityConfig
from migration.azure.gateway import create_gateway
from migration.execution.runner import MoveRunner
from migration.model import GroupState, RequestState
from migration.model.records import BatchRecord, BatchStatus, StoredRequest
from sandbox import Sandbox
from settings import load_settings
from tests.migration.execution.test_runner import FAST, Recorder, _approved
from tests.support.app_factory import create_app
from tests.support.identities import APP, PARTNER, SECRET
from tests.support.moves import (
    APPROVALS_CHAT,
    CUSTOMER,
    HTTP_RUNNER,
    SOURCE,
    TARGET,
    MoveBot,
    move_scenario,
    scenario_group,
    serve_move_bot,
)
from tests.support.teams import APPROVER, ENGINEER, PARTNER_TENANT


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False).replace("\u2011", "-")  # ids are shown unbroken (U+2011)


def revoke(sandbox: Sandbox) -> None:
    """The customer takes the partner's access away (in the sandbox's own facts, not the bot's)."""
    sandbox.world.tenant(CUSTOMER).partner_access = False
    held = sandbox.world.directory.assignments.get(CUSTOMER.lower(), [])
    _REVOKED[id(sandbox)] = list(held)
    held.clear()  # with the partner's app: its roles go


def restore(sandbox: Sandbox) -> None:
    sandbox.world.tenant(CUSTOMER).partner_access = True
    sandbox.world.directory.assignments.setdefault(CUSTOMER.lower(), []).extend(_REVOKED.pop(id(sandbox), []))


_REVOKED: dict[int, list] = {}


@pytest.fixture(params=["sandbox-token", "partner-app"])
async def access_bot(request, tmp_path, sandbox_factory, connector, move_bot) -> AsyncIterator[MoveBot]:
    """The move bot acting with the sandbox's static token (access taken by the scenario's flag), or as the
    partner's app with its secret (access taken by removing its role: ARM answers 403 AuthorizationFailed)."""
    if request.param == "sandbox-token":
        yield move_bot
        return
    sandbox = await sandbox_factory(_app_scenario(), lro_seconds=0.1)
    settings = load_settings({
        "STORAGE_URL": f"sqlite:///{tmp_path / 'app-bot.db'}", "HOST": "127.0.0.1", "PORT": "0",
        "APPROVER_IDS": APPROVER["aadObjectId"], "ALLOWED_TENANT_IDS": PARTNER_TENANT,
        "AZURE_CREDENTIAL": "app", "AZURE_CLIENT_ID": APP, "AZURE_TENANT_ID": PARTNER, "AZURE_CLIENT_SECRET": SECRET,
        "ARM_ENDPOINT": sandbox.url, "ARM_CA_BUNDLE": str(sandbox.ca_path), "AZURE_AUTHORITY_HOST": sandbox.url,
    })
    app = create_app(settings, runner_config=HTTP_RUNNER)  # the app builds its own gateway from the settings
    async with serve_move_bot(app, sandbox, connector) as bot:
        yield bot


async def _eventually(found, count: int, timeout: float = 10.0) -> list:
    """What `found()` returns once it holds `count` items (the bot sends in the background)."""
    async def poll() -> list:
        while len(items := found()) < count:
            await asyncio.sleep(0.05)
        return items

    return await asyncio.wait_for(poll(), timeout)


def _batches_done(stored: StoredRequest, group: str | None = None) -> int:
    return sum(b.status.value == "succeeded" for b in stored.batches if group in (None, b.group))


async def test_access_revoked_halfway_waits_says_why_and_finishes_after_check_again(access_bot: MoveBot):
    bot = access_bot
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
    assert waiting.access_wait is not None and waiting.access_wait.cause in ("not_delegated", "role_missing")
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
    runner = MoveRunner(workflow, gateway_factory(sandbox), listener=told, alerts=told, config=config)
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


def _app_scenario() -> dict:
    """The move scenario where the partner's app, consented in the customer's tenant, holds Contributor."""
    scenario = move_scenario()
    scenario["apps"] = [{"clientId": APP, "homeTenantId": PARTNER, "secrets": [{"value": SECRET}]}]
    scenario["tenants"] = [  # type: ignore[index]
        {"id": PARTNER, "displayName": "Partner"},
        {**scenario["tenants"][0], "partnerAccess": False, "consentedApps": [APP],  # type: ignore[index]
         "roleAssignments": [{"appId": APP, "role": "Contributor", "scope": f"/subscriptions/{s}"}
                             for s in (SOURCE, TARGET)]},
    ]
    return scenario


def _app_gateway(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    config = IdentityConfig(mode="app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET,
                            authority_host=sandbox.url, ca_bundle=str(sandbox.ca_path))
    return create_gateway(credential=config, endpoint=sandbox.url, ca_bundle=str(sandbox.ca_path),
                          authority_host=sandbox.url, polling_interval=0.05)


async def _until(workflow, request_id: str, done, timeout: float = 15.0) -> StoredRequest:  # type: ignore[no-untyped-def]
    async def poll() -> StoredRequest:
        while True:
            s = await workflow.get(request_id)
            if s is not None and done(s):
                return s
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), timeout)


async def test_a_role_removed_halfway_with_the_partners_app_waits_and_resumes(workflow, sandbox_factory):
    """The same with the real credential: the partner's app, its token from the customer's tenant, and the
    customer taking its Contributor role away between two batches (ARM answers 403 AuthorizationFailed)."""
    sandbox = await sandbox_factory(_app_scenario(), lro_seconds=0.4)
    gateway = _app_gateway(sandbox)
    stored = await _approved(workflow, "rg-app")
    roles = sandbox.world.directory.assignments[CUSTOMER.lower()]
    held = list(roles)
    runner = MoveRunner(workflow, gateway, listener=Recorder(),
                        config=replace(FAST, access_retry_seconds=0.1, access_retry_max_seconds=0.3))
    runner.start()
    try:
        await _until(workflow, stored.id, lambda s: _batches_done(s) >= 1)
        roles.clear()  # the customer removes the role
        paused = await _until(workflow, stored.id, lambda s: s.access_wait is not None and s.access_wait.checks >= 2)
        assert paused.access_wait is not None and paused.access_wait.cause == "role_missing"
        assert paused.access_wait.code == "AuthorizationFailed" and paused.access_wait.action
        assert paused.state is RequestState.MOVING
        roles.extend(held)  # and grants it again
        done = await _until(workflow, stored.id, lambda s: s.report_sent, timeout=20)
    finally:
        await runner.stop()
        await gateway.close()
    assert done.state is RequestState.SUCCEEDED and done.access_wait is None
    assert len(sandbox.world.group(TARGET, "rg-app-csp").resources) == 7


async def test_an_inventory_read_without_access_is_not_taken_for_a_finished_batch(workflow, sandbox_factory):
    """A batch recorded before its POST (the process died there) is reconciled from the inventory. Resource
    Graph leaves out what the caller may not read, so without access the inventory looks empty: that must
    not pass for "everything moved"."""
    sandbox = await sandbox_factory(_app_scenario(), lro_seconds=0.1)
    gateway = _app_gateway(sandbox)
    stored = await _approved(workflow, "rg-web")
    ids = scenario_group("rg-web").resource_ids
    started_at = workflow.now()

    def died_before_the_answer(s: StoredRequest) -> StoredRequest:
        groups = tuple(replace(g, state=GroupState.MOVING) for g in s.request.groups)
        return replace(s, request=replace(s.request, state=RequestState.MOVING, groups=groups),
                       validated=("rg-web",), batches=(BatchRecord("rg-web", 0, ids, BatchStatus.STARTED,
                                                                   sent_ids=ids, posts=1, started_at=started_at),))

    await workflow.update(stored.id, died_before_the_answer)
    await gateway.for_tenant(CUSTOMER).groups.ensure_group(TARGET, "rg-web-csp", location="westeurope")  # validated
    roles = sandbox.world.directory.assignments[CUSTOMER.lower()]
    held = list(roles)
    roles.clear()
    runner = MoveRunner(workflow, gateway, listener=Recorder(),
                        config=replace(FAST, access_retry_seconds=0.05, access_retry_max_seconds=0.1))
    runner.start()
    try:
        paused = await _until(workflow, stored.id, lambda s: s.access_wait is not None and s.access_wait.checks >= 2)
        assert [b.status for b in paused.batches] == [BatchStatus.STARTED], "not taken for moved"
        assert len(sandbox.world.group(SOURCE, "rg-web").resources) == 2
        roles.extend(held)
        done = await _until(workflow, stored.id, lambda s: s.report_sent)
    finally:
        await runner.stop()
        await gateway.close()
    assert done.state is RequestState.SUCCEEDED and done.request.moved_count == 2
    assert len(sandbox.world.group(TARGET, "rg-web-csp").resources) == 2
