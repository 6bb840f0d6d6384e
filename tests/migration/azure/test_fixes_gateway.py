"""Locks, role assignments and role definitions through the gateway: the real Azure SDK over HTTPS against
the sandbox, which decides from its own facts (who exists, which roles are assignable where, who may act)."""

from __future__ import annotations

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
    assert _locks_at(await gw.list_locks(PAYG, tenant_id=FABRIKAM), LOCKED) == {("freeze", "ReadOnly", "Change freeze")}
    # While it holds, Azure refuses the move at the front door.
    with pytest.raises(ArmError, match="ScopeLocked"):
        await gw.begin_validate_move(PAYG, "rg-locked", resource_ids=[f"{LOCKED}/providers/Microsoft.Storage/"
                                     "storageAccounts/stlocked1"], target_resource_group_id=TARGET, tenant_id=FABRIKAM)

    await gw.delete_lock(LOCKED, name="freeze", tenant_id=FABRIKAM)
    assert _locks_at(await gw.list_locks(PAYG, tenant_id=FABRIKAM), LOCKED) == set()
    await gw.delete_lock(LOCKED, name="freeze", tenant_id=FABRIKAM)  # already gone: not an error
    op = await gw.begin_validate_move(PAYG, "rg-locked", resource_ids=[f"{LOCKED}/providers/Microsoft.Storage/"
                                      "storageAccounts/stlocked1"], target_resource_group_id=TARGET, tenant_id=FABRIKAM)
    await op.wait()

    lock = await gw.create_lock(LOCKED, name="freeze", level="ReadOnly", notes="Change freeze", tenant_id=FABRIKAM)
    assert (lock.name, lock.level, lock.notes, lock.scope) == ("freeze", "ReadOnly", "Change freeze", LOCKED)
    assert _locks_at(await gw.list_locks(PAYG, tenant_id=FABRIKAM), LOCKED) == {("freeze", "ReadOnly", "Change freeze")}


async def test_locks_on_a_resource_and_a_new_scope(gw):
    await gw.create_lock(STAPP1, name="keep-logs", level="CanNotDelete", notes=None, tenant_id=FABRIKAM)
    await gw.create_lock(TARGET, name="freeze", level="ReadOnly", notes="Change freeze", tenant_id=FABRIKAM)
    assert ("keep-logs", "CanNotDelete", None) in _locks_at(await gw.list_locks(PAYG, tenant_id=FABRIKAM), STAPP1)
    assert _locks_at(await gw.list_locks(CSP, tenant_id=FABRIKAM), TARGET) == {("freeze", "ReadOnly", "Change freeze")}


async def test_a_bad_lock_level_is_refused_and_changes_nothing(gw):
    before = await gw.list_locks(PAYG, tenant_id=FABRIKAM)
    with pytest.raises(ArmError) as refused:
        await gw.create_lock(LOCKED, name="freeze", level="Frozen", notes=None, tenant_id=FABRIKAM)
    assert refused.value.error.code == "LockLevelInvalid"
    assert await gw.list_locks(PAYG, tenant_id=FABRIKAM) == before


async def test_an_in_subscription_move_joins_split_dependencies(gw, sandbox_factory):
    vm3 = group_id(PAYG, "rg-split") + "/providers/Microsoft.Compute/virtualMachines/vm-3"
    op = await gw.begin_validate_move(PAYG, "rg-split", resource_ids=[vm3],
                                      target_resource_group_id=group_id(PAYG, "rg-net"), tenant_id=FABRIKAM)
    await op.wait()
    op = await gw.begin_move(PAYG, "rg-split", resource_ids=[vm3],
                             target_resource_group_id=group_id(PAYG, "rg-net"), tenant_id=FABRIKAM)
    await op.wait()
    groups = {r.resource_group.lower() for r in await gw.list_resources(PAYG, tenant_id=FABRIKAM)
              if r.name == "vm-3"}
    assert groups == {"rg-net"}


async def test_role_assignments_are_read_with_principal_role_scope_condition_and_description(gw):
    listed = await gw.list_role_assignments(PAYG, tenant_id=FABRIKAM)
    found = {(a.scope, a.principal_id, a.role_guid): a for a in listed}
    ops = found[(STAPP1, OPS, "b24988ac-6180-42a0-ab88-20f7382dd24c")]
    assert (ops.principal_type, ops.condition, ops.description) == ("Group", CONDITION, "Ops write the logs container")
    assert found[(group_id(PAYG, "rg-web"), BOB, READER)].principal_type == "Unknown"  # deleted principal
    assert (f"/subscriptions/{PAYG}", ALICE, READER) in found
    assert (group_id(PAYG, "rg-web"), ALICE, APP_OPERATOR) in found


async def test_a_role_assignment_is_recreated_on_a_new_scope_once(gw):
    name = str(uuid.uuid4())
    made = await gw.create_role_assignment(
        TARGET, name=name, role_definition_id=f"/subscriptions/{PAYG}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{READER}", principal_id=OPS, principal_type="Group", condition=CONDITION,
        description="moved", tenant_id=FABRIKAM)
    assert (made.scope, made.principal_id, made.condition, made.role_definition_id) == (
        TARGET, OPS, CONDITION, f"/subscriptions/{CSP}/providers/Microsoft.Authorization/roleDefinitions/{READER}")
    listed = [a for a in await gw.list_role_assignments(CSP, tenant_id=FABRIKAM) if a.scope == TARGET]
    assert [(a.name, a.description) for a in listed] == [(name, "moved")]
    with pytest.raises(ArmError) as again:  # the same principal and role on the same scope: Azure says so
        await gw.create_role_assignment(TARGET, name=str(uuid.uuid4()), role_definition_id=READER,
                                        principal_id=OPS, principal_type="Group", tenant_id=FABRIKAM)
    assert again.value.error.code == "RoleAssignmentExists"


async def test_a_deleted_principal_cannot_be_assigned(gw):
    with pytest.raises(ArmError) as refused:
        await gw.create_role_assignment(TARGET, name=str(uuid.uuid4()), role_definition_id=READER,
                                        principal_id=BOB, tenant_id=FABRIKAM)
    assert refused.value.error.code == "PrincipalNotFound"
    assert not [a for a in await gw.list_role_assignments(CSP, tenant_id=FABRIKAM) if a.principal_id == BOB]


async def test_a_custom_role_gets_the_target_subscription_as_an_assignable_scope(gw):
    with pytest.raises(ArmError) as refused:
        await gw.create_role_assignment(TARGET, name=str(uuid.uuid4()), role_definition_id=APP_OPERATOR,
                                        principal_id=ALICE, tenant_id=FABRIKAM)
    assert refused.value.error.code == "RoleDefinitionDoesNotExist"
    before = await gw.get_role_definition(APP_OPERATOR, scope=f"/subscriptions/{PAYG}", tenant_id=FABRIKAM)
    assert before.custom and before.assignable_scopes == (f"/subscriptions/{PAYG}",)

    with pytest.raises(ArmError, match="RoleDefinitionDoesNotExist"):  # not visible outside its scopes
        await gw.get_role_definition(APP_OPERATOR, scope=f"/subscriptions/{CSP}", tenant_id=FABRIKAM)
    definition = f"/subscriptions/{PAYG}/providers/Microsoft.Authorization/roleDefinitions/{APP_OPERATOR}"
    after = await gw.add_assignable_scope(definition, scope=f"/subscriptions/{CSP}", tenant_id=FABRIKAM)
    assert after.assignable_scopes == (f"/subscriptions/{PAYG}", f"/subscriptions/{CSP}")
    again = await gw.add_assignable_scope(definition, scope=TARGET, tenant_id=FABRIKAM)  # covered already
    assert again.assignable_scopes == after.assignable_scopes
    made = await gw.create_role_assignment(TARGET, name=str(uuid.uuid4()), role_definition_id=APP_OPERATOR,
                                           principal_id=ALICE, tenant_id=FABRIKAM)
    assert made.role_guid == APP_OPERATOR


async def test_assignments_on_a_moved_resource_do_not_travel(gw):
    op = await gw.begin_move(PAYG, "rg-app", resource_ids=[STAPP1], target_resource_group_id=TARGET,
                             tenant_id=FABRIKAM)
    await op.wait()
    moved = STAPP1.replace(PAYG, CSP).replace("rg-app", "rg-target")
    every = await gw.list_role_assignments(PAYG, tenant_id=FABRIKAM) + await gw.list_role_assignments(
        CSP, tenant_id=FABRIKAM)
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
    try:
        scope = group_id(SUB[CONSENTED], "rg-app")
        with pytest.raises(RoleMissing) as denied:  # a Contributor may not touch locks or role assignments
            await gw.delete_lock(scope, name="freeze", tenant_id=CONSENTED)
        assert denied.value.action == "Microsoft.Authorization/locks/delete"
        with pytest.raises(RoleMissing) as denied:
            await gw.create_role_assignment(scope, name=str(uuid.uuid4()), role_definition_id=READER,
                                            principal_id=APP, tenant_id=CONSENTED)
        assert denied.value.action == "Microsoft.Authorization/roleAssignments/write"
        assert [lk.name for lk in await gw.list_locks(SUB[CONSENTED], tenant_id=CONSENTED)] == ["freeze"]
    finally:
        await gw.close()


async def test_a_standard_public_ip_is_disassociated_and_associated_again(gw, sandbox_factory):
    await gw.set_public_ip(NIC1, ip_configuration="ipconfig1", public_ip_id=None, tenant_id=FABRIKAM)
    nic = next(r for r in await gw.list_resources(PAYG, tenant_id=FABRIKAM) if r.id == NIC1)
    assert "publicIPAddress" not in nic.properties["ipConfigurations"][0]["properties"]
    pip = next(r for r in await gw.list_resources(PAYG, tenant_id=FABRIKAM) if r.id == PIP)
    assert "ipConfiguration" not in pip.properties

    await gw.set_public_ip(NIC1, ip_configuration="ipconfig1", public_ip_id=PIP, tenant_id=FABRIKAM)
    rows = {r.id: r for r in await gw.list_resources(PAYG, tenant_id=FABRIKAM)}
    assert rows[NIC1].properties["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"] == PIP
    assert rows[PIP].properties["ipConfiguration"]["id"] == f"{NIC1}/ipConfigurations/ipconfig1"
    assert rows[NIC1].properties["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.0.4"


async def test_a_public_ip_in_use_elsewhere_or_a_missing_configuration_is_refused(gw):
    with pytest.raises(ArmError, match="IpConfigurationNotFound"):
        await gw.set_public_ip(NIC1, ip_configuration="ipconfig9", public_ip_id=None, tenant_id=FABRIKAM)
    with pytest.raises(ArmError, match="PublicIPAddressInUse"):
        await gw.set_public_ip(NIC3, ip_configuration="ipconfig1", public_ip_id=PIP, tenant_id=FABRIKAM)
    rows = {r.id: r for r in await gw.list_resources(PAYG, tenant_id=FABRIKAM)}
    assert "publicIPAddress" not in rows[NIC3].properties["ipConfigurations"][0]["properties"]
    assert rows[PIP].properties["ipConfiguration"]["id"] == f"{NIC1}/ipConfigurations/ipconfig1"


async def test_a_peering_is_deleted_and_recreated_with_its_flags(gw):
    before = await gw.get_peering(VNET1, "to-hub", tenant_id=FABRIKAM)
    assert (before.remote_vnet_id, before.allow_forwarded_traffic, before.state) == (HUB, True, "Connected")

    await gw.delete_peering(VNET1, "to-hub", tenant_id=FABRIKAM)
    with pytest.raises(ArmError):
        await gw.get_peering(VNET1, "to-hub", tenant_id=FABRIKAM)
    assert (await gw.get_peering(HUB, "to-vnet-1", tenant_id=FABRIKAM)).state == "Disconnected"
    await gw.delete_peering(VNET1, "to-hub", tenant_id=FABRIKAM)  # already gone: not an error

    again = await gw.create_peering(before, tenant_id=FABRIKAM)
    assert (again.remote_vnet_id, again.allow_forwarded_traffic, again.allow_gateway_transit, again.state) == (
        HUB, True, False, "Connected")
    assert (await gw.get_peering(HUB, "to-vnet-1", tenant_id=FABRIKAM)).state == "Connected"
