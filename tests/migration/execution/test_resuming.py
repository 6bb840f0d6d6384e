"""A bot process killed with SIGKILL in the middle of a move, started again at once, with the runner's default
lease: the move's card says within seconds that it resumes, and when; the move resumes when the stopped run's
lease lapses (seconds, not minutes), and finishes."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from migration.execution.runner import RunnerConfig
from migration.model import RequestState
from migration.model.records import CardRef
from tests.support.bot_http import Connector
from tests.support.cardtools import text_of
from tests.support.moves import move_scenario, submit_move
from tests.support.processes import python_process
from tests.support.sigkill import approve_and_kill_once_moving, sandbox_and_bot

pytestmark = pytest.mark.restart

LEASE = RunnerConfig().lease_seconds
RESUMES_BY = re.compile(r"resumes by (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


async def test_after_a_crash_the_card_says_the_move_resumes_and_when_and_it_does_soon(
        tmp_path: Path, connector: Connector) -> None:
    assert LEASE <= 30, "a stopped run holds its moves this long at most"
    async with sandbox_and_bot(tmp_path, move_scenario()) as run:
        args = list(run.bot_args)
        args[args.index("--lease-seconds") + 1] = str(LEASE)  # the runner's default, not the tests' fast one
        stored = await submit_move(run.workflow, "rg-app")
        reference = {"conversation": {"id": "a:conv-personal"}, "serviceUrl": connector.url, "channelId": "msteams",
                     "bot": {"id": "28:bot"}, "user": {"id": "29:user"}}
        await run.workflow.set_card(stored.id, CardRef(reference, "card-1"))
        async with aiohttp.ClientSession() as session:
            await approve_and_kill_once_moving(session, run.workflow, request_id=stored.id, bot_args=args,
                                               port=run.port, connector_url=connector.url)
            killed_at, killed = time.monotonic(), datetime.now(UTC)
            connector.clear()

            async with python_process(*args, ready="BOT_READY"):
                said_at, resumes_by = None, None
                for _ in range(1200):
                    for update in connector.updated:
                        found = RESUMES_BY.search(text_of(update["attachments"][0]["content"]))
                        if found and said_at is None:
                            said_at, resumes_by = time.monotonic(), found.group(1)
                    current = await run.workflow.get(stored.id)
                    assert current is not None
                    if current.report_sent:
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the restarted bot did not finish the move")
            trail = await run.workflow.audit_trail(stored.id)
    resumed = next(e for e in trail if e.action == "resumed")
    assert said_at is not None and resumes_by is not None, "no card said the move resumes"
    assert said_at - killed_at < LEASE * 2 / 3, f"the card said it after {said_at - killed_at:.1f} s"
    by = datetime.strptime(resumes_by, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert killed.replace(microsecond=0) <= by.replace(microsecond=0) and (by - killed).total_seconds() <= LEASE + 1
    waited = (resumed.at - killed).total_seconds()
    assert waited <= LEASE + 5, f"the move resumed {waited:.1f} s after the crash"
    assert current.state is RequestState.SUCCEEDED
