"""An app's VNet integration and a subnet's NAT gateway through the gateway: the real Azure SDK over HTTPS
against the sandbox, whose dry run refuses the app and the network until its own state changed."""

from __future__ import annotations

import pytest

from migration.model import ArmError, NotFound
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.app_network import APPS, NAT, PRIVATE_SITE, SITE, VNET, app_network_scenario

TARGET = group_id(CSP, "rg-target")


@pytest.fixture
async def gw(sandbox_factory, gateway_factory):
    gateway = gateway_factory(await sandbox_factory(app_network_scenario()))
    for namespace in ("Microsoft.Web", "Microsoft.Network"):  # the target takes both (not what is tested)
        await gateway.register_provider(CSP, namespace, tenant_id=FABRIKAM)
    return gateway


async def _refusals(gw, *resource_ids: str) -> set[str]:
    group = resource_ids[0].split("/")[4]
    try:
        op = await gw.begin_validate_move(PAYG, group, resource_ids=list(resource_ids),
                                          target_resource_group_id=TARGET, tenant_id=FABRIKAM)
        await op.wait()
    except ArmError as exc:
        return {inner.code for d in exc.error.details for inner in d.details}
    return set()


async def test_an_app_moves_only_without_its_vnet_integration_and_gets_it_back(gw):
    assert await gw.get_vnet_integration(SITE, tenant_id=FABRIKAM) == APPS
    assert "AppWithVirtualNetworkIntegrationCannotBeMoved" in await _refusals(gw, SITE)

    await gw.remove_vnet_integration(SITE, tenant_id=FABRIKAM)
    assert await gw.get_vnet_integration(SITE, tenant_id=FABRIKAM) == ""
    assert "AppWithVirtualNetworkIntegrationCannotBeMoved" not in await _refusals(gw, SITE)
    await gw.remove_vnet_integration(SITE, tenant_id=FABRIKAM)  # already gone: not an error

    await gw.set_vnet_integration(SITE, subnet_id=APPS, tenant_id=FABRIKAM)
    assert await gw.get_vnet_integration(SITE, tenant_id=FABRIKAM) == APPS


async def test_integration_with_a_subnet_that_does_not_exist_is_refused_and_changes_nothing(gw):
    await gw.remove_vnet_integration(SITE, tenant_id=FABRIKAM)
    with pytest.raises(NotFound):
        await gw.set_vnet_integration(SITE, subnet_id=f"{VNET}/subnets/nope", tenant_id=FABRIKAM)
    assert await gw.get_vnet_integration(SITE, tenant_id=FABRIKAM) == ""
    with pytest.raises(NotFound):
        await gw.get_vnet_integration(SITE.replace("app-1", "gone"), tenant_id=FABRIKAM)


async def test_a_network_moves_only_once_its_subnet_has_no_nat_gateway(gw):
    assert await gw.get_subnet_nat_gateway(VNET, "egress", tenant_id=FABRIKAM) == NAT
    assert "SubnetWithNatGatewayCannotBeMoved" in await _refusals(gw, VNET)

    await gw.remove_subnet_nat_gateway(VNET, "egress", tenant_id=FABRIKAM)
    assert await gw.get_subnet_nat_gateway(VNET, "egress", tenant_id=FABRIKAM) == ""
    assert await gw.get_subnet_nat_gateway(VNET, "apps", tenant_id=FABRIKAM) == ""
    assert await _refusals(gw, VNET) == set()
    # The subnet kept the rest of its properties (the PUT replaces the whole subnet).
    vnet = next(r for r in await gw.list_resources(PAYG, tenant_id=FABRIKAM) if r.id.lower() == VNET.lower())
    egress = next(s for s in vnet.properties["subnets"] if s["name"] == "egress")
    assert egress["properties"]["addressPrefix"] == "10.20.2.0/24"
    await gw.remove_subnet_nat_gateway(VNET, "egress", tenant_id=FABRIKAM)  # a second time changes nothing


async def test_an_app_with_a_private_endpoint_is_refused_by_the_dry_run(gw):
    assert "AppWithPrivateEndpointCannotBeMoved" in await _refusals(gw, PRIVATE_SITE)
