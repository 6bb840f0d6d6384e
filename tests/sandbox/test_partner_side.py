"""The sandbox plays the partner's side from its own facts: the Microsoft Partner Agreement billing account
and its customers (read only with the Admin Agent role, in the partner's tenant), the subscription alias API
that creates a CSP subscription in a customer's tenant, once per alias name, and the target's compute quota
and preview features; the three-subscriptions scenario couples its subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from azure.identity.aio import ClientSecretCredential

from sandbox import start_sandbox

PARTNER = "9a47e000-0000-4000-8000-00000000000a"
APP, SECRET = "b07b07b0-0000-4000-8000-0000000000a1", "sandbox-app-secret"
ACCOUNT = "9a47e000-0000-4000-8000-0000000000b1:9a47e000-0000-4000-8000-0000000000b2_2019-05-31"
CONTOSO, FABRIKAM = "0c0a7050-0000-4000-8000-000000000001", "0fab71ca-0000-4000-8000-000000000002"
NORTHWIND = "4e0a7d00-0000-4000-8000-000000000001"
PRODUCTION, APPS, DATA = (f"4e0a7d00-5ab1-4000-8000-00000000000{x}" for x in "abc")
STATIC_PARTNER = "sandbox.partner"
BILLING = "/providers/Microsoft.Billing/billingAccounts"
ALIASES = "/providers/Microsoft.Subscription/aliases"


class Arm:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def call(self, method: str, path: str, token: str, *, api: str, json: Any = None,
                   **params: str) -> tuple[int, Any]:
        async with self.session.request(method, self.url + path, params={"api-version": api, **params}, json=json,
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
            return resp.status, await resp.json(content_type=None)


@contextlib.asynccontextmanager
async def arm_of(sb: Any) -> AsyncIterator[Arm]:
    ctx = ssl.create_default_context(cafile=str(sb.ca_path))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        yield Arm(session, sb.url)


@pytest.fixture
async def world(sandbox_factory) -> AsyncIterator[tuple[Any, Arm]]:
    sb = await sandbox_factory("contoso")
    async with arm_of(sb) as arm:
        yield sb, arm


async def app_token(sb: Any, tenant: str = PARTNER) -> str:
    """The partner's app's token from the sandbox's Entra, through azure-identity."""
    async with ClientSecretCredential(tenant, APP, SECRET, authority=sb.url, connection_verify=str(sb.ca_path),
                                      additionally_allowed_tenants=["*"]) as credential:
        return (await credential.get_token("https://management.azure.com/.default")).token


def alias_body(customer: str = CONTOSO, **changes: Any) -> dict[str, Any]:
    properties = {"displayName": "Contoso Production (CSP)", "workload": "Production",
                  "billingScope": f"{BILLING}/{ACCOUNT}/customers/{customer}",
                  "additionalProperties": {"tags": {"migratedFrom": "0c0a7050-5ab1-4000-8000-000000000001"}}}
    return {"properties": {**properties, **changes}}


async def until_succeeded(arm: Arm, name: str, token: str) -> dict[str, Any]:
    for _ in range(100):
        status, body = await arm.call("GET", f"{ALIASES}/{name}", token, api="2021-10-01")
        assert status == 200
        if body["properties"]["provisioningState"] == "Succeeded":
            return body
        await asyncio.sleep(0.05)
    raise AssertionError("the alias never succeeded")


async def test_the_partner_reads_its_mpa_account_and_the_customer_with_an_azure_plan(world):
    sb, arm = world
    status, accounts = await arm.call("GET", BILLING, STATIC_PARTNER, api="2024-04-01")
    assert status == 200
    assert [(a["name"], a["properties"]["agreementType"]) for a in accounts["value"]] == [
        (ACCOUNT, "MicrosoftPartnerAgreement")]
    status, customer = await arm.call("GET", f"{BILLING}/{ACCOUNT}/customers/{CONTOSO}", STATIC_PARTNER,
                                      api="2024-04-01", **{"$expand": "enabledAzurePlans,resellers"})
    assert status == 200
    assert customer["name"] == CONTOSO
    assert customer["properties"]["enabledAzurePlans"][0]["skuId"] == "0001"
    assert customer["properties"]["resellers"] == []


async def test_a_relationship_without_an_azure_plan_is_not_found_like_none_at_all(world):
    sb, arm = world
    status, body = await arm.call("GET", f"{BILLING}/{ACCOUNT}/customers/{FABRIKAM}", STATIC_PARTNER,
                                  api="2024-04-01", **{"$expand": "enabledAzurePlans,resellers"})
    assert (status, body["error"]["code"]) == (404, "NotFound")
    status, listed = await arm.call("GET", f"{BILLING}/{ACCOUNT}/customers", STATIC_PARTNER, api="2024-04-01")
    assert {c["name"] for c in listed["value"]} == {CONTOSO, "00dd9709-0000-4000-8000-000000000003"}
    sb.world.partner.account(ACCOUNT).customers[FABRIKAM.lower()].azure_plan = True  # Partner Center: plan added
    status, _ = await arm.call("GET", f"{BILLING}/{ACCOUNT}/customers/{FABRIKAM}", STATIC_PARTNER, api="2024-04-01")
    assert status == 200


async def test_billing_needs_the_admin_agent_role_in_the_partner_tenant(world):
    sb, arm = world
    token = await app_token(sb)
    status, accounts = await arm.call("GET", BILLING, token, api="2024-04-01")
    assert (status, len(accounts["value"])) == (200, 1)

    customer_token = await app_token(sb, CONTOSO)  # the same app, but a token of the customer's tenant
    status, accounts = await arm.call("GET", BILLING, customer_token, api="2024-04-01")
    assert (status, accounts["value"]) == (200, [])

    sb.world.partner.account(ACCOUNT).admin_agents.discard(APP.lower())  # Partner Center: role taken away
    status, accounts = await arm.call("GET", BILLING, token, api="2024-04-01")
    assert accounts["value"] == []
    status, body = await arm.call("GET", f"{BILLING}/{ACCOUNT}/customers/{CONTOSO}", token, api="2024-04-01")
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")
    status, body = await arm.call("PUT", f"{ALIASES}/no-role", token, api="2021-10-01", json=alias_body())
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")


async def test_an_alias_creates_one_csp_subscription_in_the_customer_tenant(world):
    sb, arm = world
    before = set(sb.world.subscriptions)
    status, body = await arm.call("PUT", f"{ALIASES}/mr-1-source", STATIC_PARTNER, api="2021-10-01",
                                  json=alias_body())
    assert (status, body["properties"]["provisioningState"]) == (201, "Accepted")
    created = body["properties"]["subscriptionId"]
    assert sb.world.sub(created) is None  # not there until Azure is done
    done = await until_succeeded(arm, "mr-1-source", STATIC_PARTNER)
    assert done["properties"]["subscriptionId"] == created

    status, sub = await arm.call("GET", f"/subscriptions/{created}", f"sandbox.{CONTOSO}", api="2022-12-01")
    assert status == 200
    assert (sub["tenantId"], sub["subscriptionPolicies"]["quotaId"]) == (CONTOSO, "CSP_2015-05-01")
    assert sb.world.sub(created).tags == {"migratedFrom": "0c0a7050-5ab1-4000-8000-000000000001"}

    # The same name again, even with another body: the subscription first asked for, nothing new.
    status, again = await arm.call("PUT", f"{ALIASES}/mr-1-source", STATIC_PARTNER, api="2021-10-01",
                                   json=alias_body(displayName="Something else"))
    assert status == 200
    assert again["properties"]["subscriptionId"] == created
    assert again["properties"]["displayName"] == "Contoso Production (CSP)"
    assert set(sb.world.subscriptions) - before == {created.lower()}


@pytest.mark.parametrize(("body", "status", "code"), [
    (alias_body(displayName=""), 400, "MissingParameter"),
    (alias_body(workload="Testing"), 400, "InvalidWorkload"),
    (alias_body(billingScope="/providers/Microsoft.Billing/billingAccounts/x/billingProfiles/y"), 400,
     "InvalidBillingScope"),
    (alias_body(FABRIKAM), 400, "InvalidBillingScope"),  # no Azure plan for this customer
])
async def test_an_alias_azure_would_refuse_creates_nothing(world, body, status, code):
    sb, arm = world
    before = sb.world.to_scenario()
    got, answer = await arm.call("PUT", f"{ALIASES}/refused", STATIC_PARTNER, api="2021-10-01", json=body)
    assert (got, answer["error"]["code"]) == (status, code)
    assert sb.world.to_scenario() == before


async def test_an_alias_survives_a_restart_of_the_sandbox(tmp_path):
    async with start_sandbox("contoso", state_dir=tmp_path, lro_seconds=0.2) as sb, arm_of(sb) as arm:
        status, body = await arm.call("PUT", f"{ALIASES}/kept", STATIC_PARTNER, api="2021-10-01", json=alias_body())
        created = body["properties"]["subscriptionId"]
    async with start_sandbox("contoso", state_dir=tmp_path, lro_seconds=0.2) as sb:
        async with arm_of(sb) as arm:
            done = await until_succeeded(arm, "kept", STATIC_PARTNER)
            status, _ = await arm.call("PUT", f"{ALIASES}/kept", STATIC_PARTNER, api="2021-10-01", json=alias_body())
        assert done["properties"]["subscriptionId"] == created
        assert [s.id for s in sb.world.subscriptions.values() if s.display_name == "Contoso Production (CSP)"] == [
            created]


@pytest.fixture
async def northwind(sandbox_factory) -> AsyncIterator[tuple[Any, Arm]]:
    sb = await sandbox_factory("three-subscriptions")
    async with arm_of(sb) as arm:
        yield sb, arm


async def test_compute_usage_counts_the_vms_against_the_limits(northwind):
    sb, arm = northwind
    token = f"sandbox.{NORTHWIND}"
    status, body = await arm.call("GET", f"/subscriptions/{APPS}/providers/Microsoft.Compute/locations/westeurope/"
                                  "usages", token, api="2024-07-01")
    usage = {u["name"]["value"]: (u["currentValue"], u["limit"]) for u in body["value"]}
    assert status == 200
    assert usage["standardDSv5Family"] == (12, 10)  # three D4s_v5 over the default family limit
    assert usage["cores"] == (12, 20)
    sb.world.sub(APPS).quotas["westeurope"] = {"standardDSv5Family": 16}  # a quota request granted
    _, body = await arm.call("GET", f"/subscriptions/{APPS}/providers/Microsoft.Compute/locations/westeurope/usages",
                             token, api="2024-07-01")
    assert {u["name"]["value"]: u["limit"] for u in body["value"]}["standardDSv5Family"] == 16
    status, body = await arm.call("GET", f"/subscriptions/{APPS}/providers/Microsoft.Compute/locations/atlantis/"
                                  "usages", token, api="2024-07-01")
    assert status == 404
    status, skus = await arm.call("GET", f"/subscriptions/{APPS}/providers/Microsoft.Compute/skus", token,
                                  api="2021-07-01", **{"$filter": "location eq 'westeurope'"})
    d4 = next(s for s in skus["value"] if s["name"] == "Standard_D4s_v5")
    assert (d4["family"], d4["capabilities"]) == ("standardDSv5Family", [{"name": "vCPUs", "value": "4"}])


async def test_preview_features_are_listed_per_subscription_and_registered(northwind):
    sb, arm = northwind
    token = f"sandbox.{NORTHWIND}"
    feature = "/providers/Microsoft.Features/providers/Microsoft.Compute/features/EncryptionAtHost"
    states = {}
    for sub in (APPS, PRODUCTION):
        _, body = await arm.call("GET", f"/subscriptions/{sub}/providers/Microsoft.Features/features", token,
                                 api="2021-07-01")
        states[sub] = {f["name"]: f["properties"]["state"] for f in body["value"]}
    assert states == {APPS: {"Microsoft.Compute/EncryptionAtHost": "Registered"},
                      PRODUCTION: {"Microsoft.Compute/EncryptionAtHost": "NotRegistered"}}
    status, body = await arm.call("POST", f"/subscriptions/{PRODUCTION}{feature}/register", token, api="2021-07-01")
    assert (status, body["properties"]["state"]) == (200, "Registered")
    status, body = await arm.call("GET", f"/subscriptions/{PRODUCTION}{feature}", token, api="2021-07-01")
    assert body["properties"]["state"] == "Registered"


async def test_three_subscriptions_are_coupled_by_a_peering_and_a_shared_workspace(northwind):
    sb, arm = northwind
    token = f"sandbox.{NORTHWIND}"
    _, subs = await arm.call("GET", "/subscriptions", token, api="2022-12-01")
    assert sorted((s["displayName"], s["subscriptionPolicies"]["quotaId"]) for s in subs["value"]) == [
        ("Northwind Apps", "PayAsYouGo_2014-09-01"), ("Northwind Data", "PayAsYouGo_2014-09-01"),
        ("Northwind Production", "PayAsYouGo_2014-09-01")]
    hub = f"/subscriptions/{PRODUCTION}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"
    status, peering = await arm.call("GET", f"{hub}/virtualNetworkPeerings/hub-to-apps", token, api="2024-05-01")
    assert status == 200
    assert f"/subscriptions/{APPS}/" in peering["properties"]["remoteVirtualNetwork"]["id"]
    storage = (f"/subscriptions/{DATA}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/"
               "stnorthwinddata")
    status, settings = await arm.call("GET", f"{storage}/providers/Microsoft.Insights/diagnosticSettings", token,
                                      api="2021-05-01-preview")
    assert status == 200
    assert [s["properties"]["workspaceId"] for s in settings["value"]] == [
        f"/subscriptions/{PRODUCTION}/resourceGroups/rg-monitor/providers/Microsoft.OperationalInsights/workspaces/"
        "law-northwind"]
