"""test-small plus three things Azure refuses to move until they are removed, and which come back after the
move: a Log Analytics workspace linked to an Automation account, a SQL IaaS Agent registration of a virtual
machine, and a free App Service managed certificate bound to an app's custom domain."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.state import load_scenario
from tests.support.sandbox import PAYG, arm_id

WORKSPACE = arm_id(PAYG, "rg-ops", "Microsoft.OperationalInsights/workspaces/log-ops")
LINK = f"{WORKSPACE}/linkedServices/Automation"
AUTOMATION = arm_id(PAYG, "rg-ops", "Microsoft.Automation/automationAccounts/aa-ops")
VM = arm_id(PAYG, "rg-ops", "Microsoft.Compute/virtualMachines/vm-sql")
REGISTRATION = arm_id(PAYG, "rg-ops", "Microsoft.SqlVirtualMachine/sqlVirtualMachines/vm-sql")
PLAN = arm_id(PAYG, "rg-site", "Microsoft.Web/serverfarms/plan-site")
SITE = arm_id(PAYG, "rg-site", "Microsoft.Web/sites/app-site")
CERT = arm_id(PAYG, "rg-site", "Microsoft.Web/certificates/www-cert")
HOST = "www.fabrikam.example"
THUMBPRINT = "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C"
SQL_PROPERTIES = {"virtualMachineResourceId": VM, "sqlServerLicenseType": "AHUB", "sqlManagement": "Full",
                  "sqlImageSku": "Enterprise", "sqlImageOffer": "SQL2019-WS2022"}


def services_scenario() -> dict[str, Any]:
    data = copy.deepcopy(load_scenario("test-small"))
    payg = next(s for s in data["subscriptions"] if s["id"] == PAYG)
    payg["resourceGroups"] += [
        {"name": "rg-ops", "location": "westeurope", "resources": [
            {"name": "log-ops", "type": "Microsoft.OperationalInsights/workspaces"},
            {"name": "log-ops/Automation", "type": "Microsoft.OperationalInsights/workspaces/linkedServices",
             "properties": {"resourceId": AUTOMATION}},
            {"name": "aa-ops", "type": "Microsoft.Automation/automationAccounts"},
            {"name": "vm-sql", "type": "Microsoft.Compute/virtualMachines"},
            {"name": "vm-sql", "type": "Microsoft.SqlVirtualMachine/sqlVirtualMachines",
             "properties": dict(SQL_PROPERTIES)}]},
        {"name": "rg-site", "location": "westeurope", "resources": [
            {"name": "plan-site", "type": "Microsoft.Web/serverfarms", "sku": {"name": "B1"}},
            {"name": "app-site", "type": "Microsoft.Web/sites", "dependsOn": [PLAN],
             "properties": {"serverFarmId": PLAN, "hostNames": ["app-site.azurewebsites.net", HOST],
                            "hostNameSslStates": [{"name": HOST, "sslState": "SniEnabled", "thumbprint": THUMBPRINT,
                                                   "hostType": "Standard"}]}},
            {"name": "www-cert", "type": "Microsoft.Web/certificates",
             "properties": {"canonicalName": HOST, "hostNames": [HOST], "thumbprint": THUMBPRINT,
                            "serverFarmId": PLAN}}]},
    ]
    return data
