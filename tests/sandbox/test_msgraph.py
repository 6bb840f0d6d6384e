"""The sandbox's Microsoft Graph: checkMemberGroups from its own users and nested groups, Graph's token rule
and error shapes (https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support.customers import ADMIN, B_CORE, B_ENGINEERS, ENGINEER_B, scenario
from tests.support.teams import ENGINEER, PARTNER_TENANT

GRAPH_TOKEN = f"sandbox.{PARTNER_TENANT}@https://graph.microsoft.com"


@pytest.fixture
async def graph(sandbox_factory) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    sandbox = await sandbox_factory(scenario())
    ctx = ssl.create_default_context(cafile=str(sandbox.ca_path))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        yield session, sandbox.url


async def _check(graph, user: str, groups: list[str], token: str | None = GRAPH_TOKEN) -> tuple[int, dict]:
    session, url = graph
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(f"{url}/v1.0/users/{user}/checkMemberGroups", json={"groupIds": groups},
                            headers=headers) as response:
        return response.status, await response.json()


async def test_membership_is_transitive_and_only_of_the_groups_asked(graph):
    status, body = await _check(graph, ENGINEER_B["aadObjectId"], [B_ENGINEERS, B_CORE, ADMIN["aadObjectId"]])
    assert status == 200 and sorted(body["value"]) == sorted([B_ENGINEERS, B_CORE])
    status, body = await _check(graph, ENGINEER["aadObjectId"], [B_ENGINEERS])
    assert status == 200 and body["value"] == []


async def test_graph_wants_a_graph_token(graph):
    for token, message in ((None, "Access token is empty."), (f"sandbox.{PARTNER_TENANT}", "Invalid audience"),
                           ("sandbox.partner@https://graph.microsoft.com", "validation failure")):
        status, body = await _check(graph, ENGINEER["aadObjectId"], [B_ENGINEERS], token)
        assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken", token
        assert message in body["error"]["message"]


async def test_an_unknown_user_and_a_bad_body_get_graphs_errors(graph):
    status, body = await _check(graph, "00000000-0000-0000-0000-0000000000ff", [B_ENGINEERS])
    assert status == 404 and body["error"]["code"] == "Request_ResourceNotFound"
    status, body = await _check(graph, ENGINEER["aadObjectId"], [B_ENGINEERS] * 21)
    assert status == 400 and body["error"]["code"] == "Request_BadRequest"
