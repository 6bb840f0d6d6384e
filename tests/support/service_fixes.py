"""A group with what Azure refuses to move and the bot removes and makes again (a workspace's Automation link,
a SQL IaaS Agent registration, a free managed certificate): the facts planning reads, and the fixes chosen."""

from __future__ import annotations

from migration.fixes.plan import PlanFacts, plan_fixes
from migration.model import GroupMove, Lock, Resource
from migration.model.plan import ChosenFix, FixPlan, PlanStep, StepKind
from tests.support.commands import script

S, T = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
G = f"/subscriptions/{S}/resourceGroups"
OPS_TARGET = f"/subscriptions/{T}/resourceGroups/rg-ops-csp"
SITE_TARGET = f"/subscriptions/{T}/resourceGroups/rg-site-csp"
WS = f"{G}/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-ops"
LINK = f"{WS}/linkedServices/Automation"
AA = f"{G}/rg-ops/providers/Microsoft.Automation/automationAccounts/aa-ops"
AA_ELSEWHERE = f"{G}/rg-shared/providers/Microsoft.Automation/automationAccounts/aa-shared"
VM = f"{G}/rg-ops/providers/Microsoft.Compute/virtualMachines/vm-sql"
REG = f"{G}/rg-ops/providers/Microsoft.SqlVirtualMachine/sqlVirtualMachines/vm-sql"
PLAN = f"{G}/rg-site/providers/Microsoft.Web/serverfarms/plan-site"
SITE = f"{G}/rg-site/providers/Microsoft.Web/sites/app-site"
CERT = f"{G}/rg-site/providers/Microsoft.Web/certificates/www-cert"
HOST = "www.fabrikam.example"
THUMB = "AB" * 20


def _res(rid: str, type_: str, **properties: object) -> Resource:
    parts = rid.strip("/").split("/")
    return Resource(rid, parts[-1], type_, "westeurope", parts[1], parts[3], properties=dict(properties))


RESOURCES = (
    _res(WS, "Microsoft.OperationalInsights/workspaces"), _res(AA, "Microsoft.Automation/automationAccounts"),
    _res(VM, "Microsoft.Compute/virtualMachines"),
    _res(REG, "Microsoft.SqlVirtualMachine/sqlVirtualMachines", virtualMachineResourceId=VM,
         sqlServerLicenseType="AHUB", sqlManagement="Full", sqlImageSku="Enterprise", provisioningState="Succeeded"),
    _res(PLAN, "Microsoft.Web/serverfarms"),
    _res(SITE, "Microsoft.Web/sites", serverFarmId=PLAN,
         hostNameSslStates=[{"name": HOST, "sslState": "SniEnabled", "thumbprint": THUMB}]),
    _res(CERT, "Microsoft.Web/certificates", canonicalName=HOST, thumbprint=THUMB, serverFarmId=PLAN),
)
OPS = GroupMove("rg-ops", OPS_TARGET, "westeurope", (WS, AA, VM))  # the registration left with its deletion
SITE_GROUP = GroupMove("rg-site", SITE_TARGET, "westeurope", (PLAN, SITE))


def facts(*, automation: str = AA, locks: tuple[Lock, ...] = ()) -> PlanFacts:
    link = _res(LINK, "Microsoft.OperationalInsights/workspaces/linkedServices", resourceId=automation)
    return PlanFacts(S, T, (OPS, SITE_GROUP), resources=RESOURCES, linked_services=(link,), locks=locks)


FIXES = [ChosenFix("rg-ops", "unlink_automation_workspace", (WS, LINK), script("az monitor ...")),
         ChosenFix("rg-ops", "delete_sql_iaas_registration", (REG,), script("az sql vm delete ...")),
         ChosenFix("rg-site", "recreate_managed_certificate", (CERT,), script("az webapp config ssl delete ..."))]


def by_kind(given: PlanFacts, fixes: list[ChosenFix] = FIXES) -> tuple[FixPlan, dict[StepKind, list[PlanStep]]]:
    plan = plan_fixes(given, fixes)
    out: dict[StepKind, list[PlanStep]] = {}
    for s in plan.steps:
        out.setdefault(s.kind, []).append(s)
    return plan, out
