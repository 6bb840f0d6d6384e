"""Budgets through the gateway's settings family: the real Azure SDK pipeline over HTTPS against the sandbox
(scenario `litware`), which keeps its own budgets and refuses what Azure refuses."""

from __future__ import annotations

import pytest

from migration.model import ArmError, NotFound
from tests.support.scenarios.litware import LITWARE, SOURCE, TARGET

BUDGETS = "Microsoft.Consumption/budgets"
MONTHLY = {"category": "Cost", "amount": 100, "timeGrain": "Monthly",
           "timePeriod": {"startDate": "2026-12-01T00:00:00Z"},
           "notifications": {"at-90": {"enabled": True, "operator": "GreaterThan", "threshold": 90,
                                       "contactEmails": ["ops@litware.com"]}}}


@pytest.fixture
async def azure(sandbox_factory, gateway_factory):
    return gateway_factory(await sandbox_factory("litware")).for_tenant(LITWARE)


def _id(subscription: str, name: str) -> str:
    return f"/subscriptions/{subscription}/providers/{BUDGETS}/{name}"


async def test_a_budget_is_listed_made_and_read_back(azure):
    assert sorted(b.name for b in await azure.settings.list_settings(SOURCE, BUDGETS)) == ["monthly-cap", "team-web"]
    with pytest.raises(NotFound):
        await azure.settings.get_setting(_id(TARGET, "ops"))
    made = await azure.settings.create_setting(_id(TARGET, "ops"), properties=MONTHLY)
    assert made.id == _id(TARGET, "ops")
    found = await azure.settings.get_setting(_id(TARGET, "ops"))
    assert (found.properties["amount"], found.properties["notifications"]) == (100, MONTHLY["notifications"])


@pytest.mark.parametrize(("change", "says"), [
    ({"timePeriod": {"startDate": "2026-12-15T00:00:00Z"}}, "the start date must be the first of a month"),
    ({"amount": 0}, "a positive amount"),
    ({"notifications": {"at-0": {"enabled": True, "operator": "GreaterThan", "threshold": 0,
                                 "contactEmails": ["ops@litware.com"]}}}, "a threshold above 0"),
    ({"notifications": {"at-90": {"enabled": True, "operator": "GreaterThan", "threshold": 90}}}, "a contact"),
], ids=["start-date", "amount", "threshold", "no-contact"])
async def test_a_budget_azure_refuses_is_refused_and_nothing_is_made(azure, change, says):
    with pytest.raises(ArmError) as refused:
        await azure.settings.create_setting(_id(TARGET, "ops"), properties={**MONTHLY, **change})
    assert refused.value.code == "BadRequest" and says in refused.value.error.message
    with pytest.raises(NotFound):
        await azure.settings.get_setting(_id(TARGET, "ops"))


async def test_a_budget_of_that_name_is_never_overwritten_unread(azure):
    with pytest.raises(ArmError) as refused:
        await azure.settings.create_setting(_id(TARGET, "team-web"), properties=MONTHLY)
    assert "There are changes made to Budget team-web" in refused.value.error.message
    assert (await azure.settings.get_setting(_id(TARGET, "team-web"))).properties["amount"] == 300


DIAGNOSTICS = "Microsoft.Insights/diagnosticSettings"
WORKSPACE = (f"/subscriptions/{SOURCE}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/"
             "log-litware")


@pytest.mark.parametrize(("properties", "says"), [
    ({"logs": [{"category": "Administrative", "enabled": True}]}, "must send to a workspace"),
    ({"workspaceId": WORKSPACE.replace("log-litware", "gone"), "logs": []}, "could not be found"),
    ({"workspaceId": WORKSPACE, "logs": [{"category": "AuditEvent", "enabled": True}]}, "is not supported"),
], ids=["no-destination", "missing-workspace", "not-an-activity-log-category"])
async def test_an_activity_log_export_azure_refuses_is_refused_and_nothing_is_made(azure, properties, says):
    setting = f"/subscriptions/{TARGET}/providers/{DIAGNOSTICS}/to-logs"
    with pytest.raises(ArmError) as refused:
        await azure.settings.create_setting(setting, properties=properties)
    assert says in refused.value.error.message
    assert await azure.settings.list_settings(TARGET, DIAGNOSTICS) == []
    made = await azure.settings.create_setting(setting, properties={
        "workspaceId": WORKSPACE, "logs": [{"category": "Administrative", "enabled": True}]})
    assert made.properties["workspaceId"] == WORKSPACE  # a workspace of another subscription of the tenant


PRICINGS = "Microsoft.Security/pricings"


async def test_defender_plans_are_listed_free_unless_turned_on_and_refuse_what_a_plan_does_not_offer(azure):
    plans = {p.name: p.properties for p in await azure.settings.list_settings(TARGET, PRICINGS)}
    assert plans["VirtualMachines"] == {"pricingTier": "Free"} and plans["Arm"]["subPlan"] == "PerApiCall"
    vms = f"/subscriptions/{TARGET}/providers/{PRICINGS}/VirtualMachines"
    for wrong, says in (({"pricingTier": "Standard", "subPlan": "P9"}, "Sub-plan 'P9' is not valid"),
                        ({"pricingTier": "Free", "subPlan": "P2"}, "Sub-plan 'P2' is not valid"),
                        ({"pricingTier": "Standard", "extensions": [{"name": "Nope", "isEnabled": "True"}]},
                         "Extension 'Nope' is not available")):
        with pytest.raises(ArmError) as refused:
            await azure.settings.create_setting(vms, properties=wrong)
        assert says in refused.value.error.message
    assert (await azure.settings.get_setting(vms)).properties == {"pricingTier": "Free"}
    await azure.settings.create_setting(vms, properties={"pricingTier": "Standard", "subPlan": "P1"})
    assert (await azure.settings.get_setting(vms)).properties == {"pricingTier": "Standard", "subPlan": "P1"}
