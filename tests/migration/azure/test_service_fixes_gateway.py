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
    await locked.for_tenant(FABRIKAM).locks.delete_lock(f"/subscriptions/{PAYG}", name="keep-sub")
    return locked


async def test_a_delete_protection_lock_above_refuses_every_deletion_and_changes_nothing(locked):
    azure = locked.for_tenant(FABRIKAM)
    for rid in (LINK, REGISTRATION, CERT):
        with pytest.raises(ArmError) as refused:
            await (await azure.resources.begin_delete(rid)).wait()
        assert refused.value.error.code == "ScopeLocked"
        assert (await azure.resources.get_resource(rid)).id.lower() == rid.lower()


async def _validate(gw, group, ids):
    op = await gw.for_tenant(FABRIKAM).moves.begin_validate(PAYG, group, resource_ids=ids, target_group_id=TARGET)
    await op.wait()


async def test_a_workspace_moves_once_its_automation_link_is_deleted_and_links_again_after(gw):
    azure = gw.for_tenant(FABRIKAM)
    link = await azure.resources.get_resource(LINK)
    assert link.properties["resourceId"] == AUTOMATION
    with pytest.raises(ArmError) as refused:
        await _validate(gw, "rg-ops", [WORKSPACE, AUTOMATION])
    assert "WorkspaceLinkedToAutomationAccount" in str(refused.value.error)

    await (await azure.resources.begin_delete(LINK)).wait()
    await (await azure.resources.begin_delete(LINK)).wait()  # already gone: not an error
    with pytest.raises(NotFound):
        await azure.resources.get_resource(LINK)
    await _validate(gw, "rg-ops", [WORKSPACE, AUTOMATION])  # Azure's dry run accepts it now

    again = await (await azure.resources.begin_create_or_update(LINK, location=None,
                                                                properties={"resourceId": AUTOMATION})).wait()
    assert again.properties["resourceId"] == AUTOMATION
    assert (await azure.resources.get_resource(LINK)).properties["resourceId"] == AUTOMATION


async def test_a_link_to_a_missing_account_is_refused_and_changes_nothing(gw):
    azure = gw.for_tenant(FABRIKAM)
    await (await azure.resources.begin_delete(LINK)).wait()
    with pytest.raises(ArmError) as refused:
        await (await azure.resources.begin_create_or_update(LINK, location=None,
                                                            properties={"resourceId": AUTOMATION + "-gone"})).wait()
    assert refused.value.error.code == "InvalidLinkedResource"
    with pytest.raises(NotFound):
        await azure.resources.get_resource(LINK)


async def test_a_sql_registration_is_read_deleted_and_registered_again_for_the_same_machine(gw):
    azure = gw.for_tenant(FABRIKAM)
    registration = await azure.resources.get_resource(REGISTRATION)
    assert {k: registration.properties[k] for k in SQL_PROPERTIES} == SQL_PROPERTIES
    assert registration.location == "westeurope"
    with pytest.raises(ArmError):
        await _validate(gw, "rg-ops", [REGISTRATION])  # a type that cannot change subscription

    await (await azure.resources.begin_delete(REGISTRATION)).wait()
    with pytest.raises(NotFound):
        await azure.resources.get_resource(REGISTRATION)
    with pytest.raises(ArmError) as refused:  # named after another machine: refused
        await (await azure.resources.begin_create_or_update(REGISTRATION.replace("vm-sql", "vm-other"),
                                                            location="westeurope",
                                                            properties=dict(SQL_PROPERTIES))).wait()
    assert refused.value.error.code in ("InvalidParameterValue", "VmNotFound")
    back = await (await azure.resources.begin_create_or_update(REGISTRATION, location="westeurope",
                                                               properties=dict(SQL_PROPERTIES))).wait()
    assert (back.properties["virtualMachineResourceId"], back.properties["sqlServerLicenseType"]) == (VM, "AHUB")


async def test_a_bound_managed_certificate_is_unbound_deleted_and_issued_again(gw):
    binding = f"{SITE}/hostNameBindings/{HOST}"
    azure = gw.for_tenant(FABRIKAM)
    cert = await azure.resources.get_resource(CERT)
    assert cert.properties["canonicalName"] == HOST
    with pytest.raises(ArmError) as in_use:  # bound to the app's custom domain
        await (await azure.resources.begin_delete(CERT)).wait()
    assert in_use.value.error.code == "Conflict"

    await (await azure.resources.begin_create_or_update(binding, location=None,
                                                        properties={"sslState": "Disabled"})).wait()
    assert (await azure.resources.get_resource(binding)).properties["sslState"] == "Disabled"
    await (await azure.resources.begin_delete(CERT)).wait()
    with pytest.raises(NotFound):
        await azure.resources.get_resource(CERT)

    issued = await (await azure.resources.begin_create_or_update(
        CERT, location="westeurope", properties={"canonicalName": HOST, "serverFarmId": PLAN})).wait()
    assert issued.properties["thumbprint"] and issued.properties["thumbprint"] != THUMBPRINT
    bound = await (await azure.resources.begin_create_or_update(binding, location=None, properties={
        "sslState": "SniEnabled", "thumbprint": issued.properties["thumbprint"]})).wait()
    assert (bound.properties["sslState"], bound.properties["thumbprint"]) == ("SniEnabled",
                                                                              issued.properties["thumbprint"])


async def test_a_certificate_for_a_host_name_no_app_serves_is_refused(gw):
    azure = gw.for_tenant(FABRIKAM)
    with pytest.raises(ArmError) as refused:
        await (await azure.resources.begin_create_or_update(
            CERT.replace("www-cert", "other-cert"), location="westeurope",
            properties={"canonicalName": "shop.fabrikam.example", "serverFarmId": PLAN})).wait()
    assert refused.value.error.code == "BadRequest" and "add the custom domain" in refused.value.error.message
