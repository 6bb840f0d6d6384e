"""What keeps the gateway cheap on the wire: one reused connection, no wasted status polls, and a sandbox whose
cached Resource Graph answers still follow the writes."""

from __future__ import annotations

from migration.azure.gateway import ArmGateway
from tests.support.sandbox import CSP, FABRIKAM, PAYG, arm_id, group_id

STAPP = arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")


def _pooled(gw: ArmGateway) -> int:
    connector = gw._connector
    assert connector is not None
    return sum(len(conns) for conns in connector._conns.values())


async def test_every_client_of_the_gateway_shares_one_kept_alive_connection(gateway):
    # Different SDK clients (subscriptions, resources, locks, graph) and the tenant lookup, one after the other.
    await gateway.resolve_tenant("fabrikam.onmicrosoft.com")
    azure = gateway.for_tenant(FABRIKAM)
    for _ in range(5):
        await azure.subscriptions.get_subscription(PAYG)
        await azure.groups.list_groups(PAYG)
        await azure.locks.list_locks(PAYG)
        await azure.inventory.list_resources(PAYG)
    # A context per request (the SDK's `connection_verify=<path>`) left one idle connection per call.
    assert _pooled(gateway) == 1


async def test_a_started_validation_is_polled_once_after_its_retry_after(sandbox_factory, gateway_factory):
    sb = await sandbox_factory(lro_seconds=0.2, poll_interval=0.3)
    op = await gateway_factory(sb).for_tenant(FABRIKAM).moves.begin_validate(
        PAYG, "rg-app", resource_ids=[STAPP], target_group_id=group_id(CSP, "rg-target"))
    await op.wait()
    assert sb.stats()["lro_polls"] == 1  # azure-core alone polls at once too, before the job can be done


async def test_resumed_job_is_polled_at_once(sandbox_factory, gateway_factory):
    sb = await sandbox_factory(lro_seconds=0.0, poll_interval=5)
    gw = gateway_factory(sb)
    azure = gw.for_tenant(FABRIKAM)
    op = await azure.moves.begin_validate(PAYG, "rg-app", resource_ids=[STAPP],
                                          target_group_id=group_id(CSP, "rg-target"))
    resumed = await azure.moves.resume(op.continuation_token())
    await resumed.wait()  # would take 5 s if it waited the Retry-After first
    assert sb.stats()["lro_polls"] == 1


async def test_inventory_follows_a_move_although_graph_answers_are_cached(sandbox_factory, gateway_factory):
    sb = await sandbox_factory(lro_seconds=0.5)
    gw = gateway_factory(sb)
    azure = gw.for_tenant(FABRIKAM)
    before = {r.id for r in await azure.inventory.list_resources(PAYG)}
    assert STAPP in before
    op = await azure.moves.begin_move(PAYG, "rg-app", resource_ids=[STAPP], target_group_id=group_id(CSP, "rg-target"))
    # Read (and cached) while the job runs; the job then finishes on a later request, not on a write.
    assert {r.id for r in await azure.inventory.list_resources(PAYG)} == before
    await op.wait()
    after = {r.id for r in await azure.inventory.list_resources(PAYG)}
    assert after == before - {STAPP}
    moved = {r.id for r in await azure.inventory.list_resources(CSP)}
    assert arm_id(CSP, "rg-target", "Microsoft.Storage/storageAccounts/stapp1") in moved
