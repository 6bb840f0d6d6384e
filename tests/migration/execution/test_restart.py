"""The bot process killed with SIGKILL in the middle of a move, then started again: the move finishes
and no batch is moved twice (the sandbox, a process of its own, counts every move call)."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import sys
from pathlib import Path

import aiohttp
import pytest

from migration.execution.workflow import Workflow
from migration.model import RequestState
from settings import BotSdk
from storage import SqliteDocumentStore
from tests.support.bot_http import Connector
from tests.support.moves import TARGET, move_scenario, submit_move
from tests.support.processes import python_process as _process
from tests.support.sigkill import approve_and_kill_once_moving
from tests.support.teams import APPROVER, PARTNER_TENANT

pytestmark = pytest.mark.restart

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The approval click and the cards after the restart go through the Teams edge: this one runs on both.
@pytest.mark.parametrize("edge", [sdk.value for sdk in BotSdk])
async def test_sigkill_in_the_middle_of_a_move_then_restart_finishes_without_moving_twice(
    tmp_path: Path, connector: Connector, edge: str
):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(move_scenario()))
    db = tmp_path / "bot.db"
    sandbox_args = ("-m", "sandbox", "--port", "0", "--scenario", str(scenario), "--state-dir", str(tmp_path / "arm"),
                    "--lro-seconds", "0.8", "--poll-interval", "0.05", "--no-throttle")
    async with _process(*sandbox_args, ready="SANDBOX_READY") as (_, fields):
        arm, ca = fields["url"], fields["ca"]
        port = _free_port()
        bot_args = ("-m", "tests.support.app_factory", "--port", str(port), "--storage", f"sqlite:///{db}",
                    "--arm", arm, "--ca", ca, "--approvers", APPROVER["aadObjectId"], "--tenants", PARTNER_TENANT,
                    "--lease-seconds", "1.5", "--bot-sdk", edge)
        store = SqliteDocumentStore(db)
        workflow = Workflow(store)
        try:
            stored = await submit_move(workflow, "rg-app")
            async with aiohttp.ClientSession() as session:
                await approve_and_kill_once_moving(session, workflow, request_id=stored.id, bot_args=bot_args,
                                                   port=port, connector_url=connector.url)
                killed = await workflow.get(stored.id)
                assert killed is not None and killed.state is RequestState.MOVING and not killed.report_sent

                async with _process(*bot_args, ready="BOT_READY"):
                    for _ in range(600):
                        done = await workflow.get(stored.id)
                        if done and done.report_sent:
                            break
                        await asyncio.sleep(0.05)
                    else:
                        raise AssertionError("the restarted bot did not finish the move")

                ssl_ctx = ssl.create_default_context(cafile=ca)
                async with session.get(f"{arm}/_sandbox/stats", ssl=ssl_ctx) as response:
                    stats = await response.json()
            trail = [e.action for e in await workflow.audit_trail(stored.id)]
        finally:
            await store.close()
    assert done.state is RequestState.SUCCEEDED and done.request.moved_count == 7
    assert [b.posts for b in done.batches] == [1, 1, 1]
    assert stats["by_operation"]["Resources_MoveResources"] == 3, "every batch was POSTed exactly once"
    assert stats["moves"]["started"] == 3
    assert "resumed" in trail
    state = json.loads((tmp_path / "arm" / "state.json").read_text())
    [target] = [s for s in state["subscriptions"] if s["id"] == TARGET]
    [group] = [g for g in target["resourceGroups"] if g["name"] == "rg-app-csp"]
    assert len(group["resources"]) == 7
