"""A workspace's Automation link, a SQL IaaS Agent registration and a free managed certificate read, deleted
and created again by id through the gateway: the real Azure SDK over HTTPS against the sandbox, which
decides from its own state (what is linked, registered, bound) whether a move may go."""

from __future__ import annotations

import pytest

from migration.model import ArmError, NotFound
from tests.support.sandbox import CSP, FABRIKAM, PAYG, group_id
from tests.support.scenarios.services import (
    AUTOMATION,
    CERT,
    HOST,
    LINK,
    PLAN,
    REGISTRATION,
    SITE,
    SQL_PROPERTIES,
    THUMBPRINT,
    VM,
    WORKSPACE,
    services_scenario,
)

TARGET = group_id(CSP, "rg-target")


@pytest.fixture
async def locked(sandbox_factory, gateway_factory):
    """The scenario as it is: test-small's source subscription carries a CanNotDelete lock."""
    return gateway_factory(await sandbox_factory(services_scenario()))


@pytest.fixture
async def gw(locked):
    await locked.delete_lock(f"/subscriptions/{PAYG}", name="keep-sub", tenant_id=FABRIKAM)
    return locked


async def test_a_delete_protection_lock_above_refuses_every_deletion_and_changes_nothing(locked):
    for rid in (LINK, REGISTRATION, CERT):
        with pytest.raises(ArmError) as refused:
            await locked.delete_resource(rid, tenant_id=FABRIKAM)
        assert refused.value.error.code == "ScopeLocked"
        assert (await locked.get_resource(rid, tenant_id=FABRIKAM)).id.lower() == rid.lower()


async def _validate(gw, group, ids):
    op = await gw.begin_validate_move(PAYG, group, resource_ids=ids, target_resource_group_id=TARGET,
                                      tenant_id=FABRIKAM)
    await op.wait()


async def test_a_workspace_moves_once_its_automation_link_is_deleted_and_links_again_after(gw):
    link = await gw.get_resource(LINK, tenant_id=FABRIKAM)
    assert link.properties["resourceId"] == AUTOMATION
    with pytest.raises(ArmError) as refused:
        await _validate(gw, "rg-ops", [WORKSPACE, AUTOMATION])
    assert "WorkspaceLinkedToAutomationAccount" in str(refused.value.error)

    await gw.delete_resource(LINK, tenant_id=FABRIKAM)
    await gw.delete_resource(LINK, tenant_id=FABRIKAM)  # already gone: not an error
    with pytest.raises(NotFound):
        await gw.get_resource(LINK, tenant_id=FABRIKAM)
    await _validate(gw, "rg-ops", [WORKSPACE, AUTOMATION])  # Azure's dry run accepts it now

    again = await gw.create_resource(LINK, location=None, properties={"resourceId": AUTOMATION}, tenant_id=FABRIKAM)
    assert again.properties["resourceId"] == AUTOMATION
    assert (await gw.get_resource(LINK, tenant_id=FABRIKAM)).properties["resourceId"] == AUTOMATION


async def test_a_link_to_a_missing_account_is_refused_and_changes_nothing(gw):
    await gw.delete_resource(LINK, tenant_id=FABRIKAM)
    with pytest.raises(ArmError) as refused:
        await gw.create_resource(LINK, location=None, properties={"resourceId": AUTOMATION + "-gone"},
                                 tenant_id=FABRIKAM)
    assert refused.value.error.code == "InvalidLinkedResource"
    with pytest.raises(NotFound):
        await gw.get_resource(LINK, tenant_id=FABRIKAM)


async def test_a_sql_registration_is_read_deleted_and_registered_again_for_the_same_machine(gw):
    registration = await gw.get_resource(REGISTRATION, tenant_id=FABRIKAM)
    assert {k: registration.properties[k] for k in SQL_PROPERTIES} == SQL_PROPERTIES
    assert registration.location == "westeurope"
    with pytest.raises(ArmError):
        await _validate(gw, "rg-ops", [REGISTRATION])  # a type that cannot change subscription

    await gw.delete_resource(REGISTRATION, tenant_id=FABRIKAM)
    with pytest.raises(NotFound):
        await gw.get_resource(REGISTRATION, tenant_id=FABRIKAM)
    with pytest.raises(ArmError) as refused:  # named after another machine: refused
        await gw.create_resource(REGISTRATION.replace("vm-sql", "vm-other"), location="westeurope",
                                 properties=dict(SQL_PROPERTIES), tenant_id=FABRIKAM)
    assert refused.value.error.code in ("InvalidParameterValue", "VmNotFound")
    back = await gw.create_resource(REGISTRATION, location="westeurope", properties=dict(SQL_PROPERTIES),
                                    tenant_id=FABRIKAM)
    assert (back.properties["virtualMachineResourceId"], back.properties["sqlServerLicenseType"]) == (VM, "AHUB")


async def test_a_bound_managed_certificate_is_unbound_deleted_and_issued_again(gw):
    binding = f"{SITE}/hostNameBindings/{HOST}"
    cert = await gw.get_resource(CERT, tenant_id=FABRIKAM)
    assert cert.properties["canonicalName"] == HOST
    with pytest.raises(ArmError) as in_use:  # bound to the app's custom domain
        await gw.delete_resource(CERT, tenant_id=FABRIKAM)
    assert in_use.value.error.code == "Conflict"

    await gw.create_resource(binding, location=None, properties={"sslState": "Disabled"}, tenant_id=FABRIKAM)
    assert (await gw.get_resource(binding, tenant_id=FABRIKAM)).properties["sslState"] == "Disabled"
    await gw.delete_resource(CERT, tenant_id=FABRIKAM)
    with pytest.raises(NotFound):
        await gw.get_resource(CERT, tenant_id=FABRIKAM)

    issued = await gw.create_resource(CERT, location="westeurope",
                                      properties={"canonicalName": HOST, "serverFarmId": PLAN}, tenant_id=FABRIKAM)
    assert issued.properties["thumbprint"] and issued.properties["thumbprint"] != THUMBPRINT
    bound = await gw.create_resource(binding, location=None, properties={
        "sslState": "SniEnabled", "thumbprint": issued.properties["thumbprint"]}, tenant_id=FABRIKAM)
    assert (bound.properties["sslState"], bound.properties["thumbprint"]) == ("SniEnabled",
                                                                              issued.properties["thumbprint"])


async def test_a_certificate_for_a_host_name_no_app_serves_is_refused(gw):
    with pytest.raises(ArmError) as refused:
        await gw.create_resource(CERT.replace("www-cert", "other-cert"), location="westeurope",
                                 properties={"canonicalName": "shop.fabrikam.example", "serverFarmId": PLAN},
                                 tenant_id=FABRIKAM)
    assert refused.value.error.code == "BadRequest" and "add the custom domain" in refused.value.error.message
