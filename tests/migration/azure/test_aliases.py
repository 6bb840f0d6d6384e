"""CSP subscriptions created through the subscription alias API, in the partner's tenant, against the sandbox:
one per (request, source) alias name, found again by a retry, a restart or a process killed mid-creation, and
never mistaken for another subscription asked for under that name."""

from __future__ import annotations

import os
import signal

import pytest

from migration.azure.gateway import ArmGateway
from migration.model import ArmError, Workload, alias_name
from sandbox import Sandbox
from tests.support.processes import python_process
from tests.support.sandbox import GatewayFactory, SandboxFactory

CONTOSO, WOODGROVE = "0c0a7050-0000-4000-8000-000000000001", "00dd9709-0000-4000-8000-000000000003"
PAYG = "0c0a7050-5ab1-4000-8000-000000000001"
ACCOUNT = "9a47e000-0000-4000-8000-0000000000b1:9a47e000-0000-4000-8000-0000000000b2_2019-05-31"
SCOPE = f"/providers/Microsoft.Billing/billingAccounts/{ACCOUNT}/customers/{CONTOSO}"
NAME = "Contoso Pay-As-You-Go (CSP)"


def named(sb: Sandbox, display_name: str = NAME) -> list[str]:
    return [s.id for s in sb.world.subscriptions.values() if s.display_name == display_name]


async def ask(gw: ArmGateway, request: str = "MR-1", *, name: str = NAME, scope: str = SCOPE):
    return await gw.for_partner().aliases.begin_create_subscription(
        alias_name(request, PAYG), display_name=name, workload=Workload.PRODUCTION, billing_scope=scope,
        tags={"migratedFrom": PAYG, "moveRequest": request})


@pytest.fixture
async def contoso(sandbox_factory: SandboxFactory) -> Sandbox:
    return await sandbox_factory("contoso", lro_seconds=0.5)


async def test_one_csp_subscription_per_request_and_source(contoso: Sandbox, gateway_factory: GatewayFactory):
    gw = gateway_factory(contoso)
    created = await (await ask(gw)).wait()
    assert created.succeeded and created.display_name == NAME
    sub = contoso.world.sub(created.subscription_id)
    assert (sub.tenant_id, sub.quota_id) == (CONTOSO, "CSP_2015-05-01")
    assert sub.tags == {"migratedFrom": PAYG, "moveRequest": "MR-1"}, "the tags say where it came from"

    again = await ask(gateway_factory(contoso))  # a retry, from a gateway that knows nothing of the first
    assert (await again.wait()).subscription_id == created.subscription_id
    assert named(contoso) == [created.subscription_id]
    other = await (await ask(gw, "MR-2")).wait()  # another request is another subscription
    assert other.subscription_id != created.subscription_id and len(named(contoso)) == 2


async def test_an_alias_that_asked_for_another_subscription_is_refused(contoso: Sandbox,
                                                                      gateway_factory: GatewayFactory):
    gw = gateway_factory(contoso)
    await (await ask(gw)).wait()
    woodgrove = f"/providers/Microsoft.Billing/billingAccounts/{ACCOUNT}/customers/{WOODGROVE}"
    with pytest.raises(ArmError) as refused:
        await ask(gw, name="Woodgrove (CSP)", scope=woodgrove)
    assert refused.value.code == "AliasNameTaken" and NAME in refused.value.error.message
    assert named(contoso, "Woodgrove (CSP)") == []


async def test_a_process_killed_while_azure_creates_it_finds_the_same_subscription(tmp_path,
                                                                                   sandbox_factory: SandboxFactory):
    sb = await sandbox_factory("contoso", lro_seconds=3.0)
    args = ("-m", "tests.support.subscription_creator", "--arm", sb.url, "--ca", str(sb.ca_path),
            "--request", "MR-7", "--source", PAYG, "--scope", SCOPE, "--name", NAME)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    async with python_process(*args, ready="ASKED", env=env) as (proc, _):
        os.killpg(proc.pid, signal.SIGKILL)  # Azure said Accepted; the subscription is not there yet
        await proc.wait()
    assert named(sb) == [] and len(sb.world.partner.aliases) == 1
    async with python_process(*args, ready="CREATED", env=env) as (proc, fields):
        await proc.wait()
    assert named(sb) == [fields["subscription"]], "exactly one subscription, the one first asked for"
    assert len(sb.world.partner.aliases) == 1
