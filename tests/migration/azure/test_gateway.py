"""The Azure gateway over real HTTPS, with the real Azure SDK, against the ARM sandbox."""

from __future__ import annotations

import asyncio
import time

import pytest

from migration.azure.gateway import create_gateway
from migration.model import ArmError, NotFound, TenantAccessDenied
from tests.support.sandbox import (
    CSP,
    FABRIKAM,
    NORTHWIND,
    NORTHWIND_SUB,
    PAYG,
    TAILSPIN,
    arm_id,
    group_id,
)

TARGET = group_id(CSP, "rg-target")
VM1 = arm_id(PAYG, "rg-app", "Microsoft.Compute/virtualMachines/vm-1")
APP_TOP_LEVEL = [
    arm_id(PAYG, "rg-app", p) for p in (
        "Microsoft.Compute/disks/vm-1-osdisk", "Microsoft.Network/networkInterfaces/vm-1-nic",
        "Microsoft.Compute/virtualMachines/vm-1", "Microsoft.Sql/servers/sql-1",
        "Microsoft.Storage/storageAccounts/stapp1",
    )
]


async def test_tenant_resolution(gateway):
    assert await gateway.resolve_tenant(FABRIKAM) == FABRIKAM
    assert await gateway.resolve_tenant("fabrikam.onmicrosoft.com") == FABRIKAM
    assert await gateway.resolve_tenant("northwind.onmicrosoft.com") == NORTHWIND
    with pytest.raises(NotFound, match="contoso-typo.example"):
        await gateway.resolve_tenant("contoso-typo.example")
    with pytest.raises(NotFound):
        await gateway.resolve_tenant("not a tenant")


async def test_subscriptions_are_those_of_the_customer_tenant(gateway):
    azure = gateway.for_tenant(FABRIKAM)
    subs = await azure.subscriptions.list_subscriptions()
    assert {s.id for s in subs} == {PAYG, CSP}
    payg = await azure.subscriptions.get_subscription(PAYG)
    assert (payg.tenant_id, payg.state, payg.quota_id, payg.spending_limit) == (
        FABRIKAM, "Enabled", "PayAsYouGo_2014-09-01", "Off")
    assert (await azure.subscriptions.get_subscription(CSP)).quota_id == "CSP_2015-05-01"


async def test_tenant_without_partner_access_and_foreign_subscriptions(gateway):
    with pytest.raises(TenantAccessDenied) as denied:
        await gateway.for_tenant(TAILSPIN).subscriptions.list_subscriptions()
    assert denied.value.code == "InvalidAuthenticationTokenTenant"
    azure_fabrikam = gateway.for_tenant(FABRIKAM)
    with pytest.raises(TenantAccessDenied):
        await azure_fabrikam.subscriptions.get_subscription(NORTHWIND_SUB)
    with pytest.raises(NotFound) as missing:
        await azure_fabrikam.subscriptions.get_subscription("dddddddd-0000-4000-8000-000000000000")
    assert missing.value.code == "SubscriptionNotFound"


async def test_groups_inventory_locks_and_providers(gateway):
    azure = gateway.for_tenant(FABRIKAM)
    groups = {g.name: g for g in await azure.groups.list_groups(PAYG)}
    assert {"rg-app", "rg-locked", "rg-web"} <= set(groups)
    assert groups["rg-app"].tags == {"env": "prod"} and groups["rg-app"].location == "westeurope"

    resources = {r.id: r for r in await azure.inventory.list_resources(PAYG)}
    db = resources[arm_id(PAYG, "rg-app", "Microsoft.Sql/servers/sql-1/databases/db-1")]
    assert db.type_lower == "microsoft.sql/servers/databases" and db.sku == {"name": "S0", "tier": "Standard"}
    vm = resources[VM1]
    assert vm.resource_group == "rg-app" and vm.provisioning_state == "Succeeded"
    assert vm.properties["hardwareProfile"] == {"vmSize": "Standard_B2s"}
    failed = resources[arm_id(PAYG, "rg-failed", "Microsoft.Storage/storageAccounts/st-failed")]
    assert failed.provisioning_state == "Failed"

    locks = {lock.name: lock for lock in await azure.locks.list_locks(PAYG)}
    assert locks["freeze"].level == "ReadOnly" and locks["freeze"].scope == group_id(PAYG, "rg-locked")
    assert locks["keep-sub"].scope == f"/subscriptions/{PAYG}"
    assert locks["keep-storage"].scope == arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")

    providers = {p.namespace: p for p in await azure.providers.list_providers(CSP)}
    assert not providers["Microsoft.Web"].registered and providers["Microsoft.Compute"].registered
    await azure.providers.register_provider(CSP, "Microsoft.Web")
    providers = {p.namespace: p for p in await azure.providers.list_providers(CSP)}
    assert providers["Microsoft.Web"].registered


async def test_ensure_resource_group_creates_once(gateway, sandbox):
    azure = gateway.for_tenant(FABRIKAM)
    created = await azure.groups.ensure_group(CSP, "rg-new", location="northeurope")
    assert (created.id, created.location) == (group_id(CSP, "rg-new"), "northeurope")
    again = await azure.groups.ensure_group(CSP, "rg-new", location="westeurope")
    assert again.location == "northeurope"  # the existing group, unchanged
    assert sandbox.stats()["by_operation"]["ResourceGroups_CreateOrUpdate"] == 1
    assert "rg-new" in {g.name for g in await azure.groups.list_groups(CSP)}


async def test_inventory_pages_over_2500_resources(sandbox_factory, gateway_factory):
    sb = await sandbox_factory(generate="resources=2500,groups=5")
    gw = gateway_factory(sb)
    tenant = sb.world.subscriptions[next(iter(sb.world.subscriptions))].tenant_id
    source = next(iter(sb.world.subscriptions.values())).id
    progress: list[tuple[int, int | None]] = []

    async def on_progress(done: int, total: int | None) -> None:
        progress.append((done, total))

    resources = await gw.for_tenant(tenant).inventory.list_resources(source, on_progress=on_progress)
    assert len({r.id for r in resources}) == 2500
    assert progress == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert sb.stats()["by_operation"] == {"Resources": 3}  # one call per 1000 rows, none per resource


async def test_validation_failure_carries_nested_details(gateway):
    # vm-3 needs a NIC in another group: the dependency error hides inside `message` as JSON.
    azure = gateway.for_tenant(FABRIKAM)
    op = await azure.moves.begin_validate(
        PAYG, "rg-split", resource_ids=[arm_id(PAYG, "rg-split", "Microsoft.Compute/virtualMachines/vm-3")],
        target_group_id=TARGET)
    with pytest.raises(ArmError) as failed:
        await op.wait()
    assert failed.value.status == 409 and failed.value.code == "ResourceMoveProviderValidationFailed"
    missing = [d for d in failed.value.error.walk() if d.code == "MissingMoveDependentResources"]
    assert [d.target for d in missing] == [arm_id(PAYG, "rg-net", "Microsoft.Network/networkInterfaces/vm-3-nic")]

    kv1 = arm_id(PAYG, "rg-scripted", "Microsoft.KeyVault/vaults/kv-1")
    op = await azure.moves.begin_validate(PAYG, "rg-scripted", resource_ids=[kv1], target_group_id=TARGET)
    with pytest.raises(ArmError) as scripted:
        await op.wait()
    (outer,) = scripted.value.error.details
    assert (outer.code, outer.target) == ("CannotMoveResource", "Microsoft.KeyVault/vaults")
    assert [(d.code, d.target) for d in outer.details] == [("KeyVaultUsedForDiskEncryption", kv1)]

    aks = arm_id(PAYG, "rg-aks", "Microsoft.ContainerService/managedClusters/aks-1")
    op = await azure.moves.begin_validate(PAYG, "rg-aks", resource_ids=[aks], target_group_id=TARGET)
    with pytest.raises(ArmError) as unsupported:
        await op.wait()
    assert unsupported.value.code == "ResourceMoveValidationFailed"
    assert [(d.code, d.target) for d in unsupported.value.error.details] == [("ResourceMoveNotSupported", aks)]


async def test_valid_request_validates(gateway, sandbox):
    azure = gateway.for_tenant(FABRIKAM)
    op = await azure.moves.begin_validate(PAYG, "rg-app", resource_ids=APP_TOP_LEVEL,
                                          target_group_id=TARGET)
    await op.wait()
    assert sandbox.stats()["lro_polls"] >= 1
    # validation moves nothing
    assert VM1 in {r.id for r in await azure.inventory.list_resources(PAYG)}


@pytest.mark.parametrize(
    ("group", "ids", "target", "status", "code"),
    [
        ("rg-app", [VM1] * 801, TARGET, 400, "BadRequest"),
        ("rg-app", [arm_id(PAYG, "rg-app", "Microsoft.Sql/servers/sql-1/databases/db-1")], TARGET, 400,
         "ResourceNotTopLevel"),
        ("rg-app", [VM1], group_id(NORTHWIND_SUB, "rg-other"), 403, "AuthorizationFailed"),
        ("rg-web", [arm_id(PAYG, "rg-web", "Microsoft.Web/sites/app-1")], TARGET, 400,
         "MissingSubscriptionRegistration"),
        ("rg-locked", [arm_id(PAYG, "rg-locked", "Microsoft.Storage/storageAccounts/stlocked1")], TARGET, 409,
         "ScopeLocked"),
        ("rg-app", [VM1], group_id(CSP, "rg-missing"), 400, "ResourceGroupNotFound"),
    ],
    ids=["over-800", "child-id", "other-tenant", "unregistered-provider", "read-only-lock", "no-target-group"],
)
async def test_front_door_refusals(gateway, sandbox, group, ids, target, status, code):
    started = time.monotonic()
    with pytest.raises(ArmError) as refused:
        await gateway.for_tenant(FABRIKAM).moves.begin_move(PAYG, group, resource_ids=ids, target_group_id=target)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert time.monotonic() - started < 1  # refused at once, not retried
    assert sandbox.stats()["moves"] == {}


async def test_move_really_moves_and_resumes_in_a_fresh_gateway(sandbox, gateway_factory):
    first = gateway_factory(sandbox)
    azure_fabrikam = first.for_tenant(FABRIKAM)
    op = await azure_fabrikam.moves.begin_move(PAYG, "rg-app", resource_ids=APP_TOP_LEVEL, target_group_id=TARGET)
    token = op.continuation_token()
    await first.close()  # the bot restarts

    second = gateway_factory(sandbox)
    azure_fabrikam = second.for_tenant(FABRIKAM)
    await (await azure_fabrikam.moves.resume(token)).wait()
    moved = {r.id for r in await azure_fabrikam.inventory.list_resources(CSP)}
    assert arm_id(CSP, "rg-target", "Microsoft.Compute/virtualMachines/vm-1") in moved
    assert arm_id(CSP, "rg-target", "Microsoft.Sql/servers/sql-1/databases/db-1") in moved  # child followed
    left = {r.id for r in await azure_fabrikam.inventory.list_resources(PAYG)}
    assert not any("/resourceGroups/rg-app/" in rid for rid in left)
    locks = {lock.name: lock.scope for lock in await azure_fabrikam.locks.list_locks(CSP)}
    assert locks["keep-storage"] == arm_id(CSP, "rg-target", "Microsoft.Storage/storageAccounts/stapp1")
    assert sandbox.stats()["moves"] == {"started": 1, "succeeded": 1}


async def test_groups_are_locked_while_a_move_runs(sandbox, gateway):
    sandbox.set_lro_seconds(1.0)
    disk = arm_id(PAYG, "rg-app", "Microsoft.Compute/disks/vm-1-osdisk")
    azure = gateway.for_tenant(FABRIKAM)
    op = await azure.moves.begin_move(PAYG, "rg-app",
                                      resource_ids=[arm_id(PAYG, "rg-app", "Microsoft.Sql/servers/sql-1")],
                                      target_group_id=TARGET)
    with pytest.raises(ArmError) as second_move:
        await azure.moves.begin_move(PAYG, "rg-app", resource_ids=[disk],
                                     target_group_id=group_id(CSP, "rg-target2"))
    assert (second_move.value.status, second_move.value.code) == (409, "ResourceMoveInProgress")
    with pytest.raises(ArmError) as into_target:
        await azure.moves.begin_validate(PAYG, "rg-split", resource_ids=[
            arm_id(PAYG, "rg-split", "Microsoft.Compute/virtualMachines/vm-3")], target_group_id=TARGET)
    assert into_target.value.status == 409
    await op.wait()
    sandbox.set_lro_seconds(0.3)
    # unlocked once done: the disk can go now
    await (await azure.moves.begin_validate(PAYG, "rg-app", resource_ids=[disk, VM1, arm_id(
        PAYG, "rg-app", "Microsoft.Network/networkInterfaces/vm-1-nic")], target_group_id=TARGET)).wait()


async def test_scripted_move_failure_moves_nothing(gateway, sandbox):
    kv2 = arm_id(PAYG, "rg-scripted", "Microsoft.KeyVault/vaults/kv-2")
    azure = gateway.for_tenant(FABRIKAM)
    await (await azure.moves.begin_validate(PAYG, "rg-scripted", resource_ids=[kv2],
                                            target_group_id=TARGET)).wait()
    op = await azure.moves.begin_move(PAYG, "rg-scripted", resource_ids=[kv2], target_group_id=TARGET)
    with pytest.raises(ArmError) as failed:
        await op.wait()
    assert [d.code for d in failed.value.error.walk()][-1] == "ResourceMoveFailed"
    assert kv2 in {r.id for r in await azure.inventory.list_resources(PAYG)}
    assert sandbox.stats()["moves"] == {"started": 1, "failed": 1}


async def test_injected_job_failure(gateway, sandbox):
    sandbox.set_faults(lro_failure_rate=1.0)
    azure = gateway.for_tenant(FABRIKAM)
    op = await azure.moves.begin_move(PAYG, "rg-app", resource_ids=APP_TOP_LEVEL, target_group_id=TARGET)
    with pytest.raises(ArmError) as failed:
        await op.wait()
    assert failed.value.code == "ResourceMoveFailed"
    assert VM1 in {r.id for r in await azure.inventory.list_resources(PAYG)}


async def test_429_and_503_are_retried_to_success(gateway, sandbox):
    sandbox.set_faults(rate_429=1.0, limit=2, retry_after=0.05)
    azure = gateway.for_tenant(FABRIKAM)
    assert len(await azure.groups.list_groups(PAYG)) == 8
    assert sandbox.stats()["faults"] == {"429": 2}
    assert sandbox.stats()["by_operation"]["ResourceGroups_List"] == 3

    sandbox.reset_stats()
    sandbox.set_faults(rate_429=0.0, rate_503=1.0, limit=1, operations=("Resources_MoveResources",))
    op = await azure.moves.begin_move(PAYG, "rg-app", resource_ids=APP_TOP_LEVEL, target_group_id=TARGET)
    await op.wait()
    stats = sandbox.stats()
    assert stats["faults"] == {"503": 1} and stats["by_operation"]["Resources_MoveResources"] == 2
    assert stats["moves"] == {"started": 1, "succeeded": 1}


async def test_real_token_buckets_throttle_and_the_sdk_waits(sandbox, gateway):
    started = time.monotonic()
    results = await asyncio.gather(*(gateway.for_tenant(FABRIKAM).inventory.list_resources(PAYG) for _ in range(20)))
    assert all(len(r) == 16 for r in results)  # every query answered in the end
    assert sandbox.stats()["throttled_429"] >= 1  # Resource Graph: 15 queries per 5 s
    assert time.monotonic() - started >= 0.3  # a 429 announces when the next token is due (1/3 s)


async def test_dropped_connections_on_reads_are_retried(gateway, sandbox):
    sandbox.set_faults(rate_drop=1.0, limit=1, operations=("ResourceGroups_List",))
    azure = gateway.for_tenant(FABRIKAM)
    assert len(await azure.groups.list_groups(PAYG)) == 8
    sandbox.set_faults(rate_drop=1.0, limit=1, operations=("Resources",))
    assert len(await azure.inventory.list_resources(PAYG)) == 16
    stats = sandbox.stats()
    assert stats["faults"] == {"drop": 2}
    assert stats["by_operation"]["ResourceGroups_List"] == 2 and stats["by_operation"]["Resources"] == 2


async def test_dropped_move_request_is_not_sent_twice(gateway, sandbox):
    sandbox.set_faults(rate_drop=1.0, limit=1, operations=("Resources_MoveResources",))
    azure = gateway.for_tenant(FABRIKAM)
    with pytest.raises(ArmError) as lost:
        await azure.moves.begin_move(PAYG, "rg-app", resource_ids=APP_TOP_LEVEL, target_group_id=TARGET)
    assert lost.value.code == "ConnectionLost" and lost.value.status is None
    assert sandbox.stats()["by_operation"]["Resources_MoveResources"] == 1  # the SDK did not resend the POST
    # The move did start: sending it again is refused while it holds the groups.
    with pytest.raises(ArmError) as again:
        await azure.moves.begin_move(PAYG, "rg-app", resource_ids=APP_TOP_LEVEL, target_group_id=TARGET)
    assert again.value.code == "ResourceMoveInProgress"
    await asyncio.sleep(0.4)
    moved = [r.id for r in await azure.inventory.list_resources(CSP)]
    assert moved.count(arm_id(CSP, "rg-target", "Microsoft.Compute/virtualMachines/vm-1")) == 1
    assert sandbox.stats()["moves"] == {"started": 1, "succeeded": 1}


def test_sandbox_credential_is_refused_off_loopback():
    with pytest.raises(ValueError, match="loopback"):
        create_gateway(credential="sandbox", endpoint="https://management.azure.com", ca_bundle=None,
                       authority_host="https://login.microsoftonline.com")
    with pytest.raises(ValueError, match="AZURE_CREDENTIAL"):
        create_gateway(credential="secret", endpoint="https://127.0.0.1:1", ca_bundle=None,
                       authority_host="https://127.0.0.1:1")
