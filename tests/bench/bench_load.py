"""Load: simulated Teams users chatting and clicking against one bot process.

The bot runs as its own process (`app.py`, local mode, embedded sandbox, SQLite in a temporary folder);
this process plays both Teams (POSTs to /api/messages) and the Bot Connector the bot replies to (its
`serviceUrl`). Each user has its own conversation, so a reply is matched to its request by conversation id.

Figures: reply latency (POST until the connector receives the first message of the answer; typing
indicators are not answers), card click latency (HTTP time of the `adaptiveCard/action` invoke, whose
body is the new card), errors, peak memory. Exits 1 on errors (non-2xx, timeouts, lost or failed replies,
errors in the bot's log); slow answers are reported, not failed.

    python -m tests.bench.bench_load [--users 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.generate import generate_scenario
from sandbox.state import load_scenario
from tests.bench.common import ROOT, BotProcess, cpu_seconds, mib, ms, peak_rss_kib, percentile, print_table
from tests.support.teams import card_action, installed, message

CLICK_BUDGET = 0.5  # seconds: the aim for card clicks at p99 (Teams shows an error after a few seconds)
CARD = "application/vnd.microsoft.card.adaptive"
SANDBOX_TENANT = "contoso.onmicrosoft.com"
APOLOGY = "something went wrong on my side"  # the adapter's on_error text: the turn raised
EXAMPLES_KEPT = 8


# ---------------------------------------------------------------------------------------------- mix


@dataclass(frozen=True)
class Action:
    kind: str  # the row in the results table
    weight: int
    expect: str  # how a correct answer starts ("card: <first text>" or "text: <text>"); a warning if not
    text: str | None = None  # a chat message, or
    verb: str | None = None  # a card click
    data: dict[str, Any] = field(default_factory=dict)


def _mix(rng: random.Random) -> list[Action]:
    """What users do, weighted. Values that vary per request are drawn here, so nothing is cached."""
    unknown_domain = f"nosuch-{rng.randrange(10**6):06d}.onmicrosoft.com"
    chatter = rng.choice(("hello", "thanks!", "what can you do?", "good morning", "is the move done yet"))
    return [
        Action("reply: help", 12, "card: CSP migration bot", text="help"),
        Action("reply: unknown text", 8, "text: I don't know the command", text=chatter),
        Action("reply: attach contoso", 12, f"card: Attached: {SANDBOX_TENANT}", text=f"attach {SANDBOX_TENANT}"),
        Action("reply: attach unknown", 8, "card: Tenant not found", text=f"attach {unknown_domain}"),
        Action("click: help.show", 15, "card: CSP migration bot", verb="help.show"),
        Action(
            "click: attach.check",
            15,
            f"card: Attached: {SANDBOX_TENANT}",
            verb="attach.check",
            data={"tenant": SANDBOX_TENANT},
        ),
        Action("click: unknown verb", 10, "card: This button no longer works", verb="report.legacyexport"),
        Action(
            "click: assessment.summary",
            10,
            "card: Assessment not found",
            verb="assessment.summary",
            data={"tenantId": str(uuid.UUID(int=rng.getrandbits(128))), "subscriptionId": str(uuid.uuid4())},
        ),
    ]


WELCOME = Action("reply: welcome (install)", 0, "card: CSP migration bot")


# ---------------------------------------------------------------------------------------------- connector


Arrival = tuple[float, dict[str, Any]]


class Connector:
    """Stands in for the Bot Connector: stamps each activity the bot sends and files it by conversation."""

    def __init__(self) -> None:
        self.url = ""
        self.inboxes: dict[str, asyncio.Queue[Arrival]] = {}
        self.stray = 0  # activities for conversations no user owns
        self.updates = 0  # PUTs (card updates); the users' mix expects none, assessments make them
        self.updated: dict[str, asyncio.Queue[Arrival]] = {}  # card updates, for conversations that wait for them
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    def inbox(self, conversation_id: str) -> asyncio.Queue[Arrival]:
        return self.inboxes.setdefault(conversation_id, asyncio.Queue())

    async def _post(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        body = await request.json()
        queue = self.inboxes.get(request.match_info["conversation"])
        if queue is None:
            self.stray += 1
        else:
            queue.put_nowait((arrived, body))
        return web.json_response({"id": f"activity-{next(self._ids)}"})

    async def _put(self, request: web.Request) -> web.Response:
        self.updates += 1
        queue = self.updated.get(request.match_info["conversation"])
        if queue is not None:
            queue.put_nowait((time.perf_counter(), await request.json()))
        return web.json_response({"id": request.match_info["activity"]})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# ---------------------------------------------------------------------------------------------- figures


@dataclass
class KindStats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unexpected: int = 0
    answers: Counter[str] = field(default_factory=Counter)


@dataclass
class Stats:
    kinds: dict[str, KindStats] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # first few errors in full, to report precisely
    surprises: dict[str, str] = field(default_factory=dict)  # kind -> first unexpected answer
    typing: int = 0
    late: int = 0  # activities that arrived after their turn was measured

    def kind(self, name: str) -> KindStats:
        return self.kinds.setdefault(name, KindStats())

    def ok(self, action: Action, latency: float, answer: str) -> None:
        stats = self.kind(action.kind)
        stats.latencies.append(latency)
        # Word joiners keep ids unbroken on a card; a reader does not see them, nor does the comparison.
        answer = answer.replace("\u2060", "")
        stats.answers[answer[:70]] += 1
        if not answer.startswith(action.expect):
            self.surprise(action, answer)

    def surprise(self, action: Action, answer: str) -> None:
        self.kind(action.kind).unexpected += 1
        self.surprises.setdefault(action.kind, answer[:160])

    def error(self, action: Action, reason: str, request: dict[str, Any], detail: str = "") -> None:
        self.kind(action.kind).errors += 1
        key = f"{action.kind}: {reason}"
        self.errors[key] += 1
        if self.errors[key] == 1 and len(self.examples) < EXAMPLES_KEPT:  # one example of each kind
            summary = {k: request.get(k) for k in ("type", "name", "text", "value") if request.get(k) is not None}
            self.examples.append(
                f"{action.kind}: {reason}\n  request:  {json.dumps(summary)[:400]}\n  response: {detail[:600]}"
            )


def card_title(card: dict[str, Any]) -> str:
    """The first text of a card, depth first: its heading, which tells one card from another."""
    stack: list[Any] = [card.get("body") or []]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            if item.get("type") == "TextBlock" and isinstance(item.get("text"), str):
                return item["text"]
            stack.extend(reversed([v for v in item.values() if isinstance(v, list | dict)]))
    return "(no text)"


def describe(activity: dict[str, Any]) -> str:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == CARD and isinstance(attachment.get("content"), dict):
            return "card: " + card_title(attachment["content"])
    return "text: " + str(activity.get("text") or "")


# ---------------------------------------------------------------------------------------------- users


@dataclass
class Run:
    bot_url: str
    connector: Connector
    session: aiohttp.ClientSession
    stats: Stats
    end: float  # monotonic time after which users start nothing new
    think: float
    timeout: float


class User:
    def __init__(self, index: int, run: Run, seed: int) -> None:
        self.run = run
        self.rng = random.Random(seed * 1000 + index)
        self.conversation = f"a:bench-{seed}-{index:03d}-{uuid.uuid4().hex[:8]}"
        self.account = {
            "id": f"29:bench-user-{index:03d}",
            "name": f"Bench User {index}",
            "aadObjectId": str(uuid.UUID(int=0xB0000000_0000_0000_0000_000000000000 + index)),
        }
        self.inbox = run.connector.inbox(self.conversation)
        self._cards = itertools.count(1)

    async def live(self, ramp: float) -> None:
        # Users arrive over the first seconds, as people do, rather than all in the same millisecond.
        await asyncio.sleep(self.rng.uniform(0, ramp))
        await self.install()
        while time.monotonic() < self.run.end:
            mix = _mix(self.rng)
            action = self.rng.choices(mix, weights=[a.weight for a in mix])[0]
            if action.verb is not None:
                await self.click(action)
            else:
                await self.chat(action, message(action.text or "", self.run.connector.url, **self._who()))
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.run.think)

    def _who(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation, "user": self.account}

    def _drain(self) -> None:
        while not self.inbox.empty():
            self.inbox.get_nowait()
            self.run.stats.late += 1

    async def _post(self, action: Action, activity: dict[str, Any]) -> tuple[int, str] | None:
        """POST to the bot; None (and an error counted) when there is no HTTP answer at all."""
        try:
            async with self.run.session.post(f"{self.run.bot_url}/api/messages", json=activity) as response:
                return response.status, await response.text()
        except TimeoutError:
            self.run.stats.error(action, f"no HTTP answer within {self.run.timeout:.0f} s", activity)
        except aiohttp.ClientError as exc:
            self.run.stats.error(action, f"connection error ({type(exc).__name__})", activity, str(exc))
        return None

    async def install(self) -> None:
        install, update = installed(self.run.connector.url, conversation_id=self.conversation)
        for activity in (install, update):
            activity["from"] = dict(self.account)
        await self.chat(WELCOME, install)
        # Teams follows with conversationUpdate; the bot greets once per chat, so nothing more may arrive.
        answered = await self._post(WELCOME, update)
        if answered is not None and answered[0] >= 300:
            self.run.stats.error(WELCOME, f"HTTP {answered[0]} (conversationUpdate)", update, answered[1])
        if not self.inbox.empty():
            self.run.stats.surprise(WELCOME, "a second welcome in the same chat, after conversationUpdate")

    async def chat(self, action: Action, activity: dict[str, Any]) -> None:
        self._drain()
        started = time.perf_counter()
        answered = await self._post(action, activity)
        if answered is None:
            return
        status, body = answered
        if status >= 300:
            self.run.stats.error(action, f"HTTP {status}", activity, body)
            return
        # The bot sends its replies before it answers the POST, so they are normally here already.
        deadline = started + self.run.timeout
        while True:
            try:
                arrived, reply = await asyncio.wait_for(self.inbox.get(), max(deadline - time.perf_counter(), 0.001))
            except TimeoutError:
                self.run.stats.error(action, f"no reply within {self.run.timeout:.0f} s", activity, f"HTTP {status}")
                return
            if reply.get("type") == "typing":
                self.run.stats.typing += 1
                continue
            break
        answer = describe(reply)
        if APOLOGY in answer:
            self.run.stats.error(action, "the turn failed (apology reply)", activity, answer)
            return
        self.run.stats.ok(action, arrived - started, answer)

    async def click(self, action: Action) -> None:
        self._drain()
        activity = card_action(
            action.verb or "",
            dict(action.data),
            self.run.connector.url,
            reply_to_id=f"activity-card-{next(self._cards)}",
            **self._who(),
        )
        started = time.perf_counter()
        answered = await self._post(action, activity)
        if answered is None:
            return
        latency = time.perf_counter() - started
        status, body = answered
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        card = parsed.get("value") if isinstance(parsed, dict) else None
        is_card = isinstance(card, dict) and card.get("type") == "AdaptiveCard" and parsed.get("type") == CARD
        if status != 200 or not is_card:
            self.run.stats.error(action, f"HTTP {status} without a card", activity, body)
            return
        self.run.stats.ok(action, latency, "card: " + card_title(card))


class Assessor:
    """An engineer assessing the large generated subscription again and again: `assess <tenant> <sub>`, then
    waiting for the progress card to be replaced by the summary."""

    def __init__(self, index: int, run: Run, tenant: str, subscription: str) -> None:
        self.run, self.tenant, self.subscription = run, tenant, subscription
        self.conversation = f"a:bench-assess-{index:02d}-{uuid.uuid4().hex[:8]}"
        self.account = {"id": f"29:bench-assessor-{index:02d}", "name": f"Bench Assessor {index}",
                        "aadObjectId": str(uuid.UUID(int=0xA5000000_0000_0000_0000_000000000000 + index))}
        run.connector.inbox(self.conversation)
        self.updates = run.connector.updated.setdefault(self.conversation, asyncio.Queue())
        self.took: list[float] = []
        self.failed: list[str] = []

    async def live(self, ramp: float, per_assessment: float) -> None:
        await asyncio.sleep(ramp)
        while time.monotonic() + per_assessment * 0.5 < self.run.end:
            await self.assess(per_assessment * 4)

    async def assess(self, timeout: float) -> None:
        text = f"assess {self.tenant} {self.subscription}"
        activity = message(text, self.run.connector.url, conversation_id=self.conversation, user=self.account)
        started = time.perf_counter()
        async with self.run.session.post(f"{self.run.bot_url}/api/messages", json=activity) as response:
            await response.read()
            if response.status >= 300:
                self.failed.append(f"HTTP {response.status}")
                return
        while True:
            try:
                arrived, update = await asyncio.wait_for(self.updates.get(), timeout)
            except TimeoutError:
                self.failed.append(f"no summary within {timeout:.0f} s")
                return
            shown = describe(update)
            if "Assessment:" in shown:
                self.took.append(arrived - started)
                return
            if "went wrong" in shown.lower() or "not found" in shown.lower():
                self.failed.append(shown[:120])
                return


def _children(pid: int) -> list[int]:
    """The processes `pid` started (its assessment workers), from /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
            return [int(p) for p in listing.read().split()]
    except OSError:
        return []


def _combined_scenario(resources: int) -> tuple[dict[str, Any], str, str]:
    """The contoso scenario the users chat about, plus a generated tenant of `resources` to assess."""
    scenario = load_scenario("contoso")
    generated = generate_scenario(f"resources={resources},groups={max(1, resources // 20)}", seed=7)
    scenario["tenants"] = [*scenario["tenants"], *generated["tenants"]]
    scenario["subscriptions"] = [*scenario["subscriptions"], *generated["subscriptions"]]
    return scenario, generated["tenants"][0]["id"], generated["subscriptions"][0]["id"]


# ---------------------------------------------------------------------------------------------- report


_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (\w+) ")
_IDS = re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


@dataclass
class LoggedError:
    count: int
    first: list[str]  # the first record of this kind, with its traceback


def bot_log_errors(log: str) -> dict[str, LoggedError]:
    """ERROR / CRITICAL records of the bot's log, grouped by message and exception (ids blanked)."""
    records: list[list[str]] = []
    current: list[str] | None = None
    for line in log.splitlines():
        level = _LOG_LINE.match(line)
        if level:
            current = [line] if level.group(1) in ("ERROR", "CRITICAL") else None
            if current is not None:
                records.append(current)
        elif current is not None:
            current.append(line)
    grouped: dict[str, LoggedError] = {}
    for record in records:
        headline = _IDS.sub("<id>", record[0].split(" ", 2)[2])
        exception = next((line for line in reversed(record) if line and not line.startswith(" ")), "")
        key = headline if exception is record[0] else f"{headline} / {exception}"
        if key in grouped:
            grouped[key].count += 1
        else:
            grouped[key] = LoggedError(1, record)
    return grouped


def report(stats: Stats, connector: Connector, elapsed: float) -> int:
    """Prints the figures; returns the number of errors."""
    rows: list[list[object]] = []

    def row(label: str, ks: KindStats) -> None:
        values = ks.latencies
        rows.append(
            [
                label,
                len(values),
                ms(percentile(values, 50)),
                ms(percentile(values, 99)),
                ms(max(values) if values else float("nan")),
                ks.errors,
                ks.unexpected,
            ]
        )

    replies, clicks = KindStats(), KindStats()
    for name in sorted(stats.kinds, key=lambda n: (not n.startswith("reply"), n)):
        ks = stats.kinds[name]
        row(name, ks)
        total = clicks if name.startswith("click") else replies
        total.latencies += ks.latencies
        total.errors += ks.errors
        total.unexpected += ks.unexpected
    row("ALL replies", replies)
    row("ALL clicks", clicks)
    print()
    print_table(["kind", "count", "p50", "p99", "max", "errors", "unexpected"], rows)

    requests = len(replies.latencies) + len(clicks.latencies) + sum(stats.errors.values())
    print(f"\nthroughput: {requests / elapsed:.1f} actions/s over {elapsed:.0f} s")
    click_p99 = percentile(clicks.latencies, 99)
    if clicks.latencies:
        verdict = "within" if click_p99 <= CLICK_BUDGET else "OVER"
        print(f"card clicks p99 / {CLICK_BUDGET * 1000:.0f} ms = {click_p99 / CLICK_BUDGET:.2f} ({verdict} the aim)")
    print(
        f"typing indicators: {stats.typing}; late activities: {stats.late}; card updates (PUT): "
        f"{connector.updates}; activities for unknown conversations: {connector.stray}"
    )

    if stats.surprises:
        print("\nunexpected answers (the bot answered, but not what a wired bot says; not counted as errors):")
        for kind, answer in stats.surprises.items():
            print(f"  {kind}: {answer!r}")
    errors = sum(stats.errors.values())
    if errors:
        print(f"\nERRORS: {errors}")
        for reason, count in stats.errors.most_common():
            print(f"  {count:5d}  {reason}")
        print("\nan example of each, in full:")
        for example in stats.examples:
            print("  " + example.replace("\n", "\n  "))
    return errors


# ---------------------------------------------------------------------------------------------- main


async def _sandbox(path: Path) -> tuple[asyncio.subprocess.Process, str, str]:
    """The sandbox in its own process (as Azure would be): its CPU is not the bot's."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--scenario", str(path), "--no-throttle", "--lro-seconds", "1",
        stdout=asyncio.subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 120)).decode()
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    return proc, fields["url"], fields["ca"]


async def load(args: argparse.Namespace, data_dir: Path) -> int:
    connector = Connector()
    await connector.start()
    env = dict(item.split("=", 1) for item in args.env)
    sandbox: asyncio.subprocess.Process | None = None
    tenant = subscription = ""
    if args.assessments:
        scenario, tenant, subscription = _combined_scenario(args.assessment_resources)
        path = data_dir / "scenario.json"
        path.write_text(json.dumps(scenario))
        sandbox, url, ca = await _sandbox(path)
        env.update({"AZURE_CREDENTIAL": "sandbox", "ARM_ENDPOINT": url, "ARM_CA_BUNDLE": ca,
                    "AZURE_AUTHORITY_HOST": url})
    bot = BotProcess(data_dir, env=env)
    errors = 0
    try:
        bot.start()
        print(f"bot: pid {bot.pid} on {bot.url}; data in {data_dir}", flush=True)
        try:
            took = await asyncio.to_thread(bot.wait_ready, 90.0)
        except RuntimeError as failure:
            print(f"ERROR: {failure}")
            return 1
        started_rss = peak_rss_kib(bot.pid)
        print(f"bot ready in {took:.1f} s (peak RSS after start-up: {mib(started_rss)})", flush=True)
        phases = [("users alone", 0)]
        if args.assessments:
            phases.append((f"users while {args.assessments} engineers each assess a subscription of "
                           f"{args.assessment_resources:,} resources, again and again", args.assessments))
        for number, (title, assessing) in enumerate(phases):
            print(f"\n== {title}: {args.users} users for {args.seconds:.0f} s, think time ~{args.think:.1f} s",
                  flush=True)
            stats = Stats()
            timeout = aiohttp.ClientTimeout(total=max(args.timeout, 600.0 if assessing else 0.0))
            # One connection per user, as each Teams conversation would be served.
            http = aiohttp.TCPConnector(limit=args.users + assessing + 10)
            async with aiohttp.ClientSession(timeout=timeout, connector=http) as session:
                cpu_before = cpu_seconds(bot.pid)
                began = time.monotonic()
                run = Run(bot.url, connector, session, stats, began + args.seconds, args.think, args.timeout)
                users = [User(i, run, args.seed * 10 + number) for i in range(args.users)]
                assessors = [Assessor(i, run, tenant, subscription) for i in range(assessing)]
                await asyncio.gather(*(u.live(ramp=min(3.0, args.seconds / 10)) for u in users),
                                     *(a.live(ramp=i * 0.2, per_assessment=30.0) for i, a in enumerate(assessors)))
                elapsed = time.monotonic() - began
                cpu_after = cpu_seconds(bot.pid)
            errors += report(stats, connector, elapsed)
            if assessors:
                took_all = [t for a in assessors for t in a.took]
                failed = [f for a in assessors for f in a.failed]
                print(f"assessments: {len(took_all)} finished (p50 {percentile(took_all, 50):.1f} s, max "
                      f"{max(took_all, default=float('nan')):.1f} s), {len(failed)} failed"
                      + (f": {failed[:3]}" if failed else ""))
                errors += len(failed)
            if cpu_before is not None and cpu_after is not None:
                print(
                    f"bot CPU: {cpu_after - cpu_before:.1f} s in {elapsed:.0f} s "
                    f"({(cpu_after - cpu_before) / elapsed * 100:.0f}% of one core)"
                )
            workers = [(child, peak_rss_kib(child)) for child in _children(bot.pid)]
            shown = ", ".join(f"{mib(kib)}" for _, kib in workers if kib)
            print(f"bot peak RSS so far: {mib(peak_rss_kib(bot.pid))} (web process)"
                  + (f"; its worker processes: {shown}" if shown else ""), flush=True)

        bot_peak = peak_rss_kib(bot.pid)
        alive = bot.alive()
        print(f"\npeak RSS: bot {mib(bot_peak)} (after start-up {mib(started_rss)}), benchmark {mib(peak_rss_kib())}")
        if not alive:
            print("ERROR: the bot process exited during the load")
            errors += 1
    finally:
        code = bot.stop()
        await connector.stop()
        if sandbox is not None and sandbox.returncode is None:
            sandbox.terminate()
            await sandbox.wait()

    logged = bot_log_errors(bot.log_text())
    if logged:
        print(f"\nERROR: the bot logged {sum(e.count for e in logged.values())} error(s):")
        for key, entry in logged.items():
            print(f"  {entry.count:5d}  {key}")
        for entry in list(logged.values())[:3]:
            # The frames nearest the raise say the most; the SDK's outer frames are the same every time.
            shown = entry.first if len(entry.first) <= 24 else [entry.first[0], "  ...", *entry.first[-22:]]
            print("\n  " + "\n  ".join(shown))
    if code not in (0, None, -2):
        print(f"note: the bot exited with {code} on SIGINT")
    failed = errors or logged
    summary = f"{errors} failed request(s), {sum(e.count for e in logged.values())} error(s) in the bot's log"
    print(f"\nresult: {'FAILED: ' + summary if failed else 'no errors'}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users, one conversation each (50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long users keep acting (60)")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's actions, s (1.0)")
    parser.add_argument("--timeout", type=float, default=10.0, help="a request or reply slower than this is lost (10)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the users' choices (1)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a bot setting, e.g. ARM_ENDPOINT=... to use a sandbox started with faults or latency (repeatable)",
    )
    parser.add_argument("--assessments", type=int, default=10,
                        help="a second run with this many engineers assessing a large subscription meanwhile (10)")
    parser.add_argument("--assessment-resources", type=int, default=10_000,
                        help="resources in the subscription they assess (10000)")
    parser.add_argument("--keep", action="store_true", help="keep the bot's database and log afterwards")
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0 or args.think < 0 or args.timeout <= 0:
        parser.error("--users, --seconds and --timeout must be positive, --think not negative")
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")
    print(f"== load: {args.users} users, {args.seconds:.0f} s ==", flush=True)
    if args.keep:
        return asyncio.run(load(args, Path(tempfile.mkdtemp(prefix="bench-load-"))))
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        return asyncio.run(load(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
