"""One router over the routes the API modules declare: it routes on the raw path as ARM does, so a scope sent
percent-encoded is not served, and it refuses, when the app is built, two routes that would match one request."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from sandbox import World, load_scenario
from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.routing import RouteConflict, Within, route
from sandbox.server import API_MODULES, ArmSandbox
from tests.support.sandbox import FABRIKAM, PAYG, arm_id, group_id

TOKEN = {"Authorization": f"Bearer sandbox.{FABRIKAM}"}
LOCKS_API = "api-version=2020-05-01"
FREEZE = ("rg-locked", "freeze")  # test-small: a ReadOnly lock on rg-locked


@pytest.fixture
async def http(sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    ctx = ssl.create_default_context(cafile=str(sandbox.ca_path))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        yield session


def raw(sandbox, path: str) -> URL:
    """The URL exactly as written: yarl neither decodes nor re-encodes it."""
    return URL(f"{sandbox.url}{path}", encoded=True)


def group_locks(sandbox, group: str) -> list[dict]:
    return sandbox.world.sub(PAYG).groups[group].locks


async def test_a_lock_scope_sent_percent_encoded_is_not_served_and_the_lock_stays(http, sandbox):
    # What azure-mgmt-resource-locks 1.0.0's *_by_scope calls send: the scope's slashes as %2F.
    encoded = f"/subscriptions%2F{PAYG}%2FresourceGroups%2Frg-locked/providers/Microsoft.Authorization/locks/freeze"
    before = [dict(lock) for lock in group_locks(sandbox, "rg-locked")]
    async with http.delete(raw(sandbox, f"{encoded}?{LOCKS_API}"), headers=TOKEN) as resp:
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "NoRegisteredProviderFound"
    async with http.put(raw(sandbox, f"{encoded}?{LOCKS_API}"), headers=TOKEN,
                        json={"properties": {"level": "CanNotDelete"}}) as resp:
        assert resp.status == 404
    async with http.get(raw(sandbox, f"{encoded}?{LOCKS_API}"), headers=TOKEN) as resp:
        assert (resp.status, (await resp.json())["error"]["code"]) == (404, "InvalidResourceType")
    assert group_locks(sandbox, "rg-locked") == before
    assert "ManagementLocks_DeleteByScope" not in sandbox.stats()["by_operation"]

    # The same call with the scope's slashes is Azure's lock API.
    plain = f"{group_id(PAYG, 'rg-locked')}/providers/Microsoft.Authorization/locks/freeze"
    async with http.delete(raw(sandbox, f"{plain}?{LOCKS_API}"), headers=TOKEN) as resp:
        assert resp.status == 200
    assert group_locks(sandbox, "rg-locked") == []


async def test_an_encoded_slash_inside_any_segment_is_no_separator(http, sandbox):
    for path in (f"/subscriptions/{PAYG}%2FresourceGroups%2Frg-app",  # would be ResourceGroups_Get if split
                 f"/subscriptions/{PAYG}/resourceGroups/rg-app%2Fresources",
                 f"{group_id(PAYG, 'rg-app')}/providers/Microsoft.Storage/storageAccounts%2Fstapp1"
                 "/providers/Microsoft.Authorization/locks/keep-storage"):
        async with http.get(raw(sandbox, f"{path}?api-version=2021-04-01"), headers=TOKEN) as resp:
            assert resp.status == 404, path
            assert (await resp.json())["error"]["code"] == "InvalidResourceType", path


async def test_segments_are_decoded_for_their_values_and_empty_ones_dropped(http, sandbox):
    # %2D is "-": the group's name, decoded.
    async with http.get(raw(sandbox, f"/subscriptions/{PAYG}/resourceGroups/rg%2Dapp?api-version=2021-04-01"),
                        headers=TOKEN) as resp:
        assert resp.status == 200 and (await resp.json())["name"] == "rg-app"
    # The SDKs' resource-level lock calls send an empty parent resource path as "//".
    lock = arm_id(PAYG, "rg-app", "Microsoft.Storage//storageAccounts/stapp1/providers/Microsoft.Authorization/locks/"
                                  "keep-storage")
    async with http.get(raw(sandbox, f"{lock}?{LOCKS_API}"), headers=TOKEN) as resp:
        assert resp.status == 200 and (await resp.json())["name"] == "keep-storage"


class _Things(ArmApi):
    @route("GET", "/subscriptions/{subscription}/things/{name}", "Things_Get", action=None)
    async def get(self, request: web.Request, caller: Caller, *, subscription: str, name: str) -> web.Response:
        return self.answer({})


class _SpecialThing(ArmApi):
    @route("GET", "/subscriptions/{subscription}/THINGS/special", "Things_GetSpecial", action=None)
    async def get(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        return self.answer({})


class _GroupLock(ArmApi):  # overlaps ManagementLocks_GetByScope, whose scope can be a resource group
    @route("GET", "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Authorization/locks/{lock}",
           "ManagementLocks_GetAtResourceGroupLevel", action=None, within=Within.GROUP)
    async def get(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                  lock: str) -> web.Response:
        return self.answer({})


class _Misnamed(ArmApi):
    @route("GET", "/subscriptions/{subscription}/gadgets/{name}", "Gadgets_Get", action=None)
    async def get(self, request: web.Request, caller: Caller, *, subscription: str, gadget: str) -> web.Response:
        return self.answer({})


@pytest.mark.parametrize(("apis", "both"), [
    ((_Things, _SpecialThing), ("Things_Get", "Things_GetSpecial")),
    ((*API_MODULES, _GroupLock), ("ManagementLocks_GetByScope", "ManagementLocks_GetAtResourceGroupLevel")),
], ids=["a placeholder and a literal", "a scope and a resource group"])
def test_two_routes_that_would_match_one_request_are_refused_when_the_app_is_built(apis, both):
    world = World(load_scenario("empty"))
    with pytest.raises(RouteConflict) as refused:
        ArmSandbox(world, apis=apis)
    assert all(operation in str(refused.value) for operation in both)
    ArmSandbox(world, apis=apis[:-1])  # either one alone is served


def test_a_handler_takes_exactly_the_values_its_route_binds():
    with pytest.raises(TypeError, match="gadget"):
        ArmSandbox(World(load_scenario("empty")), apis=(_Misnamed,))
