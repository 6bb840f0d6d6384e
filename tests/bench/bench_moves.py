"""Move benchmark: one approved request of N resource groups (3 storage accounts each), every move taking
30 s on the sandbox (its own process), throttling on. The runner validates and moves the groups side by
side; the figure is wall time / floor, where the floor is the longest single move plus the time ARM's write
throttle forces (writes beyond the bucket, at its refill rate, per subscription). Then the
one-group-at-a-time baseline (the runner limited to one group in flight) on a sample, extrapolated.
Time and peak memory are printed for 50, 100 and 200 groups, each run in its own process.

Run: .venv/bin/python -m tests.bench.bench_moves [--sizes 50,100,200 --move-seconds 30 --baseline-groups 3]
     one size alone (what the parent runs): .venv/bin/python -m tests.bench.bench_moves --one 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import ssl
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from migration.azure.gateway import create_gateway
from migration.execution.runner import MoveRunner, RunnerConfig
from migration.execution.workflow import Workflow
from migration.model import GroupMove, Person, RequestState
from migration.model.records import Actor
from sandbox.throttle import WRITES
from storage import SqliteDocumentStore
from tests.bench.common import ROOT, peak_rss_kib, print_table, sandbox_process

TENANT = "5a5a5a5a-0000-4000-8000-000000000001"
SOURCE = "5a5a5a5a-0000-4000-8000-0000000000a1"
TARGET = "5a5a5a5a-0000-4000-8000-0000000000b2"
PER_GROUP = 3
VALIDATE_SECONDS = 2.0  # a validation job on the sandbox
POLL_INTERVAL = 5.0  # the Retry-After the sandbox announces on a running job
REQUESTER = Person("00000000-0000-0000-0000-00000000b001", "Bench Engineer", "29:bench-engineer")
APPROVER = Actor(Person("00000000-0000-0000-0000-00000000b002", "Bench Approver", "29:bench-approver"),
                 "bench-tenant", may_approve=True)
SOURCE_WRITES = ("Resources_ValidateMoveResources", "Resources_MoveResources")
TARGET_WRITES = ("ResourceGroups_CreateOrUpdate",)


def scenario(groups: int) -> dict[str, Any]:
    return {
        "description": f"Move benchmark: {groups} groups of {PER_GROUP} storage accounts.",
        "tenants": [{"id": TENANT, "displayName": "Bench", "domains": ["bench.onmicrosoft.com"],
                     "partnerAccess": True}],
        "subscriptions": [
            {"id": SOURCE, "tenantId": TENANT, "displayName": "Bench PAYG", "quotaId": "PayAsYouGo_2014-09-01",
             "resourceGroups": [
                 {"name": f"rg-{g:04d}", "location": "westeurope",
                  "resources": [{"name": f"st{g:04d}x{i}", "type": "Microsoft.Storage/storageAccounts"}
                                for i in range(PER_GROUP)]}
                 for g in range(groups)]},
            {"id": TARGET, "tenantId": TENANT, "displayName": "Bench CSP", "quotaId": "CSP_2015-05-01",
             "resourceGroups": []},
        ],
    }


def group_moves(groups: int) -> tuple[GroupMove, ...]:
    return tuple(
        GroupMove(f"rg-{g:04d}", f"/subscriptions/{TARGET}/resourceGroups/rg-{g:04d}", "westeurope", tuple(
            f"/subscriptions/{SOURCE}/resourceGroups/rg-{g:04d}/providers/Microsoft.Storage/storageAccounts/"
            f"st{g:04d}x{i}" for i in range(PER_GROUP)))
        for g in range(groups))


def _sandbox_process(path: Path, move_seconds: float, *, validate_seconds: float,
                     poll_interval: float) -> contextlib.AbstractAsyncContextManager[tuple[str, str]]:
    return sandbox_process("--scenario", str(path), "--lro-seconds", str(validate_seconds),
                           "--move-seconds", str(move_seconds), "--poll-interval", str(poll_interval))


async def _admin(url: str, ca: str, path: str) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=ca)
    async with aiohttp.ClientSession() as http, http.get(f"{url}/_sandbox/{path}", ssl=ctx) as resp:
        return dict(await resp.json())


def _spent(stats: Mapping[str, Any], ops: tuple[str, ...]) -> int:
    """Calls as ARM's bucket counts them: a throttled attempt books the token its retry then uses."""
    throttled = stats.get("throttled_by_operation") or {}
    return sum(stats["by_operation"].get(op, 0) - throttled.get(op, 0) for op in ops)


def _write_forced(writes: int) -> float:
    return max(0.0, (writes - WRITES.capacity) / WRITES.refill_per_second)


async def one(groups: int, move_seconds: float, parallel: int, *, validate_seconds: float = VALIDATE_SECONDS,
              poll_interval: float = POLL_INTERVAL) -> dict[str, Any]:
    """One request of `groups` groups through the runner; its figures as a dict."""
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.json"
        path.write_text(json.dumps(scenario(groups)))
        store = SqliteDocumentStore(Path(tmp) / "bot.db")
        workflow = Workflow(store)
        async with _sandbox_process(path, move_seconds, validate_seconds=validate_seconds,
                                    poll_interval=poll_interval) as (url, ca):
            gateway = create_gateway(credential="sandbox", endpoint=url, ca_bundle=ca, authority_host=url,
                                     polling_interval=poll_interval)
            try:
                stored = await workflow.submit(customer_tenant_id=TENANT, source_subscription_id=SOURCE,
                                               target_subscription_id=TARGET, groups=group_moves(groups),
                                               requester=REQUESTER, requester_tenant_id="bench-tenant")
                assert (await workflow.approve(stored.id, APPROVER)).changed
                runner = MoveRunner(workflow, gateway, config=RunnerConfig(max_parallel=parallel))
                started = time.perf_counter()
                await runner.run_once()
                wall = time.perf_counter() - started
                stats = await _admin(url, ca, "stats")
                held = gateway.for_tenant(TENANT).pacer.held
            finally:
                await gateway.close()
        done = await workflow.get(stored.id)
        await store.close()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert done is not None
    # A move takes `move_seconds` on Azure's side (the sandbox's setting); what our records show on top of
    # that (waiting for the write budget, the poll that sees it done) is ours to answer for, not the floor's.
    recorded = [(b.finished_at - b.started_at).total_seconds() for b in done.batches if b.started_at and b.finished_at]
    source_writes, target_writes = _spent(stats, SOURCE_WRITES), _spent(stats, TARGET_WRITES)
    forced = max(_write_forced(source_writes), _write_forced(target_writes))
    longest = move_seconds
    return {"groups": groups, "parallel": parallel, "state": done.state.value,
            "succeeded": done.state is RequestState.SUCCEEDED, "moved": done.request.moved_count,
            "wall": wall, "longest_move": longest,
            "longest_recorded": max(recorded, default=0.0), "write_forced": forced, "floor": longest + forced,
            "source_writes": source_writes, "target_writes": target_writes, "reads": stats["reads"],
            "polls": stats["lro_polls"], "throttled": stats["throttled_429"], "held_by_pacer": held,
            "peak_rss_mib": (peak_rss_kib() or 0) / 1024, "traced_mib": traced / 2**20}


def _child(groups: int, move_seconds: float, parallel: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "tests.bench.bench_moves", "--one", str(groups),
                          "--move-seconds", str(move_seconds), "--parallel", str(parallel)],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench_moves --one {groups} failed:\n{out.stdout}\n{out.stderr}")
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main(sizes: list[int], move_seconds: float, baseline_groups: int, parallel: int) -> int:
    print(f"Each group: {PER_GROUP} storage accounts; a move takes {move_seconds:.0f} s, a validation "
          f"{VALIDATE_SECONDS:.0f} s; the sandbox announces Retry-After {POLL_INTERVAL:.0f} s; throttling on "
          f"(writes {WRITES.capacity:.0f} + {WRITES.refill_per_second:.0f}/s per subscription).")
    runs = []
    for n in sizes:
        r = _child(n, move_seconds, parallel)
        runs.append(r)
        print(f"  {n} groups: {r['wall']:.1f} s, {r['state']}, floor {r['floor']:.1f} s", flush=True)
    rows = [[r["groups"], r["state"], f"{r['wall']:.1f} s", f"{r['longest_move']:.1f} s",
             f"{r['write_forced']:.1f} s", f"{r['floor']:.1f} s", f"{r['wall'] / r['floor']:.2f}",
             f"{r['source_writes']}/{r['target_writes']}", r["polls"], r["throttled"], r["held_by_pacer"],
             f"{r['peak_rss_mib']:.0f} MiB", f"{r['traced_mib']:.1f} MiB"]
            for r in runs]
    print()
    print_table(["groups", "outcome", "wall", "longest move", "write-forced", "floor", "wall/floor",
                 "writes src/tgt", "polls", "429s", "held", "peak RSS", "traced"], rows)
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        scale = last["groups"] / first["groups"]
        print(f"\ngrowth {first['groups']} -> {last['groups']} groups (x{scale:.0f}): "
              f"wall x{last['wall'] / first['wall']:.2f}, "
              f"peak RSS x{last['peak_rss_mib'] / first['peak_rss_mib']:.2f}, "
              f"traced memory x{last['traced_mib'] / max(first['traced_mib'], 1e-9):.2f}")
    base = _child(baseline_groups, move_seconds, 1)
    per_group = base["wall"] / baseline_groups
    biggest = runs[-1]
    print(f"\nbaseline, one group at a time: {baseline_groups} groups in {base['wall']:.1f} s "
          f"({per_group:.1f} s a group) -> {biggest['groups']} groups ~{per_group * biggest['groups'] / 60:.0f} min; "
          f"side by side {biggest['wall']:.1f} s (x{per_group * biggest['groups'] / biggest['wall']:.0f} faster)")
    ok = all(r["succeeded"] for r in runs) and base["succeeded"]
    aim = biggest["wall"] / biggest["floor"]
    print(f"\n{biggest['groups']} groups: wall/floor {aim:.2f} (aim: at most 1.3){'' if ok else '; SOME MOVES FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,100,200")
    parser.add_argument("--move-seconds", type=float, default=30.0)
    parser.add_argument("--baseline-groups", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=RunnerConfig().max_parallel)
    parser.add_argument("--one", type=int, help="run one size in this process and print its figures as JSON")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(one(args.one, args.move_seconds, args.parallel))))
        sys.exit(0)
    sys.exit(main([int(s) for s in args.sizes.split(",")], args.move_seconds, args.baseline_groups, args.parallel))
