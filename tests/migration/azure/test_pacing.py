"""Pacing by Azure's throttle headers, and azure-core's retry policy, against the sandbox's token buckets."""

from __future__ import annotations

import asyncio
import ssl

import aiohttp

from migration.azure.gateway import create_gateway
from sandbox.throttle import BucketSpec
from tests.support.sandbox import CSP, FABRIKAM, PAYG, gateway_spec


async def test_resource_graph_429_without_retry_after_waits_for_the_quota_reset(sandbox, gateway):
    # What the sandbox answers when the quota is spent: no Retry-After, only the quota headers.
    ctx = ssl.create_default_context(cafile=str(sandbox.ca_path))
    sandbox.server.throttle.specs["graph"] = BucketSpec(1, 1)
    body = {"subscriptions": [PAYG], "query": "Resources | project id"}
    url = f"{sandbox.url}/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer sandbox.{FABRIKAM}"}) as http:
        async with http.post(url, json=body, ssl=ctx) as first:
            assert first.status == 200
        async with http.post(url, json=body, ssl=ctx) as throttled:
            assert throttled.status == 429
            assert "Retry-After" not in throttled.headers and "retry-after-ms" not in throttled.headers
            assert throttled.headers["x-ms-user-quota-remaining"] == "0"
            assert throttled.headers["x-ms-user-quota-resets-after"] == "00:00:01"
    sandbox.server.throttle.reset()
    sandbox.reset_stats()

    # The gateway waits out such 429s by the reset time, and then does not spend more than the quota.
    azure = gateway.for_tenant(FABRIKAM)
    results = await asyncio.gather(*(azure.inventory.list_resources(PAYG) for _ in range(4)))
    assert all(len(r) == 16 for r in results)
    stats = sandbox.stats()
    assert stats["graph"] - stats["throttled_429"] == 4, "every query answered once"
    assert stats["throttled_429"] >= 1
    assert azure.pacer.remaining("user", "graph") is not None, "the quota header was read"


async def test_writes_wait_while_the_remaining_writes_header_says_none_are_left(sandbox, gateway):
    # A small write bucket (5, +5/s) on the CSP subscription: learn it is spent, then ask for 10 more.
    sandbox.server.throttle.specs["writes"] = BucketSpec(5, 5)
    sandbox.server.throttle.reset()
    azure = gateway.for_tenant(FABRIKAM)
    for i in range(5):
        await azure.groups.ensure_group(CSP, f"rg-paced-{i}", location="westeurope")
    pacer = azure.pacer
    assert pacer.remaining(f"subscription:{CSP}", "writes") == 0
    before, held = sandbox.stats(), pacer.held

    await asyncio.gather(*(azure.groups.ensure_group(CSP, f"rg-later-{i}", location="westeurope") for i in range(10)))
    after = sandbox.stats()
    stats = {k: after[k] - before[k] for k in ("writes", "throttled_429")}
    assert stats["writes"] - stats["throttled_429"] == 10
    # Held back by the header instead of sent into the empty bucket: at most a probe or two answered 429
    # (sent all at once, nine of the ten would be).
    assert stats["throttled_429"] <= 3, stats
    assert pacer.held - held >= 5
    assert all(sandbox.world.group(CSP, f"rg-later-{i}") is not None for i in range(10))


async def test_a_gateway_with_a_read_reserve_leaves_the_last_reads_to_a_running_move(sandbox, gateway):
    # A small read bucket (12, +4/s) on the source subscription, shared (one principal) by an assessment
    # worker's gateway, which keeps 6 reads off, and the move runner's, which keeps none.
    sandbox.server.throttle.specs["reads"] = BucketSpec(12, 4)
    sandbox.server.throttle.reset()
    worker = create_gateway(**gateway_spec(sandbox), read_reserve=6)
    try:
        assessment, move = worker.for_tenant(FABRIKAM), gateway.for_tenant(FABRIKAM)
        await assessment.groups.list_groups(PAYG)  # learns what is left
        before = sandbox.stats()
        burst = asyncio.gather(*(assessment.groups.list_groups(PAYG) for _ in range(20)))
        await asyncio.sleep(0.3)  # the burst has spent what it may
        remaining = assessment.pacer.remaining(f"subscription:{PAYG}", "reads")
        assert remaining is not None and remaining >= 4, "the burst took the reads it was to leave"
        # The move's reads meanwhile find the bucket not empty: none of them is throttled.
        await asyncio.gather(*(move.groups.list_groups(PAYG) for _ in range(4)))
        assert sandbox.stats()["throttled_429"] == before["throttled_429"]
        await burst
        assert assessment.pacer.held > 0
    finally:
        await worker.close()
