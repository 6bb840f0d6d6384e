"""Fairness of the assessment queue: one engineer asks for 50 assessments at once (50 subscriptions of
customer A), another asks for one of customer B's just after. Printed: how long the other's ask waited
and took, against how long the burst took, a run's usual length, and how many of the burst the default
bounds refuse at once (with the time they say to try again).

The sandbox runs as its own process (customer A with the burst's subscriptions, customer B with one, 20 ms
latency); the assessments run in the real worker pool (two processes) on SQLite.

Run: .venv/bin/python -m tests.bench.bench_fairness [--asks 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from migration.application.assessment_queue import AssessmentsBusy, QueueLimits
from migration.application.assessments import SubscriptionAssessments
from storage import SqliteDocumentStore
from storage.assessments import StoredAssessments
from tests.bench.common import sandbox_process
from workers.assessment import AssessmentWorkers, WorkerSettings

ALPHA = "a1a1a1a1-0000-4000-8000-0000000000a1"
BETA = "b2b2b2b2-0000-4000-8000-0000000000b2"
ALEX = "00000000-0000-0000-0000-00000000a001"
DIEGO = "00000000-0000-0000-0000-00000000b001"
LATENCY_MS = 20


def _subscription(tenant: str, n: int) -> dict[str, Any]:
    sid = f"{tenant[:8]}-0000-4000-8000-{n:012d}"
    groups = [{"name": f"rg-{g}", "location": "westeurope",
               "resources": [{"name": f"st{n}x{g}x{i}", "type": "Microsoft.Storage/storageAccounts"}
                             for i in range(3)]} for g in range(2)]
    return {"id": sid, "tenantId": tenant, "displayName": f"PAYG {n}", "quotaId": "PayAsYouGo_2014-09-01",
            "resourceGroups": groups}


def scenario(asks: int) -> dict[str, Any]:
    tenants = [{"id": t, "displayName": name, "domains": [f"{name.lower()}.onmicrosoft.com"], "partnerAccess": True}
               for t, name in ((ALPHA, "Alpha"), (BETA, "Beta"))]
    subscriptions = [_subscription(ALPHA, n) for n in range(1, asks + 1)] + [_subscription(BETA, 1)]
    return {"description": "One customer with a burst's subscriptions, another with one.", "tenants": tenants,
            "subscriptions": subscriptions}


async def one(asks: int = 50, *, workers: int = 2) -> dict[str, float]:
    """The burst and the other's ask; returns the figures it prints."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.json"
        path.write_text(json.dumps(scenario(asks)), encoding="utf-8")
        async with sandbox_process("--scenario", str(path), "--latency-ms", str(LATENCY_MS)) as (url, ca):
            spec = {"credential": "sandbox", "endpoint": url, "ca_bundle": ca, "authority_host": url,
                    "polling_interval": 0.1}
            pool = AssessmentWorkers(WorkerSettings(spec, f"sqlite:///{Path(tmp) / 'bot.db'}"), processes=workers)
            store = SqliteDocumentStore(Path(tmp) / "bot.db")
            try:
                return await _run(pool, store, asks, workers)
            finally:
                await pool.close()
                await store.close()


async def _run(pool: AssessmentWorkers, store: SqliteDocumentStore, asks: int, workers: int) -> dict[str, float]:
    latest = StoredAssessments(store)
    sources = [_subscription(ALPHA, n)["id"] for n in range(1, asks + 1)]
    # The default bounds: how many of the burst are refused at once, and when they are told to come back.
    bounded = SubscriptionAssessments(pool=pool, latest=latest, limits=QueueLimits(running=workers))
    refusals: list[AssessmentsBusy] = []
    tasks = [asyncio.create_task(bounded.assess(ALPHA, s, by=ALEX)) for s in sources]
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, AssessmentsBusy):
            refusals.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome

    # Bounds wide enough for the whole burst: what the other customer's one ask waits.
    wide = SubscriptionAssessments(pool=pool, latest=latest,
                                   limits=QueueLimits(running=workers, queued=asks, per_customer=asks, per_user=asks))
    started = time.perf_counter()
    ended: dict[str, float] = {}

    async def ask(tenant: str, source: str, by: str) -> None:
        await wide.assess(tenant, source, by=by)
        ended[source] = time.perf_counter() - started

    burst = [asyncio.create_task(ask(ALPHA, s, ALEX)) for s in sources]
    await asyncio.sleep(0.05)  # the burst is queued first
    other = _subscription(BETA, 1)["id"]
    asked = time.perf_counter() - started
    await asyncio.gather(*burst, ask(BETA, other, DIEGO))
    runs = sorted(ended[s] for s in sources)
    figures = {"asks": float(asks), "refused": float(len(refusals)),
               "retry_after": min((r.retry_after.total_seconds() for r in refusals), default=0.0),
               "other_wait": ended[other] - asked, "burst_wall": runs[-1],
               "per_run": runs[-1] * workers / asks,
               "ahead_of_other": float(sum(1 for t in runs if asked < t < ended[other]))}
    print(f"{asks} asks by one engineer of customer A, then 1 by another of customer B; {workers} workers, "
          f"{LATENCY_MS} ms latency")
    print(f"default bounds       {figures['refused']:.0f} of the burst refused at once; told to try again in "
          f"{figures['retry_after']:.0f} s at the soonest")
    print(f"burst                {figures['burst_wall']:8.2f} s until the last of the {asks} ended "
          f"(~{figures['per_run']:.2f} s a run per worker)")
    print(f"the other's one ask  {figures['other_wait']:8.2f} s from asking to its result; "
          f"{figures['ahead_of_other']:.0f} of the burst ended meanwhile")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--asks", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(one(args.asks, workers=args.workers))
