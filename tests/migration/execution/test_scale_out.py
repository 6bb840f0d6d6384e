"""Scale-out on Azure Table Storage: two bot processes share one Azurite and one ARM sandbox process. A move
runs exactly once however many bots there are; when the bot holding a move's lease is killed (SIGKILL) in
the middle of it, the other bot finishes the move once the lease has lapsed, and no batch moves twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from cards import verbs
from migration.execution.workflow import Workflow
from migration.model import RequestState
from migration.model.records import StoredRequest
from storage import open_store
from tests.support import teams
from tests.support.bot_http import Connector
from tests.support.moves import TARGET, move_scenario, submit_move
from tests.support.processes import python_process as _process
from tests.support.teams import APPROVER, PARTNER_TENANT

pytestmark = pytest.mark.restart

ROOT = Path(__file__).resolve().parents[3]
LEASE_SECONDS = 1.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until(workflow: Workflow, request_id: str, done: Callable[[StoredRequest], bool],
                 timeout: float = 30.0) -> StoredRequest:
    deadline = time.monotonic() + timeout
    while True:
        stored = await workflow.get(request_id)
        if stored is not None and done(stored):
            return stored
        if time.monotonic() > deadline:
            raise AssertionError(f"{request_id} never got there; last seen: {stored and stored.state}")
        await asyncio.sleep(0.05)


async def test_two_bots_on_azurite_move_once_and_the_survivor_finishes_a_killed_bots_move(
    tmp_path: Path, azurite: str, connector: Connector
) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(move_scenario()))
    storage_url = f"azure-table://t{uuid.uuid4().hex[:12]}"  # tables of their own on the shared emulator
    sandbox_args = ("-m", "sandbox", "--port", "0", "--scenario", str(scenario), "--state-dir", str(tmp_path / "arm"),
                    "--lro-seconds", "0.8", "--poll-interval", "0.05", "--no-throttle")
    async with contextlib.AsyncExitStack() as stack:
        _, sandbox = await stack.enter_async_context(_process(*sandbox_args, ready="SANDBOX_READY"))
        arm, ca = sandbox["url"], sandbox["ca"]
        env = {**os.environ, "STORAGE_URL": storage_url, "AZURE_STORAGE_CONNECTION_STRING": azurite}
        bots: dict[str, tuple[asyncio.subprocess.Process, str]] = {}  # runner owner -> (process, base url)
        for _ in range(2):
            port = _free_port()
            proc, fields = await stack.enter_async_context(_process(
                "-m", "tests.support.app_factory", "--port", str(port), "--arm", arm, "--ca", ca,
                "--approvers", APPROVER["aadObjectId"], "--tenants", PARTNER_TENANT,
                "--lease-seconds", str(LEASE_SECONDS), ready="BOT_READY", env=env))
            bots[fields["owner"]] = (proc, f"http://127.0.0.1:{port}")
        [first_url, second_url] = [url for _, url in bots.values()]
        store = open_store(storage_url, connection_string=azurite)
        stack.push_async_callback(store.close)
        workflow = Workflow(store)
        session = await stack.enter_async_context(aiohttp.ClientSession())
        ssl_ctx = ssl.create_default_context(cafile=ca)

        async def approve(bot_url: str, request_id: str) -> None:
            click = teams.card_action(verbs.REQUEST_APPROVE, {"requestId": request_id}, connector.url, user=APPROVER)
            async with session.post(f"{bot_url}/api/messages", json=click) as response:
                assert response.status == 200, await response.text()

        async def stats() -> dict:  # type: ignore[type-arg]
            async with session.get(f"{arm}/_sandbox/stats", ssl=ssl_ctx) as response:
                return await response.json()  # type: ignore[no-any-return]

        async def trail(request_id: str) -> list[tuple[str, str | None]]:
            return [(e.action, (e.detail or {}).get("runner")) for e in await workflow.audit_trail(request_id)]

        # 1. Both bots alive: the approved move is claimed by one of them and its one batch moves once.
        web = await submit_move(workflow, "rg-web")
        await approve(second_url, web.id)
        web_done = await _until(workflow, web.id, lambda s: s.report_sent)
        assert web_done.state is RequestState.SUCCEEDED and web_done.request.moved_count == 2
        claims = [runner for action, runner in await trail(web.id) if action in ("claimed", "resumed")]
        assert len(claims) == 1 and claims[0] in bots
        after_web = await stats()
        assert after_web["moves"]["started"] == 1
        assert after_web["by_operation"]["Resources_MoveResources"] == 1

        # 2. A move of three batches; the bot holding it is killed once its first move call is under way.
        app = await submit_move(workflow, "rg-app")
        await approve(first_url, app.id)
        running = await _until(workflow, app.id, lambda s: any(b.token for b in s.batches))
        assert running.lease is not None and running.lease.owner in bots
        victim = running.lease.owner
        victim_proc, _ = bots[victim]
        os.killpg(victim_proc.pid, signal.SIGKILL)
        await victim_proc.wait()
        killed_at = time.monotonic()
        [survivor] = [owner for owner in bots if owner != victim]

        done = await _until(workflow, app.id, lambda s: s.report_sent)
        finished_after = time.monotonic() - killed_at
        final = await stats()

    assert done.state is RequestState.SUCCEEDED and done.request.moved_count == 7
    # The survivor took over only after the victim's lease had lapsed, and finished the move.
    app_claims = [(action, runner) for action, runner in await _trail_after(storage_url, azurite, app.id)
                  if action in ("claimed", "resumed")]
    assert app_claims == [("claimed", victim), ("resumed", survivor)]
    assert finished_after >= LEASE_SECONDS * 2 / 3  # the lease lapses at least this long after the last renewal
    # Each of the three batches was POSTed once; Azure started exactly one move job per batch, in all four.
    assert [b.posts for b in done.batches] == [1, 1, 1]
    assert final["moves"]["started"] - after_web["moves"]["started"] == 3
    assert final["by_operation"]["Resources_MoveResources"] - after_web["by_operation"]["Resources_MoveResources"] == 3
    assert final["moves"].get("failed", 0) == 0
    state = json.loads((tmp_path / "arm" / "state.json").read_text())
    [target] = [s for s in state["subscriptions"] if s["id"] == TARGET]
    moved = {g["name"]: sorted(r["name"] for r in g["resources"]) for g in target["resourceGroups"]}
    assert moved == {"rg-web-csp": ["stweb0", "stweb1"], "rg-app-csp": [f"stapp{i}" for i in range(7)]}


async def _trail_after(storage_url: str, connection: str, request_id: str) -> list[tuple[str, str | None]]:
    store = open_store(storage_url, connection_string=connection)
    try:
        return [(e.action, (e.detail or {}).get("runner")) for e in await Workflow(store).audit_trail(request_id)]
    finally:
        await store.close()
