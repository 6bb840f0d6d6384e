"""One body parser with one behaviour: every declared route that takes a body answers content that is not a
JSON object with ARM's 400 InvalidRequestContent and changes nothing; a route that takes no body ignores one."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest
from yarl import URL

from sandbox.routing import Body, Kind, RouteSpec
from sandbox.server import API_MODULES
from tests.support.sandbox import FABRIKAM, PAYG, group_id

TOKEN = {"Authorization": f"Bearer sandbox.{FABRIKAM}", "Content-Type": "application/json"}
# Placeholders name real parts of test-small where the route's rights are checked; the rest are made up,
# since the content is refused before any handler looks them up.
VALUES = {"subscription": PAYG, "group": "rg-app", "scope": group_id(PAYG, "rg-app")}
ROUTES = [spec for api in API_MODULES for _, spec in api.declared()]
TAKING_A_BODY = [spec for spec in ROUTES if spec.body is not Body.NONE]
READS_WITHOUT_BODY = [spec for spec in ROUTES if spec.body is Body.NONE and spec.kind is Kind.READ]
NOT_AN_OBJECT = {"malformed": b'{"properties": {"level": "ReadOnly"', "an array": b'[{"location": "westeurope"}]',
                 "a string": b'"westeurope"', "not UTF-8": b'{"location": "\xff"}'}


def url(sandbox, spec: RouteSpec) -> URL:
    return URL(f"{sandbox.url}{spec.fill(lambda name: VALUES.get(name, 'probe'))}?api-version=2022-04-01",
               encoded=True)


@pytest.fixture
async def http(sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    ctx = ssl.create_default_context(cafile=str(sandbox.ca_path))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        yield session


def test_the_writes_that_take_a_body_are_all_declared_so():
    # The enumeration below covers these by itself, and any route declared later.
    writes = {spec.operation for spec in TAKING_A_BODY if spec.kind is Kind.WRITE}
    assert {"ResourceGroups_CreateOrUpdate", "Resources_MoveResources", "ManagementLocks_CreateOrUpdateByScope",
            "RoleAssignments_Create", "NetworkInterfaces_CreateOrUpdate", "Disks_Update",
            "StreamingJobs_Start"} <= writes


@pytest.mark.parametrize("content", NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys())
@pytest.mark.parametrize("spec", TAKING_A_BODY, ids=str)
async def test_content_that_is_not_a_json_object_is_refused_and_changes_nothing(http, sandbox, spec, content):
    before = sandbox.world.to_scenario()
    async with http.request(spec.method, url(sandbox, spec), data=content, headers=TOKEN) as resp:
        assert resp.status == 400
        error = (await resp.json())["error"]
    assert error["code"] == "InvalidRequestContent"
    assert error["message"].startswith("The request content was invalid and could not be deserialized: ")
    assert sandbox.world.to_scenario() == before
    assert spec.operation not in sandbox.stats()["applied_by_operation"]


async def test_a_required_body_cannot_be_left_out_and_an_optional_one_can(http, sandbox):
    group = next(s for s in TAKING_A_BODY if s.operation == "ResourceGroups_CreateOrUpdate")
    async with http.request("PUT", url(sandbox, group), headers=TOKEN) as resp:
        assert (resp.status, (await resp.json())["error"]["code"]) == (400, "InvalidRequestContent")
    start = next(s for s in TAKING_A_BODY if s.operation == "StreamingJobs_Start")
    assert start.body is Body.OPTIONAL  # the SDK's begin_start sends none unless given parameters
    async with http.request("POST", url(sandbox, start), headers=TOKEN) as resp:  # no such job in test-small
        assert (resp.status, (await resp.json())["error"]["code"]) == (404, "ResourceNotFound")


@pytest.mark.parametrize("spec", READS_WITHOUT_BODY, ids=str)
async def test_a_route_that_takes_no_body_ignores_one(http, sandbox, spec):
    async with http.request(spec.method, url(sandbox, spec), headers=TOKEN) as resp:
        expected = resp.status
    async with http.request(spec.method, url(sandbox, spec), data=b"{not json", headers=TOKEN) as resp:
        assert resp.status == expected != 500


async def test_a_write_that_takes_no_body_ignores_one(http, sandbox):
    lock = f"{group_id(PAYG, 'rg-locked')}/providers/Microsoft.Authorization/locks/freeze?api-version=2020-05-01"
    async with http.delete(URL(f"{sandbox.url}{lock}", encoded=True), data=b"{not json", headers=TOKEN) as resp:
        assert resp.status == 200
    assert sandbox.world.sub(PAYG).groups["rg-locked"].locks == []
