"""Locks, role assignments and role definitions through the gateway: the real Azure SDK over HTTPS against
the sandbox, which decides from its own facts (who exists, which roles are assignable where, who may act)."""

from __future__ import annotations

import logging
import uuid

import pytest

from migration.model import ArmError, RoleMissing
from tests.support.identities import APP, CONSENTED, PARTNER, SECRET, SUB
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.fixes import (
    ALICE,
    APP_OPERATOR,
    BOB,
    CONDITION,
    HUB,
    NIC1,
    NIC3,
    OPS,
    PIP,
    READER,
    STAPP1,
    VNET1,
    fixes_scenario,
)

LOCKED = group_id(PAYG, "rg-locked")
TARGET = group_id(CSP, "rg-target")


@pytest.fixture
async def gw(sandbox_factory, gateway_factory):
    return gateway_factory(await sandbox_factory(fixes_scenario()))


def _locks_at(locks, scope):
    return {(lk.name, lk.level, lk.notes) for lk in locks if lk.scope.lower() == scope.lower()}


async def test_a_read_only_lock_is_lifted_and_put_back_with_its_name_level_and_notes(gw):
    azure = gw.for_tenant(FABRIKAM)
    assert _locks_at(await azure.locks.list_locks(PAYG), LOCKED) == {("freeze", "ReadOnly", "Change freeze")}
    # While it holds, Azure refuses the move at the front door.
    with pytest.raises(ArmError, match="ScopeLocked"):
        await azure.moves.begin_validate(PAYG, "rg-locked", target_group_id=TARGET, resource_ids=[
            f"{LOCKED}/providers/Microsoft.Storage/storageAccounts/stlocked1"])

    await azure.locks.delete_lock(LOCKED, name="freeze")
    assert _locks_at(await azure.locks.list_locks(PAYG), LOCKED) == set()
    await azure.locks.delete_lock(LOCKED, name="freeze")  # already gone: not an error
    op = await azure.moves.begin_validate(PAYG, "rg-locked", target_group_id=TARGET, resource_ids=[
        f"{LOCKED}/providers/Microsoft.Storage/storageAccounts/stlocked1"])
    await op.wait()

    lock = await azure.locks.create_lock(LOCKED, name="freeze", level="ReadOnly", notes="Change freeze")
    assert (lock.name, lock.level, lock.notes, lock.scope) == ("freeze", "ReadOnly", "Change freeze", LOCKED)
    assert _locks_at(await azure.locks.list_locks(PAYG), LOCKED) == {("freeze", "ReadOnly", "Change freeze")}


async def test_locks_on_a_resource_and_a_new_scope(gw):
    azure = gw.for_tenant(FABRIKAM)
    await azure.locks.create_lock(STAPP1, name="keep-logs", level="CanNotDelete", notes=None)
    await azure.locks.create_lock(TARGET, name="freeze", level="ReadOnly", notes="Change freeze")
    assert ("keep-logs", "CanNotDelete", None) in _locks_at(await azure.locks.list_locks(PAYG), STAPP1)
    assert _locks_at(await azure.locks.list_locks(CSP), TARGET) == {("freeze", "ReadOnly", "Change freeze")}



async def test_every_lock_write_names_its_scope_with_its_slashes(gw, caplog):
    """Microsoft's REST spec marks a lock's scope `x-ms-skip-url-encoding`: ARM refuses `/subscriptions%2F...`
    (what azure-mgmt-resource-locks 1.0.0's `*_by_scope` operations send). The URLs are azure-core's own log of
    what went on the wire."""
    azure = gw.for_tenant(FABRIKAM)
    caplog.set_level(logging.INFO, logger="azure.core.pipeline.policies.http_logging_policy")
    for scope in (f"/subscriptions/{CSP}", TARGET, STAPP1):
        await azure.locks.create_lock(scope, name="keep", level="CanNotDelete", notes=None)
        await azure.locks.delete_lock(scope, name="keep")
    sent = [line for r in caplog.records for line in r.getMessage().splitlines()
            if "Request URL" in line and "/locks/" in line]
    assert len(sent) == 6, sent
    for scope in (f"/subscriptions/{CSP}", TARGET, STAPP1):
        path = f"{scope}/providers/Microsoft.Authorization/locks/keep"
        assert sum(path in line for line in sent) == 2, (path, sent)
    assert not any("%2f" in line.lower() for line in sent), sent

async def test_a_bad_lock_level_is_refused_and_changes_nothing(gw):
    azure = gw.for_tenant(FABRIKAM)
    before = await azure.locks.list_locks(PAYG)
    with pytest.raises(ArmError) as refused:
        await azure.locks.create_lock(LOCKED, name="freeze", level="Frozen", notes=None)
    assert refused.value.error.code == "LockLevelInvalid"
    assert await azure.locks.list_locks(PAYG) == before


async def test_an_in_subscription_move_joins_split_dependencies(gw, sandbox_factory):
    vm3 = group_id(PAYG, "rg-split") + "/providers/Microsoft.Compute/virtualMachines/vm-3"
    azure = gw.for_tenant(FABRIKAM)
    op = await azure.moves.begin_validate(PAYG, "rg-split", resource_ids=[vm3],
                                          target_group_id=group_id(PAYG, "rg-net"))
    await op.wait()
    op = await azure.moves.begin_move(PAYG, "rg-split", resource_ids=[vm3],
                                      target_group_id=group_id(PAYG, "rg-net"))
    await op.wait()
    groups = {r.resource_group.lower() for r in await azure.inventory.list_resources(PAYG)
              if r.name == "vm-3"}
    assert groups == {"rg-net"}


async def test_role_assignments_are_read_with_principal_role_scope_condition_and_description(gw):
    listed = await gw.for_tenant(FABRIKAM).authorization.list_role_assignments(PAYG)
    found = {(a.scope, a.principal_id, a.role_guid): a for a in listed}
    ops = found[(STAPP1, OPS, "b24988ac-6180-42a0-ab88-20f7382dd24c")]
    assert (ops.principal_type, ops.condition, ops.description) == ("Group", CONDITION, "Ops write the logs container")
    assert found[(group_id(PAYG, "rg-web"), BOB, READER)].principal_type == "Unknown"  # deleted principal
    assert (f"/subscriptions/{PAYG}", ALICE, READER) in found
    assert (group_id(PAYG, "rg-web"), ALICE, APP_OPERATOR) in found


async def test_a_role_assignment_is_recreated_on_a_new_scope_once(gw):
    name = str(uuid.uuid4())
    azure = gw.for_tenant(FABRIKAM)
    made = await azure.authorization.create_role_assignment(
        TARGET, name=name, role_definition_id=f"/subscriptions/{PAYG}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{READER}", principal_id=OPS, principal_type="Group", condition=CONDITION,
                                                            description="moved")
    assert (made.scope, made.principal_id, made.condition, made.role_definition_id) == (
        TARGET, OPS, CONDITION, f"/subscriptions/{CSP}/providers/Microsoft.Authorization/roleDefinitions/{READER}")
    listed = [a for a in await azure.authorization.list_role_assignments(CSP) if a.scope == TARGET]
    assert [(a.name, a.description) for a in listed] == [(name, "moved")]
    with pytest.raises(ArmError) as again:  # the same principal and role on the same scope: Azure says so
        await azure.authorization.create_role_assignment(TARGET, name=str(uuid.uuid4()), role_definition_id=READER,
                                                         principal_id=OPS, principal_type="Group")
    assert again.value.error.code == "RoleAssignmentExists"


async def test_a_deleted_principal_cannot_be_assigned(gw):
    azure = gw.for_tenant(FABRIKAM)
    with pytest.raises(ArmError) as refused:
        await azure.authorization.create_role_assignment(TARGET, name=str(uuid.uuid4()), role_definition_id=READER,
                                                         principal_id=BOB)
    assert refused.value.error.code == "PrincipalNotFound"
    assert not [a for a in await azure.authorization.list_role_assignments(CSP) if a.principal_id == BOB]


async def test_a_custom_role_gets_the_target_subscription_as_an_assignable_scope(gw):
    azure = gw.for_tenant(FABRIKAM)
    with pytest.raises(ArmError) as refused:
        await azure.authorization.create_role_assignment(TARGET, name=str(uuid.uuid4()),
                                                         role_definition_id=APP_OPERATOR, principal_id=ALICE)
    assert refused.value.error.code == "RoleDefinitionDoesNotExist"
    before = await azure.authorization.get_role_definition(APP_OPERATOR, scope=f"/subscriptions/{PAYG}")
    assert before.custom and before.assignable_scopes == (f"/subscriptions/{PAYG}",)

    with pytest.raises(ArmError, match="RoleDefinitionDoesNotExist"):  # not visible outside its scopes
        await azure.authorization.get_role_definition(APP_OPERATOR, scope=f"/subscriptions/{CSP}")
    definition = f"/subscriptions/{PAYG}/providers/Microsoft.Authorization/roleDefinitions/{APP_OPERATOR}"
    after = await azure.authorization.add_assignable_scope(definition, scope=f"/subscriptions/{CSP}")
    assert after.assignable_scopes == (f"/subscriptions/{PAYG}", f"/subscriptions/{CSP}")
    again = await azure.authorization.add_assignable_scope(definition, scope=TARGET)  # covered already
    assert again.assignable_scopes == after.assignable_scopes
    made = await azure.authorization.create_role_assignment(TARGET, name=str(uuid.uuid4()),
                                                            role_definition_id=APP_OPERATOR, principal_id=ALICE)
    assert made.role_guid == APP_OPERATOR


async def test_assignments_on_a_moved_resource_do_not_travel(gw):
    azure = gw.for_tenant(FABRIKAM)
    op = await azure.moves.begin_move(PAYG, "rg-app", resource_ids=[STAPP1], target_group_id=TARGET)
    await op.wait()
    moved = STAPP1.replace(PAYG, CSP).replace("rg-app", "rg-target")
    every = await azure.authorization.list_role_assignments(PAYG) + await azure.authorization.list_role_assignments(CSP)
    assert not [a for a in every if a.scope in (STAPP1, moved)]
    assert [a for a in every if a.scope == group_id(PAYG, "rg-app")]  # the group's own stay with the group


async def test_without_the_role_to_write_authorization_nothing_changes(sandbox_factory, gateway_factory):
    from migration.azure.credentials import IdentityConfig
    from migration.azure.gateway import create_gateway
    from tests.support.identities import scenario

    data = scenario()
    group = data["subscriptions"][0]["resourceGroups"][0]
    assert data["subscriptions"][0]["tenantId"] == CONSENTED
    group["locks"] = [{"name": "freeze", "level": "ReadOnly", "notes": "Change freeze"}]
    sb = await sandbox_factory(data)
    config = IdentityConfig(mode="app", authority_host=sb.url, ca_bundle=str(sb.ca_path), client_id=APP,
                            tenant_id=PARTNER, client_secret=SECRET)
    gw = create_gateway(credential=config, endpoint=sb.url, ca_bundle=str(sb.ca_path), authority_host=sb.url,
                        polling_interval=0.05)
    azure = gw.for_tenant(CONSENTED)
    try:
        scope = group_id(SUB[CONSENTED], "rg-app")
        with pytest.raises(RoleMissing) as denied:  # a Contributor may not touch locks or role assignments
            await azure.locks.delete_lock(scope, name="freeze")
        assert denied.value.action == "Microsoft.Authorization/locks/delete"
        with pytest.raises(RoleMissing) as denied:
            await azure.authorization.create_role_assignment(scope, name=str(uuid.uuid4()), role_definition_id=READER,
                                                             principal_id=APP)
        assert denied.value.action == "Microsoft.Authorization/roleAssignments/write"
        assert [lk.name for lk in await azure.locks.list_locks(SUB[CONSENTED])] == ["freeze"]
    finally:
        await gw.close()


async def test_a_standard_public_ip_is_disassociated_and_associated_again(gw, sandbox_factory):
    azure = gw.for_tenant(FABRIKAM)
    await (await azure.network.begin_set_public_ip(NIC1, ip_configuration="ipconfig1", public_ip_id=None)).wait()
    nic = next(r for r in await azure.inventory.list_resources(PAYG) if r.id == NIC1)
    assert "publicIPAddress" not in nic.properties["ipConfigurations"][0]["properties"]
    pip = next(r for r in await azure.inventory.list_resources(PAYG) if r.id == PIP)
    assert "ipConfiguration" not in pip.properties

    await (await azure.network.begin_set_public_ip(NIC1, ip_configuration="ipconfig1", public_ip_id=PIP)).wait()
    rows = {r.id: r for r in await azure.inventory.list_resources(PAYG)}
    assert rows[NIC1].properties["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"] == PIP
    assert rows[PIP].properties["ipConfiguration"]["id"] == f"{NIC1}/ipConfigurations/ipconfig1"
    assert rows[NIC1].properties["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.0.4"


async def test_a_public_ip_in_use_elsewhere_or_a_missing_configuration_is_refused(gw):
    azure = gw.for_tenant(FABRIKAM)
    with pytest.raises(ArmError, match="IpConfigurationNotFound"):
        await (await azure.network.begin_set_public_ip(NIC1, ip_configuration="ipconfig9", public_ip_id=None)).wait()
    with pytest.raises(ArmError, match="PublicIPAddressInUse"):
        await (await azure.network.begin_set_public_ip(NIC3, ip_configuration="ipconfig1", public_ip_id=PIP)).wait()
    rows = {r.id: r for r in await azure.inventory.list_resources(PAYG)}
    assert "publicIPAddress" not in rows[NIC3].properties["ipConfigurations"][0]["properties"]
    assert rows[PIP].properties["ipConfiguration"]["id"] == f"{NIC1}/ipConfigurations/ipconfig1"


async def test_a_peering_is_deleted_and_recreated_with_its_flags(gw):
    azure = gw.for_tenant(FABRIKAM)
    before = await azure.network.get_peering(VNET1, "to-hub")
    assert (before.remote_vnet_id, before.allow_forwarded_traffic, before.state) == (HUB, True, "Connected")

    await (await azure.network.begin_delete_peering(VNET1, "to-hub")).wait()
    with pytest.raises(ArmError):
        await azure.network.get_peering(VNET1, "to-hub")
    assert (await azure.network.get_peering(HUB, "to-vnet-1")).state == "Disconnected"
    await (await azure.network.begin_delete_peering(VNET1, "to-hub")).wait()  # already gone: not an error

    again = await (await azure.network.begin_create_peering(before)).wait()
    assert (again.remote_vnet_id, again.allow_forwarded_traffic, again.allow_gateway_transit, again.state) == (
        HUB, True, False, "Connected")
    assert (await azure.network.get_peering(HUB, "to-vnet-1")).state == "Connected"
