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
        await gateway.for_tenant(FABRIKAM).providers.register_provider(CSP, namespace)
    return gateway


async def _refusals(gw, *resource_ids: str) -> set[str]:
    group = resource_ids[0].split("/")[4]
    try:
        op = await gw.for_tenant(FABRIKAM).moves.begin_validate(PAYG, group, resource_ids=list(resource_ids),
                                                                target_group_id=TARGET)
        await op.wait()
    except ArmError as exc:
        return {inner.code for d in exc.error.details for inner in d.details}
    return set()


async def test_an_app_moves_only_without_its_vnet_integration_and_gets_it_back(gw):
    azure = gw.for_tenant(FABRIKAM)
    assert await azure.web.get_vnet_integration(SITE) == APPS
    assert "AppWithVirtualNetworkIntegrationCannotBeMoved" in await _refusals(gw, SITE)

    await (await azure.web.begin_remove_vnet_integration(SITE)).wait()
    assert await azure.web.get_vnet_integration(SITE) == ""
    assert "AppWithVirtualNetworkIntegrationCannotBeMoved" not in await _refusals(gw, SITE)
    await (await azure.web.begin_remove_vnet_integration(SITE)).wait()  # already gone: not an error

    await (await azure.web.begin_set_vnet_integration(SITE, subnet_id=APPS)).wait()
    assert await azure.web.get_vnet_integration(SITE) == APPS


async def test_integration_with_a_subnet_that_does_not_exist_is_refused_and_changes_nothing(gw):
    azure = gw.for_tenant(FABRIKAM)
    await (await azure.web.begin_remove_vnet_integration(SITE)).wait()
    with pytest.raises(NotFound):
        await (await azure.web.begin_set_vnet_integration(SITE, subnet_id=f"{VNET}/subnets/nope")).wait()
    assert await azure.web.get_vnet_integration(SITE) == ""
    with pytest.raises(NotFound):
        await azure.web.get_vnet_integration(SITE.replace("app-1", "gone"))


async def test_a_network_moves_only_once_its_subnet_has_no_nat_gateway(gw):
    azure = gw.for_tenant(FABRIKAM)
    assert await azure.network.get_subnet_nat_gateway(VNET, "egress") == NAT
    assert "SubnetWithNatGatewayCannotBeMoved" in await _refusals(gw, VNET)

    await (await azure.network.begin_remove_subnet_nat_gateway(VNET, "egress")).wait()
    assert await azure.network.get_subnet_nat_gateway(VNET, "egress") == ""
    assert await azure.network.get_subnet_nat_gateway(VNET, "apps") == ""
    assert await _refusals(gw, VNET) == set()
    # The subnet kept the rest of its properties (the PUT replaces the whole subnet).
    vnet = next(r for r in await azure.inventory.list_resources(PAYG) if r.id.lower() == VNET.lower())
    egress = next(s for s in vnet.properties["subnets"] if s["name"] == "egress")
    assert egress["properties"]["addressPrefix"] == "10.20.2.0/24"
    await (await azure.network.begin_remove_subnet_nat_gateway(VNET, "egress")).wait()  # a second time changes nothing


async def test_an_app_with_a_private_endpoint_is_refused_by_the_dry_run(gw):
    assert "AppWithPrivateEndpointCannotBeMoved" in await _refusals(gw, PRIVATE_SITE)
