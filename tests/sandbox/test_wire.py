"""The sandbox on the wire, compared with Microsoft's published examples and recorded traffic."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox import FaultConfig, World, start_sandbox
from sandbox.generate import generate_scenario
from sandbox.state import SCENARIO_DIR, load_scenario
from tests.support.sandbox import CSP, FABRIKAM, PAYG, arm_id, group_id

SPECS = Path(__file__).with_name("arm-examples")
# Azure's own validateMoveResources exchange, as recorded by the Azure SDK for .NET tests
# (Azure/azure-sdk-assets, ResourceGroupOperationsTests/ValidateMoveResources[2022-09-01].json @ badeb577):
# POST -> 202 with an empty body, a poll -> 202, the last poll -> 204.
RECORDED_VALIDATE_STATUSES = (202, 202, 204)
TOKEN = {"Authorization": f"Bearer sandbox.{FABRIKAM}"}
REPO = Path(__file__).resolve().parents[2]


def example(name: str) -> dict[str, Any]:
    path = SPECS / name
    if not path.exists():
        pytest.skip(f"reference example {name} not available")
    return json.loads(path.read_text())


@pytest.fixture
async def http(sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    ctx = ssl.create_default_context(cafile=str(sandbox.ca_path))
    async with aiohttp.ClientSession(sandbox.url, connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        yield session


async def get(http: aiohttp.ClientSession, path: str, **params: str) -> tuple[int, Any, Any]:
    async with http.get(path, params=params, headers=TOKEN) as resp:
        return resp.status, await resp.json(content_type=None), resp.headers


async def test_subscription_matches_the_published_shape(http):
    status, body, headers = await get(http, f"/subscriptions/{PAYG}", **{"api-version": "2022-12-01"})
    ref = example("Microsoft.Resources_2022-12-01_GetSubscription.json")["responses"]["200"]["body"]
    assert status == 200
    assert set(ref) - {"tags"} <= set(body)
    assert set(body["subscriptionPolicies"]) == set(ref["subscriptionPolicies"])
    assert body["subscriptionPolicies"]["quotaId"] == "PayAsYouGo_2014-09-01"
    assert int(headers["x-ms-ratelimit-remaining-subscription-reads"]) < 250

    status, listing, _ = await get(http, "/subscriptions", **{"api-version": "2022-12-01"})
    ref_item = example("Microsoft.Resources_2022-12-01_GetSubscriptions.json")["responses"]["200"]["body"]["value"][0]
    assert all(set(ref_item) - {"tags"} <= set(item) for item in listing["value"])
    assert {item["tenantId"] for item in listing["value"]} == {FABRIKAM}


async def test_locks_at_subscription_scope_include_group_and_resource_locks(http):
    status, body, _ = await get(http, f"/subscriptions/{PAYG}/providers/Microsoft.Authorization/locks",
                                **{"api-version": "2020-05-01"})
    ref = example("Microsoft.Authorization_locks_2020-05-01_ManagementLocks_ListAtSubscriptionLevel.json")
    ref_item = ref["responses"]["200"]["body"]["value"][0]
    assert status == 200 and all(set(ref_item) == set(item) for item in body["value"])
    ids = {item["id"] for item in body["value"]}
    assert f"{group_id(PAYG, 'rg-locked')}/providers/Microsoft.Authorization/locks/freeze" in ids
    assert any("/storageAccounts/stapp1/providers/Microsoft.Authorization/locks/" in i for i in ids)


async def test_resource_graph_pages_like_the_published_examples(http):
    first_ref = example("Microsoft.ResourceGraph_2022-10-01_ResourcesFirstPageQuery.json")
    query = {"subscriptions": [PAYG], "query": "Resources | project id, name, type, location | order by id asc",
             "options": {"$top": 5, "resultFormat": "objectArray"}}
    seen: list[str] = []
    pages = 0
    while True:
        async with http.post("/providers/Microsoft.ResourceGraph/resources", params={"api-version": "2021-03-01"},
                             json=query, headers=TOKEN) as resp:
            body = await resp.json()
        pages += 1
        ref_body = first_ref["responses"]["200"]["body"]
        assert set(body) - {"$skipToken"} == set(ref_body) - {"$skipToken"}
        assert set(body["data"][0]) == set(ref_body["data"][0])
        assert all(row["type"] == row["type"].lower() for row in body["data"])  # as in the examples
        seen += [row["id"] for row in body["data"]]
        if "$skipToken" not in body:
            break
        query["options"]["$skipToken"] = body["$skipToken"]
    assert pages == 4 and len(seen) == len(set(seen)) == body["totalRecords"] == 16
    assert seen == sorted(seen, key=str.lower)


async def test_resource_graph_refuses_what_it_does_not_understand(http):
    async with http.post("/providers/Microsoft.ResourceGraph/resources", params={"api-version": "2021-03-01"},
                         json={"query": "Resources | summarize count() by type"}, headers=TOKEN) as resp:
        body = await resp.json()
        assert resp.status == 400 and "Retry-After" not in resp.headers
    assert body["error"]["code"] == "BadRequest"
    assert [d["code"] for d in body["error"]["details"]] == ["InvalidQuery", "ParserFailure"]


async def test_protocol_rules(http, sandbox):
    status, body, headers = await get(http, f"/subscriptions/{PAYG}/resourcegroups")
    assert (status, body["error"]["code"]) == (400, "MissingApiVersionParameter")
    async with http.get(f"/subscriptions/{PAYG}/resourcegroups", params={"api-version": "2025-04-01"}) as resp:
        assert resp.status == 401 and (await resp.json())["error"]["code"] == "AuthenticationFailed"
    # case-insensitive routing, absolute nextLink on the sandbox's own address
    status, body, _ = await get(http, f"/SUBSCRIPTIONS/{PAYG.upper()}/resourceGroups",
                                **{"api-version": "2025-04-01", "$top": "3"})
    assert status == 200 and len(body["value"]) == 3
    assert body["nextLink"].startswith(f"{sandbox.url}/SUBSCRIPTIONS/")
    names = [g["name"] for g in body["value"]]
    while "nextLink" in body:
        async with http.get(body["nextLink"], headers=TOKEN) as resp:
            body = await resp.json()
        names += [g["name"] for g in body["value"]]
    assert len(names) == len(set(names)) == 8
    sql_only = {"api-version": "2025-04-01", "$filter": "resourceType eq 'Microsoft.Sql/servers'"}
    status, body, headers = await get(http, f"/subscriptions/{PAYG}/resourcegroups/RG-APP/resources", **sql_only)
    assert [r["name"] for r in body["value"]] == ["sql-1"]
    status, body, headers = await get(http, f"/subscriptions/{PAYG}/resourcegroups/nope",
                                      **{"api-version": "2025-04-01"})
    assert (status, body["error"]["code"]) == (404, "ResourceGroupNotFound") and "Retry-After" not in headers


async def test_move_wire_exchange_matches_the_recording(http, sandbox):
    body = {"resources": [arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")],
            "targetResourceGroup": group_id(CSP, "rg-target")}
    url = f"/subscriptions/{PAYG}/resourceGroups/rg-app/validateMoveResources"
    async with http.post(url, params={"api-version": "2022-09-01"}, json=body, headers=TOKEN) as resp:
        assert resp.status == RECORDED_VALIDATE_STATUSES[0]
        assert await resp.read() == b""
        location = resp.headers["Location"]
        assert int(resp.headers["x-ms-ratelimit-remaining-subscription-writes"]) < 200
        assert int(resp.headers["retry-after-ms"]) == 50
    assert location.startswith(f"{sandbox.url}/subscriptions/{PAYG}/operationresults/")
    assert location.endswith("?api-version=2022-09-01")  # as in the recording: the POST's api-version
    statuses = []
    while not statuses or statuses[-1] == 202:
        async with http.get(location, headers=TOKEN) as resp:
            statuses.append(resp.status)
        await asyncio.sleep(0.05)
    assert statuses[0] == RECORDED_VALIDATE_STATUSES[1]
    assert statuses[-1] == RECORDED_VALIDATE_STATUSES[-1]
    # the snake_case mistake is refused, not silently accepted
    wrong = {"resources": body["resources"], "target_resource_group": body["targetResourceGroup"]}
    async with http.post(url, params={"api-version": "2025-04-01"}, json=wrong, headers=TOKEN) as resp:
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "InvalidRequestContent"


async def test_poll_interval_of_a_second_or_more_is_sent_as_retry_after(sandbox_factory):
    sb = await sandbox_factory(poll_interval=15)
    ctx = ssl.create_default_context(cafile=str(sb.ca_path))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
        body = {"resources": [arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")],
                "targetResourceGroup": group_id(CSP, "rg-target")}
        async with http.post(f"{sb.url}/subscriptions/{PAYG}/resourcegroups/rg-app/moveResources",
                             params={"api-version": "2025-04-01"}, json=body, headers=TOKEN) as resp:
            assert resp.status == 202 and resp.headers["Retry-After"] == "15"  # what ARM sends


async def test_tenant_discovery_document(http):
    async with http.get("/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration") as resp:
        doc = await resp.json()
    assert doc["issuer"] == f"https://login.microsoftonline.com/{FABRIKAM}/v2.0"
    async with http.get("/unknown.example/v2.0/.well-known/openid-configuration") as resp:
        assert resp.status == 400 and (await resp.json())["error_codes"] == [90002]


async def test_admin_endpoint_reports_and_switches(http, sandbox):
    await get(http, f"/subscriptions/{PAYG}", **{"api-version": "2022-12-01"})
    async with http.get("/_sandbox/stats") as resp:
        stats = await resp.json()
    assert stats["reads"] == 1 and stats["by_operation"] == {"Subscriptions_Get": 1}
    async with http.post("/_sandbox/faults", json={"rate_500": 1.0, "throttle": False}) as resp:
        assert (await resp.json())["rate_500"] == 1.0
    assert sandbox.server.faults == FaultConfig(rate_500=1.0) and not sandbox.server.throttle.enabled
    status, body, headers = await get(http, f"/subscriptions/{PAYG}", **{"api-version": "2022-12-01"})
    assert status == 500 and "x-ms-ratelimit-remaining-subscription-reads" not in headers
    async with http.post("/_sandbox/faults", json={"rate_typo": 1}) as resp:
        assert resp.status == 400
    async with http.post("/_sandbox/reset") as resp:
        assert (await resp.json())["reads"] == 0


async def test_state_survives_a_restart(gateway_factory, tmp_path):
    stapp = arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")
    async with start_sandbox("test-small", state_dir=tmp_path, lro_seconds=0.5, poll_interval=0.05) as first:
        op = await gateway_factory(first).for_tenant(FABRIKAM).moves.begin_move(
            PAYG, "rg-app", resource_ids=[stapp], target_group_id=group_id(CSP, "rg-target"))
        token, url, ca = op.continuation_token(), first.url, first.ca_path.read_bytes()
    # Restarted on the same address; the saved state wins over the scenario named on the command line.
    port = int(url.rsplit(":", 1)[1])
    async with start_sandbox("empty", state_dir=tmp_path, port=port, lro_seconds=0.5, poll_interval=0.05) as second:
        assert second.url == url and second.ca_path.read_bytes() == ca  # clients keep trusting the same CA
        gw = gateway_factory(second)
        await (await gw.for_tenant(FABRIKAM).moves.resume(token)).wait()
        ids = {r.id for r in await gw.for_tenant(FABRIKAM).inventory.list_resources(CSP)}
        assert ids == {arm_id(CSP, "rg-target", "Microsoft.Storage/storageAccounts/stapp1")}
    async with start_sandbox("test-small", state_dir=tmp_path) as third:
        assert third.world.resource(arm_id(CSP, "rg-target", "Microsoft.Storage/storageAccounts/stapp1"))


def test_generator_builds_exact_sizes():
    data = generate_scenario("resources=1001,groups=7", seed=3)
    world = World(data)
    source = world.sub(data["subscriptions"][0]["id"])
    assert source is not None and len(source.groups) == 7
    assert sum(len(g.resources) for g in source.groups.values()) == 1001
    assert generate_scenario("resources=50,groups=2", seed=3) == generate_scenario("resources=50,groups=2", seed=3)
    with pytest.raises(ValueError):
        generate_scenario("resourcez=5")


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_shipped_scenarios_load(path):
    world = World(load_scenario(path.stem))
    assert world.tenants and world.subscriptions


async def test_command_line_serves_and_prints_ready_line(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "--scenario", "empty", "--port", "0", "--state-dir", str(tmp_path),
        cwd=REPO, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert line.startswith("SANDBOX_READY ")
        fields = dict(part.split("=", 1) for part in line.split()[1:])
        ctx = ssl.create_default_context(cafile=fields["ca"])
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            async with http.get(f"{fields['url']}/empty.onmicrosoft.com/v2.0/.well-known/openid-configuration") as r:
                assert r.status == 200
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
