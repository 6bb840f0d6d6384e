"""Target readiness in the move journey, over real HTTP against the three-subscriptions sandbox: a new CSP
subscription's vCPU quota holds back the group whose VMs need more, and the card says so with the quota request;
once the quota is raised, the same move goes ahead."""

from __future__ import annotations

from sandbox.state import Sub
from tests.support import teams
from tests.support.cardtools import text_of, wait_update

NORTHWIND = "4e0a7d00-0000-4000-8000-000000000001"
APPS = "4e0a7d00-5ab1-4000-8000-00000000000b"
CSP = "4e0a7d00-c5b1-4000-8000-0000000000c1"


async def test_a_quota_shortfall_holds_the_group_back_until_the_quota_is_raised(start_bot, connector,
                                                                                sandbox_factory):
    sb = await sandbox_factory("three-subscriptions")
    sb.world.subscriptions[CSP] = Sub(CSP, NORTHWIND, "Northwind Azure plan", quota_id="CSP_2015-05-01")
    bot = await start_bot(ARM_ENDPOINT=sb.url, ARM_CA_BUNDLE=str(sb.ca_path), AZURE_AUTHORITY_HOST=sb.url,
                          AZURE_CREDENTIAL="sandbox")
    await bot.post(teams.message(f"move {NORTHWIND} {APPS} {CSP} rg-apps", connector.url))
    text = text_of(await wait_update(connector, "not ready", "Create target"))
    assert "rg-apps is not ready to move" in text and "nothing was planned or changed" in text
    assert "standardDSv5Family" in text and "need 12 vCPUs" in text and "10 free" in text
    assert ("az quota update --resource-name standardDSv5Family --scope "
            f"/subscriptions/{CSP}/providers/Microsoft.Compute/locations/westeurope --limit-object value=12") in text
    assert sb.world.sub(CSP).groups == {}, "nothing was created in the target"

    sb.world.sub(CSP).quotas["westeurope"] = {"standardDSv5Family": 12}  # the quota request granted
    connector.updated.clear()
    await bot.post(teams.message(f"move {NORTHWIND} {APPS} {CSP} rg-apps", connector.url))
    text = text_of(await wait_update(connector, "not ready", "Create target"))
    assert "Create target resource groups?" in text and "rg-apps" in text
