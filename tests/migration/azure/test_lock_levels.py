"""A lock lifted and put back at each scope the bot meets (subscription, resource group, resource, child
resource): the real Azure SDK over HTTPS against the sandbox, which routes on the raw path as ARM does, so a
scope whose slashes were percent-encoded would not reach the lock at all."""

from __future__ import annotations

import pytest

from tests.support.sandbox import FABRIKAM, PAYG, arm_id, group_id

SUBSCRIPTION = f"/subscriptions/{PAYG}"
GROUP = group_id(PAYG, "rg-locked")
STORAGE = arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")
DATABASE = arm_id(PAYG, "rg-app", "Microsoft.Sql/servers/sql-1/databases/db-1")


def _locks_at(locks, scope):
    return {(lk.name, lk.level, lk.notes) for lk in locks if lk.scope.lower() == scope.lower()}


@pytest.mark.parametrize(("scope", "lock"), [
    (SUBSCRIPTION, ("keep-sub", "CanNotDelete", "Subscription-wide delete protection")),
    (GROUP, ("freeze", "ReadOnly", "Change freeze")),
    (STORAGE, ("keep-storage", "CanNotDelete", None)),
], ids=["subscription", "group", "resource"])
async def test_a_lock_is_lifted_and_put_back_at_its_scope(gateway, sandbox, scope, lock):
    name, level, notes = lock
    azure = gateway.for_tenant(FABRIKAM)
    assert _locks_at(await azure.locks.list_locks(PAYG), scope) == {lock}

    await azure.locks.delete_lock(scope, name=name)
    assert _locks_at(await azure.locks.list_locks(PAYG), scope) == set()
    await azure.locks.delete_lock(scope, name=name)  # already gone: not an error

    restored = await azure.locks.create_lock(scope, name=name, level=level, notes=notes)
    assert (restored.name, restored.level, restored.notes, restored.scope.lower()) == (*lock, scope.lower())
    assert _locks_at(await azure.locks.list_locks(PAYG), scope) == {lock}
    applied = sandbox.stats()["applied_by_operation"]
    assert (applied["ManagementLocks_DeleteByScope"], applied["ManagementLocks_CreateOrUpdateByScope"]) == (2, 1)


async def test_a_lock_on_a_child_resource_is_put_on_and_lifted(gateway, sandbox):
    azure = gateway.for_tenant(FABRIKAM)
    lock = await azure.locks.create_lock(DATABASE, name="keep-db", level="CanNotDelete", notes="Keep the data")
    assert (lock.name, lock.scope.lower()) == ("keep-db", DATABASE.lower())
    assert sandbox.world.resource(DATABASE).locks == [{"name": "keep-db", "level": "CanNotDelete",
                                                       "notes": "Keep the data"}]
    await azure.locks.delete_lock(DATABASE, name="keep-db")
    assert sandbox.world.resource(DATABASE).locks == []
