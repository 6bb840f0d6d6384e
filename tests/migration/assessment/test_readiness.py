"""Target readiness, end to end through the real gateway and the sandbox's three-subscriptions customer: a new CSP
subscription's default vCPU quota holds back the group whose VMs need more (with the quota request), the preview
feature the source registered is asked for in the target, and both clear once the target has them."""

from __future__ import annotations

import pytest

from migration.assessment.assess import assess
from migration.model import Severity, Verdict
from sandbox import Sandbox
from sandbox.state import Group, Res, Sub
from tests.support.builders import of_rule
from tests.support.sandbox import GatewayFactory, SandboxFactory

NORTHWIND = "4e0a7d00-0000-4000-8000-000000000001"
PRODUCTION, APPS = "4e0a7d00-5ab1-4000-8000-00000000000a", "4e0a7d00-5ab1-4000-8000-00000000000b"
CSP = "4e0a7d00-c5b1-4000-8000-0000000000c1"


@pytest.fixture
async def northwind(sandbox_factory: SandboxFactory) -> Sandbox:
    sb = await sandbox_factory("three-subscriptions")
    # The partner created the customer's CSP subscription (defaults: 20 regional vCPUs, 10 per family).
    sb.world.subscriptions[CSP] = Sub(CSP, NORTHWIND, "Northwind Azure plan", quota_id="CSP_2015-05-01")
    return sb


async def test_a_quota_shortfall_holds_the_group_back_with_the_request_it_needs(
        northwind: Sandbox, gateway_factory: GatewayFactory) -> None:
    gw = gateway_factory(northwind)
    result = await assess(gw, tenant_id=NORTHWIND, source_subscription_id=APPS, target_subscription_id=CSP)
    [quota] = of_rule(result, "Q1")
    assert quota.severity is Severity.BLOCKER and quota.resource_group == "rg-apps"
    assert "standardDSv5Family" in quota.message and "need 12 vCPUs" in quota.message and "10 free" in quota.message
    assert quota.fix is not None
    assert quota.fix.command.posix() == (
        "az quota update --resource-name standardDSv5Family --scope "
        f"/subscriptions/{CSP}/providers/Microsoft.Compute/locations/westeurope --limit-object value=12 "
        "--resource-type dedicated")
    assert {g.name: g.verdict for g in result.groups}["rg-apps"] is Verdict.BLOCKED

    northwind.world.sub(CSP).quotas["westeurope"] = {"standardDSv5Family": 12}  # the request granted
    again = await assess(gw, tenant_id=NORTHWIND, source_subscription_id=APPS, target_subscription_id=CSP)
    assert of_rule(again, "Q1") == []


async def test_the_regional_total_counts_too(northwind: Sandbox, gateway_factory: GatewayFactory) -> None:
    northwind.world.sub(CSP).quotas["westeurope"] = {"standardDSv5Family": 100, "cores": 16}
    northwind.world.sub(CSP).groups.clear()
    gw = gateway_factory(northwind)
    # Already running 6 vCPUs in the target leaves 10 of the region's 16 for the 12 the move brings.
    group = Group(CSP, "rg-existing", "westeurope")
    vm = Res(CSP, "rg-existing", "vm-there", "Microsoft.Compute/virtualMachines", "westeurope",
             properties={"hardwareProfile": {"vmSize": "Standard_D4s_v5"}})
    other = Res(CSP, "rg-existing", "vm-small", "Microsoft.Compute/virtualMachines", "westeurope",
                properties={"hardwareProfile": {"vmSize": "Standard_B2s"}})
    group.resources = {vm.id.lower(): vm, other.id.lower(): other}
    northwind.world.sub(CSP).groups["rg-existing"] = group
    northwind.server.invalidate()
    result = await assess(gw, tenant_id=NORTHWIND, source_subscription_id=APPS, target_subscription_id=CSP)
    [quota] = of_rule(result, "Q1")
    assert "need 12 vCPUs there in all" in quota.message and "10 free (limit 16)" in quota.message
    assert "--resource-name cores" in quota.fix.command.posix() and "value=18" in quota.fix.command.posix()


async def test_a_preview_feature_of_the_source_is_asked_for_in_the_target(
        northwind: Sandbox, gateway_factory: GatewayFactory) -> None:
    gw = gateway_factory(northwind)
    result = await assess(gw, tenant_id=NORTHWIND, source_subscription_id=APPS, target_subscription_id=CSP)
    [feature] = of_rule(result, "F1")
    assert feature.severity is Severity.WARNING and "Microsoft.Compute/EncryptionAtHost" in feature.message
    assert feature.fix is not None and feature.fix.command.posix() == (
        f"az feature register --namespace Microsoft.Compute --name EncryptionAtHost --subscription {CSP}")
    # A source without the feature asks for nothing.
    other = await assess(gw, tenant_id=NORTHWIND, source_subscription_id=PRODUCTION, target_subscription_id=CSP)
    assert of_rule(other, "F1") == [] and of_rule(other, "Q1") == []

    northwind.world.sub(CSP).features["microsoft.compute/encryptionathost"] = ("Microsoft.Compute/EncryptionAtHost",
                                                                             "Registered")
    again = await assess(gw, tenant_id=NORTHWIND, source_subscription_id=APPS, target_subscription_id=CSP)
    assert of_rule(again, "F1") == []


async def test_without_a_target_readiness_is_not_guessed(northwind: Sandbox, gateway_factory: GatewayFactory) -> None:
    result = await assess(gateway_factory(northwind), tenant_id=NORTHWIND, source_subscription_id=APPS)
    assert of_rule(result, "Q1") == [] and of_rule(result, "F1") == []
