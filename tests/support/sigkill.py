"""Running an approved move in a bot process that is killed with SIGKILL at the boundary of every step and
started again each time (the restart tests of the fixes and follow-through)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from cards import verbs
from migration.assessment.assess import assess
from migration.assessment.dryrun import planned_target_groups, top_level_ids
from migration.azure.gateway import create_gateway
from migration.azure.ports import AzureGateway
from migration.execution.workflow import Workflow
from migration.fixes.choice import chosen_fixes, movable_with, regroup_destinations
from migration.model import GroupMove
from migration.model.records import StepStatus, StoredRequest
from migration.planning.plan import plan_with_fixes
from migration.reports.checklist import post_move_checklist
from storage import SqliteDocumentStore
from tests.support import teams
from tests.support.moves import REQUESTER
from tests.support.processes import python_process
from tests.support.sandbox import CSP, FABRIKAM, PAYG
from tests.support.teams import APPROVER, PARTNER_TENANT


async def plan_and_submit(gateway: AzureGateway, workflow: Workflow, *, picked: Sequence[str],
                          request_id: str, tenant: str = FABRIKAM, source: str = PAYG,
                          target: str = CSP) -> StoredRequest:
    """What the move flow does when the engineer picks these groups (by default Fabrikam's PAYG to its CSP
    subscription) and keeps every fix: plan the fixes from what Azure says now and submit the request."""
    assessment = await assess(gateway, tenant_id=tenant, source_subscription_id=source, target_subscription_id=target)
    by_name = {g.name: g for g in assessment.groups}
    groups = [by_name[n] for n in picked]
    chosen = chosen_fixes(groups)
    groups += [by_name[n] for n in regroup_destinations(chosen) if n not in picked]
    chosen = chosen_fixes(groups)
    assert all(movable_with(g, chosen) for g in groups), [g.name for g in groups if not movable_with(g, chosen)]
    plans = {p.name: p for p in planned_target_groups(assessment, groups=[g.name for g in groups])}
    moves = tuple(GroupMove(g.name, plans[g.name].id, plans[g.name].location, tuple(top_level_ids(g)))
                  for g in groups)
    moves, plan = await plan_with_fixes(gateway.for_tenant(tenant), source_subscription_id=source,
                                        target_subscription_id=target, groups=moves, chosen=chosen,
                                        plan_id=request_id)
    return await workflow.submit(
        customer_tenant_id=tenant, source_subscription_id=source, target_subscription_id=target, groups=moves,
        requester=REQUESTER, requester_tenant_id=PARTNER_TENANT, source_name="Fabrikam PAYG",
        target_name="Fabrikam CSP", fix_steps=plan.steps, manual_fixes=plan.manual, request_id=request_id,
        checklist=post_move_checklist())

BeforeKill = Callable[[set[str]], Awaitable[None]]  # told the keys of the steps just started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def slow_writes(session: aiohttp.ClientSession, arm: str, ca: str, operations: Sequence[str]) -> None:
    """Each of these writes takes a quarter of a second in the sandbox, so every step is caught between its
    record and its end (on a busy machine too); the moves keep their own pace."""
    async with session.post(f"{arm}/_sandbox/faults", ssl=ssl.create_default_context(cafile=ca),
                            json={"latency_ms": 250, "operations": list(operations)}) as response:
        assert response.status == 200


async def approve_and_kill_at_every_step(session: aiohttp.ClientSession, workflow: Workflow, *, request_id: str,
                                         bot_args: Sequence[str], port: int, connector_url: str,
                                         before_kill: BeforeKill | None = None) -> tuple[int, set[str]]:
    """Approve once, then kill the bot whenever a step not seen before is recorded as started (and, with
    `before_kill`, once that has returned: e.g. when Azure took the step's call), until the final report is
    sent. Returns how many kills it took and the steps seen started."""
    kills = 0
    approved = False
    seen: set[str] = set()
    while True:
        async with python_process(*bot_args, ready="BOT_READY") as (bot, _):
            if not approved:  # the one approval
                click = teams.card_action(verbs.REQUEST_APPROVE, {"requestId": request_id}, connector_url,
                                          user=APPROVER)
                async with session.post(f"http://127.0.0.1:{port}/api/messages", json=click) as r:
                    assert r.status == 200
                approved = True
            current = None
            for _ in range(1200):
                current = await workflow.get(request_id)
                assert current is not None
                started = {r.key for r in current.step_records if r.status is StepStatus.STARTED}
                if started - seen or current.report_sent:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError(f"the move stalled: {current}")
            if current.report_sent:
                return kills, seen
            # A step is recorded as started and its call may be on its way: kill right there, or once
            # `before_kill` returned, or as soon as the bot starts a further step meanwhile (so no step runs
            # from start to end unkilled while the test waits, on a busy machine too).
            if before_kill is not None:
                started |= await _first_of(before_kill(started - seen),
                                           _further_step(workflow, request_id, known=started | seen))
            seen |= started
            os.killpg(bot.pid, signal.SIGKILL)
            await bot.wait()
            kills += 1


async def _further_step(workflow: Workflow, request_id: str, *, known: set[str]) -> set[str]:
    """Returns the keys of the steps recorded as started that are not `known`, once there are any."""
    while True:
        current = await workflow.get(request_id)
        assert current is not None
        started = {r.key for r in current.step_records if r.status is StepStatus.STARTED} - known
        if started:
            return started
        await asyncio.sleep(0.01)


async def _first_of(wait: Awaitable[None], watch: Awaitable[set[str]]) -> set[str]:
    """Waits for whichever ends first; the steps `watch` saw started (none when `wait` ended first)."""
    tasks = [asyncio.ensure_future(wait), asyncio.ensure_future(watch)]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # an error in either is the test's
    watched = tasks[1]
    return watched.result() if watched in done else set()


async def approve_and_kill_once_moving(session: aiohttp.ClientSession, workflow: Workflow, *, request_id: str,
                                       bot_args: Sequence[str], port: int, connector_url: str) -> None:
    """Start the bot, approve the request, and kill the bot with SIGKILL as soon as a move call is under way
    (its continuation token saved)."""
    async with python_process(*bot_args, ready="BOT_READY") as (bot, _):
        click = teams.card_action(verbs.REQUEST_APPROVE, {"requestId": request_id}, connector_url, user=APPROVER)
        async with session.post(f"http://127.0.0.1:{port}/api/messages", json=click) as response:
            assert response.status == 200
        for _ in range(600):
            current = await workflow.get(request_id)
            if current and any(b.token for b in current.batches):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the move never started")
        os.killpg(bot.pid, signal.SIGKILL)
        await bot.wait()


@dataclass(frozen=True)
class Run:
    """A sandbox process and what starting the bot against it takes."""

    arm: str
    ca: str
    port: int
    bot_args: tuple[str, ...]
    workflow: Workflow
    gateway: AzureGateway


@contextlib.asynccontextmanager
async def sandbox_and_bot(tmp_path: Path, scenario: dict[str, Any]) -> AsyncIterator[Run]:
    """A sandbox process on `scenario` (state kept on disk), the bot's arguments and port, the workflow on its
    store, and a gateway of the test's own; closed at the end."""
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    db = tmp_path / "bot.db"
    sandbox_args = ("-m", "sandbox", "--port", "0", "--scenario", str(path), "--state-dir", str(tmp_path / "arm"),
                    "--lro-seconds", "0.3", "--poll-interval", "0.05", "--no-throttle")
    async with python_process(*sandbox_args, ready="SANDBOX_READY") as (_, fields):
        arm, ca = fields["url"], fields["ca"]
        port = free_port()
        bot_args = ("-m", "tests.support.app_factory", "--port", str(port), "--storage", f"sqlite:///{db}",
                    "--arm", arm, "--ca", ca, "--approvers", APPROVER["aadObjectId"], "--tenants", PARTNER_TENANT,
                    "--lease-seconds", "1.0")
        store = SqliteDocumentStore(db)
        gateway = create_gateway(credential="sandbox", endpoint=arm, ca_bundle=ca, authority_host=arm,
                                 polling_interval=0.05)
        try:
            yield Run(arm, ca, port, bot_args, Workflow(store), gateway)
        finally:
            await gateway.close()
            await store.close()


def once_azure_took_it(session: aiohttp.ClientSession, arm: str, ca: str,
                       write_of: dict[str, str]) -> BeforeKill:
    """Kill only once Azure carried out the call of each step just started (`write_of`: step kind -> the
    sandbox's operation for its write), or after 3 s: the restarted bot must find it done rather than send
    it again (a job's stop and start are still being polled then)."""
    ssl_ctx = ssl.create_default_context(cafile=ca)
    counted: dict[str, int] = {}

    async def wait(started: set[str]) -> None:
        wanted = {write_of[k.split(":", 1)[0]] for k in started if k.split(":", 1)[0] in write_of}
        applied: dict[str, int] = {}
        for _ in range(300):
            async with session.get(f"{arm}/_sandbox/stats", ssl=ssl_ctx) as r:
                applied = (await r.json())["applied_by_operation"]
            if all(applied.get(op, 0) > counted.get(op, 0) for op in wanted):
                break
            await asyncio.sleep(0.01)
        counted.update({op: applied.get(op, 0) for op in wanted})

    return wait


async def killed_once_azure_took_each_step(run: Run, *, request_id: str, connector_url: str,
                                           write_of: dict[str, str]) -> tuple[int, set[str], dict[str, Any]]:
    """Approve `request_id` and kill the bot at every step once Azure carried out its write (`write_of`: step
    kind -> the sandbox's operation, each slowed down so the kill lands there): how many kills it took, the
    steps seen started, and the sandbox's counters at the end."""
    async with aiohttp.ClientSession() as session:
        await slow_writes(session, run.arm, run.ca, sorted(set(write_of.values())))
        kills, seen = await approve_and_kill_at_every_step(
            session, run.workflow, request_id=request_id, bot_args=run.bot_args, port=run.port,
            connector_url=connector_url, before_kill=once_azure_took_it(session, run.arm, run.ca, write_of))
        async with session.get(f"{run.arm}/_sandbox/stats", ssl=ssl.create_default_context(cafile=run.ca)) as r:
            return kills, seen, dict(await r.json())
