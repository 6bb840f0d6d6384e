"""Assessment benchmark: a generated tenant of 10,000 resources in 500 groups on the sandbox (its own process), 50 ms
latency, throttling on. Assess, then Azure's dry run of every group (target groups created on the way), against the
floor that ARM's throttle and the latency allow; then a one-group-at-a-time baseline on a sample of groups.

Also the peak memory of the assessment alone, in a fresh process as an assessment worker runs it (no tracemalloc,
which roughly doubles what it traces): `--resources 50000 --groups 2500` gives the figure for a 50,000-resource
subscription.

Run: .venv/bin/python -m tests.bench.bench_assessment [--resources N --groups M --baseline-groups K]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import resource
import ssl
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from migration.assessment.assess import assess, summarize
from migration.assessment.dryrun import run_dry_run, top_level_ids
from migration.azure.gateway import create_gateway
from migration.model import ArmError
from sandbox.generate import generate_scenario
from sandbox.throttle import GRAPH, READS, WRITES
from tests.bench.common import sandbox_process
from workers.assessment import WorkerSettings, assess_job

LATENCY = 0.050
LRO_SECONDS = 0.9  # how long the sandbox takes to answer one validation (answered by the first poll)
POLL_INTERVAL = 1.0  # Retry-After the sandbox announces; the SDK polls that often


@dataclass(frozen=True, slots=True)
class Run:
    wall: float
    stats: Mapping[str, Any]
    floor: float
    floor_note: str


_NOT_READS = {"ResourceGroups_CreateOrUpdate", "Resources_ValidateMoveResources", "Resources_MoveResources",
              "Providers_Register", "Resources"}  # writes and the Resource Graph query


def _bucket_floor(calls: int, capacity: int, per_second: float) -> float:
    return max(0.0, (calls - capacity) / per_second)


def _floor(stats: Mapping[str, Any], *, graph_pages: int, sources: int = 1) -> tuple[float, str]:
    """Least time ARM's token buckets and the latency allow for these calls (a true lower bound).

    Calls are counted as the buckets count them: a throttled attempt books the token its retry then uses,
    so 429 answers are not counted twice. Each path below is a chain of round trips and bucket waits that
    must happen one after the other; the floor is the longest.

    * Inventory: its Resource Graph pages are sequential (one round trip each); the other reads of the
      assessment run beside them and take fewer round trips.
    * After it, per group: get + put of the target group (when created), the validation's POST, its
      Retry-After, the poll that sees it done. The write buckets (target: creations, source: validations)
      and the target's read bucket (the gets) start full at the earliest after the inventory and a round
      trip or two; whichever drains last is followed by what remains of its group's chain. Counting the
      whole chain after the bucket is exact: what precedes the first call of that kind (one to three round
      trips) equals what follows the last one's, minus the same round trips.
    * The source's read bucket (assessment reads and polls) starts at the very beginning and nothing
      needs to follow its last call.
    """
    ops = stats["by_operation"]
    throttled = stats.get("throttled_by_operation") or {}

    def spent(op: str) -> int:
        return ops.get(op, 0) - throttled.get(op, 0)

    creates = spent("ResourceGroups_CreateOrUpdate")
    validates = spent("Resources_ValidateMoveResources")
    target_reads = spent("ResourceGroups_Get")  # the only reads on the target subscription after the assessment
    throttled_reads = sum(v for k, v in throttled.items() if k not in _NOT_READS)
    source_reads = stats["reads"] - throttled_reads - target_reads
    graph_calls = stats["graph"] - throttled.get("Resources", 0)
    inventory = max(graph_pages * LATENCY, LATENCY + _bucket_floor(graph_calls, GRAPH.capacity,
                                                                  GRAPH.refill_per_second))
    after_inventory = {
        "target writes": _bucket_floor(creates, WRITES.capacity, WRITES.refill_per_second),
        "source writes": _bucket_floor(validates, WRITES.capacity, WRITES.refill_per_second),
        "target reads": _bucket_floor(target_reads, READS.capacity, READS.refill_per_second),
    }
    # [get] [+ put] + validate + Retry-After + poll
    chain = (LATENCY if target_reads else 0) + (LATENCY if creates else 0) + LATENCY + POLL_INTERVAL + LATENCY
    worst = max(after_inventory, key=lambda k: after_inventory[k])
    dry_run_path = inventory + after_inventory[worst] + chain
    reads_path = LATENCY + _bucket_floor(source_reads, READS.capacity, READS.refill_per_second)
    if reads_path > dry_run_path:
        return reads_path, f"source reads bucket {reads_path:.2f}s (assessment reads and polls)"
    note = f"inventory {inventory:.2f}s + {worst} bucket {after_inventory[worst]:.1f}s + one validation {chain:.2f}s"
    return dry_run_path, note


def _print_run(title: str, run: Run) -> None:
    s = run.stats
    print(f"\n== {title}")
    print(f"wall time            {run.wall:8.2f} s")
    print(f"calls                graph {s['graph']}, reads {s['reads']} (of which LRO polls {s['lro_polls']}), "
          f"writes {s['writes']}")
    print("by operation         " + ", ".join(f"{k} {v}" for k, v in sorted(s["by_operation"].items())))
    print(f"429s received        {s['throttled_429']}"
          + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(s["throttled_by_operation"].items())) + ")"
             if s.get("throttled_by_operation") else ""))
    print(f"floor (throttle+lat) {run.floor:8.2f} s   [{run.floor_note}]")
    print(f"ratio wall/floor     {run.wall / run.floor:8.2f}")


def _sandbox_process(spec: str) -> contextlib.AbstractAsyncContextManager[tuple[str, str]]:
    return sandbox_process("--generate", spec, "--latency-ms", str(LATENCY * 1000), "--lro-seconds", str(LRO_SECONDS),
                           "--poll-interval", str(POLL_INTERVAL))


async def _admin(url: str, ca: str, path: str, method: str = "GET") -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=ca)
    async with aiohttp.ClientSession() as http, http.request(method, f"{url}/_sandbox/{path}", ssl=ctx) as resp:
        return dict(await resp.json())


async def main(resources: int, groups: int, baseline_groups: int, concurrency: int) -> None:
    spec = f"resources={resources},groups={groups}"
    scenario = generate_scenario(spec, seed=0)  # the same tenant the sandbox process generates
    source, target = (s["id"] for s in scenario["subscriptions"][:2])
    tenant = scenario["tenants"][0]["id"]
    pages = math.ceil(resources / 1000)
    tracemalloc.start()
    async with _sandbox_process(spec) as (url, ca):
        gw = create_gateway(credential="sandbox", endpoint=url, ca_bundle=ca, authority_host=url,
                            polling_interval=POLL_INTERVAL)
        try:
            await _admin(url, ca, "reset", "POST")
            t0 = time.perf_counter()
            a = await assess(gw, tenant_id=tenant, source_subscription_id=source, target_subscription_id=target)
            t_assess = time.perf_counter() - t0
            names = [g.name for g in a.groups]
            checked = await run_dry_run(gw.for_tenant(tenant), a, groups=names, create_target_groups=True,
                                        concurrency=concurrency)
            wall = time.perf_counter() - t0
            stats = await _admin(url, ca, "stats")
        finally:
            await gw.close()
        alone = await asyncio.to_thread(_assessment_alone, url, ca, tenant, source, target)
    floor, note = _floor(stats, graph_pages=pages)
    ours = Run(wall, stats, floor, note)
    summary = summarize(checked)
    valid = sum(1 for g in checked.groups if g.dry_run and g.dry_run.valid)
    print(f"Tenant: {a.resource_count} resources in {len(a.groups)} groups; latency {LATENCY * 1000:.0f} ms; "
          f"throttling on; a validation takes {LRO_SECONDS:.1f} s; {concurrency} validations in flight")
    print(f"Assessment: {t_assess:.2f} s; groups by verdict "
          + ", ".join(f"{k.value} {v}" for k, v in summary.groups_by_verdict.items())
          + f"; Azure accepted {valid} of {len(names)} groups; disagreements {summary.disagreements}")
    _print_run("Concurrent (assess + create target groups + validate every group)", ours)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory          {peak / 2**20:8.1f} MiB traced Python, "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB max RSS (client process)")
    print(f"assessment worker    {alone['rss']:8.0f} MiB peak RSS: one assessment with its report and saved summary "
          f"in a fresh process, as a worker runs it ({alone['start']:.0f} MiB after imports; {alone['seconds']:.1f} s)")

    # Baseline: what scripting the portal's steps does, one group at a time, on a fresh sandbox.
    sample = names[:baseline_groups]
    async with _sandbox_process(spec) as (url, ca):
        gw = create_gateway(credential="sandbox", endpoint=url, ca_bundle=ca, authority_host=url,
                            polling_interval=POLL_INTERVAL)
        try:
            await _admin(url, ca, "reset", "POST")
            t0 = time.perf_counter()
            a = await assess(gw, tenant_id=tenant, source_subscription_id=source, target_subscription_id=target)
            b_assess = time.perf_counter() - t0
            azure = gw.for_tenant(tenant)
            for g in (x for x in a.groups if x.name in set(sample)):
                await azure.groups.ensure_group(target, g.name, location="westeurope")
                try:
                    op = await azure.moves.begin_validate(
                        source, g.name, resource_ids=top_level_ids(g),
                        target_group_id=f"/subscriptions/{target}/resourceGroups/{g.name}")
                    await op.wait()
                except ArmError:
                    pass  # Azure's refusal is an answer too
            bwall = time.perf_counter() - t0
            bstats = await _admin(url, ca, "stats")
        finally:
            await gw.close()
    bfloor, bnote = _floor(bstats, graph_pages=pages)
    _print_run(f"Sequential baseline (one group at a time, first {len(sample)} groups)", Run(bwall, bstats, bfloor,
                                                                                               bnote))
    per_group = (bwall - b_assess) / max(1, len(sample))
    whole = b_assess + per_group * len(names)
    print(f"baseline extrapolated to all {len(names)} groups: ~{whole:.0f} s; ratio to the floor of the concurrent "
          f"run {whole / ours.floor:.1f} (concurrent: {wall / ours.floor:.2f})")


def _assessment_alone(url: str, ca: str, tenant: str, source: str, target: str) -> dict[str, float]:
    """Assess once in a child process (nothing else in it, no tracemalloc), as a worker does and read its peak RSS."""
    done = subprocess.run([sys.executable, "-m", "tests.bench.bench_assessment", "--assess-only", url, ca, tenant,
                           source, target], capture_output=True, text=True, check=True, timeout=900)
    return {k: float(v) for k, v in (part.split("=") for part in done.stdout.split()[-3:])}


async def _assess_only(url: str, ca: str, tenant: str, source: str, target: str) -> None:
    """The worker's job itself (assess, write the report and the saved assessment), on a store of its own."""
    # Linux keeps the parent's peak RSS across fork and exec: start this process's own count from here.
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    start = _peak_rss_mib()
    with tempfile.TemporaryDirectory() as tmp:
        settings = WorkerSettings(gateway={"credential": "sandbox", "endpoint": url, "ca_bundle": ca,
                                           "authority_host": url}, storage_url=f"sqlite:///{tmp}/bot.db")
        t0 = time.perf_counter()
        await assess_job(settings, 1, tenant, source, target, datetime.now(UTC))
        seconds = time.perf_counter() - t0
    print(f"start={start:.1f} rss={_peak_rss_mib():.1f} seconds={seconds:.2f}")


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024


if __name__ == "__main__":
    if sys.argv[1:2] == ["--assess-only"]:
        asyncio.run(_assess_only(*sys.argv[2:7]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--baseline-groups", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.resources, args.groups, args.baseline_groups, args.concurrency))
