"""Realistic card inputs: a contoso-like subscription (about 60 resources in 10 groups) and the
largest sandbox-sized one (10,000 resources in 500 groups, thousands of findings), plus move
requests in every state. Deterministic: same data on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from migration.model import (
    ArmErrorDetail,
    Assessment,
    Decision,
    DryRun,
    Finding,
    GroupAssessment,
    GroupMove,
    GroupState,
    ManualCheck,
    MoveRequest,
    Offer,
    Person,
    RequestState,
    Resource,
    Rule,
    Severity,
    Subscription,
    Verdict,
)
from migration.model.plan import ChosenFix
from tests.support.commands import script

TENANT_ID = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
TENANT = "contoso.onmicrosoft.com"
PARTNER_TENANT_ID = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
AT = datetime(2026, 11, 23, 14, 5, 9, tzinfo=UTC)

PAYG = Offer("PayAsYouGo_2014-09-01", "Pay-As-You-Go", "payg", True, False)
EA = Offer("EnterpriseAgreement_2014-09-01", "Enterprise Agreement or Microsoft Customer Agreement", "ea", True, False)
OPEN = Offer("AzureInOpen_2014-09-01", "Azure in Open", "open", True, False)
CSP = Offer("CSP_2015-05-01", "CSP", "csp", False, True)

PROD = Subscription("1d2c3b4a-0000-4000-8000-00000000a001", TENANT_ID, "Contoso Production", "Enabled", PAYG.quota_id)
DEV = Subscription("1d2c3b4a-0000-4000-8000-00000000a002", TENANT_ID, "Contoso Dev", "Enabled", EA.quota_id)
LEGACY = Subscription("1d2c3b4a-0000-4000-8000-00000000a003", TENANT_ID, "Contoso Legacy", "Warned", OPEN.quota_id)
CSP_MAIN = Subscription("7e6d5c4b-0000-4000-8000-00000000c001", TENANT_ID, "Contoso CSP", "Enabled", CSP.quota_id)
CSP_DR = Subscription("7e6d5c4b-0000-4000-8000-00000000c002", TENANT_ID, "Contoso CSP DR", "Enabled", CSP.quota_id)
SUBSCRIPTIONS = ((PROD, PAYG), (DEV, EA), (LEGACY, OPEN), (CSP_MAIN, CSP), (CSP_DR, CSP))

ENGINEER = Person("0b7e1f3a-1111-4a2b-9c3d-000000000e01", "Adele Vance", "29:1engineerAdeleVance")
APPROVERS = tuple(
    Person(f"0b7e1f3a-2222-4a2b-9c3d-0000000000{i:02d}", name, f"29:1approver{i:02d}")
    for i, name in enumerate(("Megan Bowen", "Nestor Wilke", "Lidia Holloway"), 1)
)
# A big partner: more approvers than Teams' 60-user refresh limit.
MANY_APPROVERS = tuple(Person(f"id-{i}", f"Approver {i}", f"29:1approverX{i:03d}") for i in range(75))

RULES = {
    r.id: r
    for r in (
        Rule(
            "G7",
            "Resource type cannot move to another subscription",
            Severity.BLOCKER,
            "",
            "Redeploy it in the target.",
            "https://learn.microsoft.com/azure/azure-resource-manager/management/move-support-resources",
        ),
        Rule(
            "G9",
            "Classic (ASM) resource",
            Severity.BLOCKER,
            "",
            "Migrate it to Azure Resource Manager first.",
            "https://learn.microsoft.com/azure/virtual-machines/migration-classic-resource-manager-overview",
        ),
        Rule(
            "G10",
            "Dependencies in another resource group",
            Severity.FIX_FIRST,
            "",
            "Move them into one group first.",
            "https://learn.microsoft.com/azure/azure-resource-manager/management/move-resource-group-and-subscription",
        ),
        Rule(
            "G12",
            "Read-only lock",
            Severity.BLOCKER,
            "",
            "Remove the lock, put it back after the move.",
            "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources",
        ),
        Rule(
            "G16",
            "Role assignments will be lost",
            Severity.WARNING,
            "",
            "Export them and re-create them after.",
            "https://learn.microsoft.com/azure/azure-resource-manager/management/move-resource-group-and-subscription",
        ),
        Rule(
            "VM1",
            "VM from a Marketplace image with a plan",
            Severity.BLOCKER,
            "",
            "Redeploy the VM in the target.",
            "https://learn.microsoft.com/azure/azure-resource-manager/management/move-limitations/virtual-machines-move-limitations",
        ),
        Rule(
            "N1",
            "Standard SKU public IP",
            Severity.FIX_FIRST,
            "",
            "Disassociate the public IP first.",
            "https://learn.microsoft.com/azure/azure-resource-manager/management/move-limitations/networking-move-limitations",
        ),
        Rule(
            "A1",
            "App Service resources must move together",
            Severity.FIX_FIRST,
            "",
            "Move all App Service resources of the group together.",
            "https://learn.microsoft.com/azure/azure-resource-manager/management/move-limitations/app-service-move-limitations",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """Shape of one post-move checklist entry (the catalog's own type fits the same protocol)."""

    title: str
    detail: str
    source: str | None = None


CHECKLIST = (
    ChecklistItem(
        "Re-create role assignments",
        "12 role assignments on moved groups and resources are not moved. Export them now.",
    ),
    ChecklistItem("Buy a support plan", "Support plans do not transfer. In CSP, you support the customer."),
    ChecklistItem("Reservations and savings plans", "They stay with the old subscription. Plan new ones in CSP."),
    ChecklistItem("Resource ids change", "Update scripts, templates, dashboards and alerts that name them."),
    ChecklistItem("Export billing history", "Usage history and credits do not transfer."),
    ChecklistItem("Quota increases", "Quotas reset to default. Ask again in the CSP subscription."),
    ChecklistItem("Backup reports", "Reconfigure backup reporting after a vault moves."),
    ChecklistItem("Customer portal access", "Grant the customer's admins roles on the CSP subscription."),
)

_TYPES = (
    ("Microsoft.Compute/virtualMachines", "vm"),
    ("Microsoft.Compute/disks", "disk"),
    ("Microsoft.Network/networkInterfaces", "nic"),
    ("Microsoft.Network/virtualNetworks", "vnet"),
    ("Microsoft.Network/publicIPAddresses", "pip"),
    ("Microsoft.Storage/storageAccounts", "st"),
    ("Microsoft.Web/sites", "app"),
    ("Microsoft.Web/serverFarms", "plan"),
    ("Microsoft.Sql/servers", "sql"),
    ("Microsoft.KeyVault/vaults", "kv"),
    ("Microsoft.ClassicCompute/domainNames", "cloudsvc"),
    ("Microsoft.ClassicStorage/storageAccounts", "classicst"),
)
_LOCATIONS = ("westeurope", "northeurope", "eastus2", "uksouth")
_CONTOSO_GROUPS = (
    "rg-web-prod",
    "rg-sql-prod",
    "rg-network-hub",
    "rg-identity",
    "rg-backup",
    "rg-legacy-classic",
    "rg-analytics",
    "rg-marketing-site",
    "rg-shared-keyvault",
    "rg-monitoring",
)


def _resource(sub: Subscription, group: str, type_: str, name: str, location: str) -> Resource:
    rid = f"/subscriptions/{sub.id}/resourceGroups/{group}/providers/{type_}/{name}"
    return Resource(rid, name, type_, location, sub.id, group, properties={"provisioningState": "Succeeded"})


def _finding(rule_id: str, res: Resource | None, group: str) -> Finding:
    rule = RULES[rule_id]
    what = f"{res.name} ({res.type.split('/')[-1]})" if res else group
    messages = {
        "G7": f"{what} cannot move to another subscription.",
        "G9": f"{what} is a classic resource.",
        "G10": f"{what} depends on a resource in another group.",
        "G12": f"{group} has a read-only lock.",
        "G16": f"{what} has role assignments that will not move.",
        "VM1": f"{what} was created from a Marketplace image with a plan.",
        "N1": f"{what} uses a Standard SKU public IP.",
        "A1": f"{what} must move with the other App Service resources of {group}.",
    }
    return Finding(
        rule_id,
        rule.severity,
        messages[rule_id],
        rule.remediation,
        rule.source,
        res.id if res else None,
        group,
    )


def _verdict(findings: list[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.BLOCKER in severities:
        return Verdict.BLOCKED
    if Severity.FIX_FIRST in severities:
        return Verdict.READY_AFTER_FIXES
    return Verdict.READY


def _dry_run(sub_target: Subscription, group: str, verdict: Verdict, rng: random.Random) -> DryRun:
    target = f"/subscriptions/{sub_target.id}/resourceGroups/{group}"
    if verdict is Verdict.READY and rng.random() > 0.1:
        return DryRun(group, target, True)
    inner = ArmErrorDetail(
        "MissingMoveDependentResources",
        f"The move resources request does not contain all the dependent resources. Please check error "
        f"details for missing resource identifiers. Resource group: {group}.",
        target=f"/subscriptions/{sub_target.id}/resourceGroups/{group}",
    )
    err = ArmErrorDetail(
        "ResourceMoveValidationFailed", "The resource batch move request has '1' validation errors.", details=(inner,)
    )
    disagreement = "Our rules found no blocker, Azure's dry run did." if verdict is Verdict.READY else None
    return DryRun(group, target, False, (err,), disagreement)


def make_assessment(
    *, groups: int, resources: int, seed: int = 7, names: tuple[str, ...] = (), dry_runs: bool = True
) -> Assessment:
    rng = random.Random(seed)
    group_names = list(names) + [f"rg-app{i:03d}-{_LOCATIONS[i % 4]}" for i in range(len(names), groups)]
    # Skewed sizes: a few big groups and a long tail, like real subscriptions.
    weights = [1 / (i + 1) ** 0.6 for i in range(groups)]
    per_group = [max(1, int(resources * w / sum(weights))) for w in weights]
    per_group[0] += resources - sum(per_group)
    all_resources: list[Resource] = []
    group_assessments: list[GroupAssessment] = []
    for gi, (group, count) in enumerate(zip(group_names, per_group, strict=True)):
        location = _LOCATIONS[gi % 4]
        classic = "classic" in group or (gi % 23 == 5)
        res: list[Resource] = []
        for ri in range(count):
            type_, prefix = _TYPES[10 + ri % 2] if classic else _TYPES[ri % 10]
            res.append(_resource(PROD, group, type_, f"{prefix}-{group.removeprefix('rg-')}-{ri:02d}", location))
        findings: list[Finding] = []
        for r in res:
            roll = rng.random()
            if r.type.startswith("Microsoft.Classic"):
                findings.append(_finding("G9", r, group))
            elif r.type.endswith("virtualMachines") and roll < 0.15:
                findings.append(_finding("VM1", r, group))
            elif r.type.endswith("publicIPAddresses") and roll < 0.4:
                findings.append(_finding("N1", r, group))
            elif r.type.endswith("sites") and roll < 0.3:
                findings.append(_finding("A1", r, group))
            elif roll < 0.03:
                findings.append(_finding("G7", r, group))
            elif roll < 0.25:
                findings.append(_finding("G16", r, group))
        if gi % 41 == 3:
            findings.append(_finding("G12", None, group))
        verdict = _verdict(findings)
        consolidate = (group_names[(gi + 1) % groups],) if verdict is Verdict.READY_AFTER_FIXES and gi % 3 == 0 else ()
        dry = _dry_run(CSP_MAIN, group, verdict, rng) if dry_runs and verdict is not Verdict.BLOCKED else None
        group_assessments.append(
            GroupAssessment(group, verdict, tuple(r.id for r in res), tuple(findings), consolidate, dry)
        )
        all_resources += res
    return Assessment(
        tenant_id=TENANT_ID,
        source=PROD,
        offer=PAYG,
        groups=tuple(group_assessments),
        preconditions=(
            Finding(
                "G4",
                Severity.FIX_FIRST,
                "Microsoft.Web is not registered in Contoso CSP.",
                "Register the provider in the target.",
                "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types",
            ),
        ),
        manual_checks=(
            ManualCheck(
                "R1",
                "Recovery Services vaults with Site Recovery",
                "Open each vault and check Site Recovery.",
                RULES["G7"].source,
            ),
            ManualCheck(
                "A1b",
                "App Service apps created in another group",
                "Use Diagnose > Migration Options for each app.",
                RULES["A1"].source,
            ),
            ManualCheck(
                "VM3",
                "Azure Backup restore points",
                "Stop backup and keep the data before the move.",
                RULES["VM1"].source,
            ),
        ),
        resources=tuple(all_resources),
        target=CSP_MAIN,
        assessed_at=AT,
    )


CONTOSO = make_assessment(groups=10, resources=62, names=_CONTOSO_GROUPS)
HUGE = make_assessment(groups=500, resources=10_000, seed=11)


def make_request(
    assessment: Assessment,
    state: RequestState,
    *,
    request_id: str = "MV-7K2Q",
    moved_fraction: float = 0.0,
    failed_groups: int = 0,
) -> MoveRequest:
    """A move request of every group that is ready, in `state`, part-way through when moving."""
    ready = [g for g in assessment.groups if g.verdict is Verdict.READY]
    groups: list[GroupMove] = []
    done_until = int(len(ready) * moved_fraction)
    for i, g in enumerate(ready):
        move = GroupMove(
            g.name,
            f"/subscriptions/{CSP_MAIN.id}/resourceGroups/{g.name}",
            _LOCATIONS[i % 4],
            g.resource_ids,
        )
        if state in (
            RequestState.MOVING,
            RequestState.SUCCEEDED,
            RequestState.PARTIALLY_SUCCEEDED,
            RequestState.FAILED,
        ):
            if i < done_until:
                move = replace(move, state=GroupState.SUCCEEDED, moved_count=len(g.resource_ids))
            elif i == done_until and state is RequestState.MOVING:
                move = replace(move, state=GroupState.MOVING, moved_count=len(g.resource_ids) // 2)
            if failed_groups and i >= len(ready) - failed_groups:
                move = replace(
                    move,
                    state=GroupState.FAILED,
                    moved_count=0,
                    error=ArmErrorDetail(
                        "ResourceMoveFailed",
                        f"Resource move failed for group {g.name}: the operation timed out after 4 hours.",
                    ),
                )
        groups.append(move)
    decisions = [Decision("requested", ENGINEER, AT, PARTNER_TENANT_ID)]
    if state not in (RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.CANCELLED, RequestState.REJECTED):
        decisions.append(
            Decision(
                "approved", APPROVERS[0], AT + timedelta(minutes=12), PARTNER_TENANT_ID, "Agreed with the customer."
            )
        )
    if state is RequestState.REJECTED:
        decisions.append(
            Decision(
                "rejected",
                APPROVERS[1],
                AT + timedelta(minutes=30),
                PARTNER_TENANT_ID,
                "Wait for the change freeze to end.",
            )
        )
    if state is RequestState.CANCELLED:
        decisions.append(Decision("cancelled", ENGINEER, AT + timedelta(minutes=3), PARTNER_TENANT_ID))
    return MoveRequest(
        id=request_id,
        tenant_id=TENANT_ID,
        source_subscription_id=PROD.id,
        target_subscription_id=CSP_MAIN.id,
        requested_by=ENGINEER,
        requested_at=AT,
        state=state,
        groups=tuple(groups),
        decisions=tuple(decisions),
        source_name=PROD.display_name,
        target_name=CSP_MAIN.display_name,
    )


def history(n: int) -> list[MoveRequest]:
    """n past requests, newest first, in mixed states."""
    states = list(RequestState)
    return [
        replace(
            make_request(CONTOSO, states[i % len(states)], request_id=f"MV-{1000 + n - i:04d}"),
            requested_at=AT - timedelta(hours=5 * i),
        )
        for i in range(n)
    ]


# --------------------------------------------------------------------------- fixes and follow-through


def fix_plan(groups: int) -> tuple[Any, ...]:
    """Steps around a move: a lock and an IP per group, tags and two role assignments after; ids at full
    length, as a tenant of this size has them."""
    from migration.model.plan import PlanStep, StepKind

    sub, target = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
    out: list[PlanStep] = []
    for i in range(groups):
        g = f"/subscriptions/{sub}/resourceGroups/rg-workload-{i:03d}"
        t = f"/subscriptions/{target}/resourceGroups/rg-workload-{i:03d}"
        nic = f"{g}/providers/Microsoft.Network/networkInterfaces/vm-{i:03d}-nic"
        ip = f"{g}/providers/Microsoft.Network/publicIPAddresses/vm-{i:03d}-pip"
        lock = (("scope", g), ("name", "freeze"), ("level", "ReadOnly"), ("notes", "Change freeze until Q3"),
                ("scope_name", f"group rg-workload-{i:03d}"))
        out += [
            PlanStep(f"lift_lock:{g}/freeze".lower(), StepKind.LIFT_LOCK, f"rg-workload-{i:03d}", lock),
            PlanStep(f"disassociate_ip:{nic}/ipconfig1".lower(), StepKind.DISASSOCIATE_IP, f"rg-workload-{i:03d}",
                     (("nic", nic), ("ipconfig", "ipconfig1"), ("ip", ip), ("nic_name", f"vm-{i:03d}-nic"),
                      ("ip_name", f"vm-{i:03d}-pip"))),
            PlanStep(f"restore_lock:{g}/freeze".lower(), StepKind.RESTORE_LOCK, f"rg-workload-{i:03d}", lock),
            PlanStep(f"tag_group:{t}".lower(), StepKind.TAG_GROUP, f"rg-workload-{i:03d}",
                     (("group", t), ("tags", '{"env": "prod"}'), ("source_name", f"rg-workload-{i:03d}"),
                      ("target_name", f"rg-workload-{i:03d}"), ("subscription", target), ("tag_args", "env=prod"))),
            PlanStep(f"recreate_assignment:{t}/a{i}".lower(), StepKind.RECREATE_ASSIGNMENT, f"rg-workload-{i:03d}",
                     (("scope", t), ("name", f"0000000{i % 10}-0000-4000-8000-000000000000"),
                      ("role", "acdd72a7-3385-48ef-bd42-f606fba81ae7"), ("role_name", "Reader"),
                      ("principal", "a11ce000-0000-4000-8000-00000000a11c"), ("principal_type", "User"),
                      ("scope_name", f"group rg-workload-{i:03d}"))),
        ]
    return tuple(out)


def step_records(steps: tuple[Any, ...], *, failed_every: int = 4) -> tuple[Any, ...]:
    from migration.model import ArmErrorDetail
    from migration.model.records import StepRecord, StepStatus

    out = []
    for i, s in enumerate(steps):
        if i % failed_every == failed_every - 1:
            out.append(StepRecord(s.key, StepStatus.FAILED, ArmErrorDetail(
                "PrincipalNotFound", "Principal a11ce0000000400080000000a11c does not exist in the directory.")))
        else:
            out.append(StepRecord(s.key, StepStatus.SUCCEEDED))
    return tuple(out)


MANUAL_FIXES = tuple(
    ChosenFix(
        "rg-vms", "disable_disk_encryption", ("vm",),
        script(f"az vm encryption disable --resource-group rg-vms --name vm-{i} --volume-type all"))
    for i in range(7)
)


def service_fix_plan() -> tuple[Any, ...]:
    """The steps around a move of a workspace linked to Automation, a SQL VM's registration and a managed
    certificate bound to a custom domain, as the planner words them."""
    from migration.fixes.plan import PlanFacts, plan_fixes
    from migration.model import GroupMove, Resource

    sub, target = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
    g = f"/subscriptions/{sub}/resourceGroups/rg-contoso-ops"
    ws, aa = (f"{g}/providers/Microsoft.OperationalInsights/workspaces/law-contoso-ops",
              f"{g}/providers/Microsoft.Automation/automationAccounts/aa-contoso-ops")
    vm, reg = (f"{g}/providers/Microsoft.Compute/virtualMachines/vm-sql-01",
               f"{g}/providers/Microsoft.SqlVirtualMachine/sqlVirtualMachines/vm-sql-01")
    plan, site, cert = (f"{g}/providers/Microsoft.Web/serverfarms/plan-contoso",
                        f"{g}/providers/Microsoft.Web/sites/app-contoso-shop",
                        f"{g}/providers/Microsoft.Web/certificates/shop.contoso.com-app-contoso-shop")
    thumb = "7A" * 20

    def res(rid: str, type_: str, **props: Any) -> Resource:
        return Resource(rid, rid.rsplit("/", 1)[-1], type_, "westeurope", sub, "rg-contoso-ops", properties=props)

    facts = PlanFacts(sub, target, (GroupMove("rg-contoso-ops", f"/subscriptions/{target}/resourceGroups/"
                                              "rg-contoso-ops", "westeurope", (ws, aa, vm, plan, site)),),
                      resources=(res(reg, "Microsoft.SqlVirtualMachine/sqlVirtualMachines", virtualMachineResourceId=vm,
                                     sqlServerLicenseType="AHUB", sqlManagement="Full"),
                                 res(site, "Microsoft.Web/sites", hostNameSslStates=[
                                     {"name": "shop.contoso.com", "sslState": "SniEnabled", "thumbprint": thumb}]),
                                 res(cert, "Microsoft.Web/certificates", canonicalName="shop.contoso.com",
                                     thumbprint=thumb, serverFarmId=plan)),
                      linked_services=(res(f"{ws}/linkedServices/Automation",
                                           "Microsoft.OperationalInsights/workspaces/linkedServices", resourceId=aa),))
    chosen = [ChosenFix("rg-contoso-ops", "unlink_automation_workspace", (ws, f"{ws}/linkedServices/Automation"),
                        script("")),
              ChosenFix("rg-contoso-ops", "delete_sql_iaas_registration", (reg,), script("")),
              ChosenFix("rg-contoso-ops", "recreate_managed_certificate", (cert,), script(""))]
    return plan_fixes(facts, chosen).steps


def move_report(request: MoveRequest, *, steps: tuple[Any, ...] = (), records: tuple[Any, ...] = (),
                manual: tuple[ChosenFix, ...] = (), checklist: tuple[Any, ...] = CHECKLIST,
                leftovers: tuple[str, ...] = (), finished: bool = True) -> Any:
    """The move report of `request` as the final card gets it (migration.reports.move.build)."""
    from migration.model.records import ChecklistEntry, StoredRequest
    from migration.reports.move import build

    entries = tuple(ChecklistEntry(c.title, c.detail, getattr(c, "done", False)) for c in checklist)
    stored = StoredRequest(request, "", checklist=entries, fix_steps=steps, step_records=records,
                           manual_fixes=manual, leftovers=leftovers, finished_at=AT if finished else None)
    return build(stored, now=AT)


def resource_fix_plan() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """A running Stream Analytics job, two disks on customer-managed keys (one of them used by a running VM)
    and a VM's restore point collection, as the planner plans them: the steps, and what stays by hand."""
    from migration.fixes.plan import PlanFacts, plan_fixes
    from migration.model import GroupMove, Resource
    from migration.model.plan import ChosenFix

    sub, target = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
    g, t = f"/subscriptions/{sub}/resourceGroups/rg-analytics", f"/subscriptions/{target}/resourceGroups"
    job = f"{g}/providers/Microsoft.StreamAnalytics/streamingjobs/asa-telemetry"
    des = f"{g}/providers/Microsoft.Compute/diskEncryptionSets/des-analytics"
    disks = [f"{g}/providers/Microsoft.Compute/disks/{n}" for n in ("data-archive", "data-hot")]
    vm = f"{g}/providers/Microsoft.Compute/virtualMachines/vm-analytics"
    rpc = (f"/subscriptions/{sub}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/"
           "restorePointCollections/AzureBackup_vm-analytics_4481731")

    def res(rid: str, type_: str, **kw: Any) -> Resource:
        parts = rid.split("/")
        return Resource(rid, parts[-1], type_, "westeurope", parts[2], parts[4], **kw)

    encryption = {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": des}
    facts = PlanFacts(sub, target, (GroupMove("rg-analytics", f"{t}/rg-analytics", "westeurope",
                                              (job, *disks, vm)),), resources=(
        res(job, "Microsoft.StreamAnalytics/streamingjobs", properties={"jobState": "Running"}),
        res(disks[0], "Microsoft.Compute/disks", properties={"diskState": "Unattached", "encryption": encryption}),
        res(disks[1], "Microsoft.Compute/disks", managed_by=vm,
            properties={"diskState": "Attached", "encryption": encryption}),
        res(rpc, "Microsoft.Compute/restorePointCollections", properties={"source": {"id": vm}})),
        target_resources=(res(f"{t}/rg-analytics/providers/Microsoft.Compute/diskEncryptionSets/des-analytics",
                              "Microsoft.Compute/diskEncryptionSets"),))
    plan = plan_fixes(facts, [
        ChosenFix("rg-analytics", "stop_job", (job,), script("az stream-analytics job stop ...")),
        ChosenFix("rg-analytics", "disable_customer_managed_key", (disks[0],), script("az disk update ...")),
        ChosenFix("rg-analytics", "disable_customer_managed_key", (disks[1],), script("az disk update ...")),
        ChosenFix("rg-analytics", "remove_restore_points", (vm, rpc),
                  script("az restore-point collection delete ..."))])
    return plan.steps, plan.manual


def network_fix_plan() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """A web app integrated with a subnet of its group's network, whose other subnet goes out through a NAT
    gateway, and an app with a private endpoint, as the planner plans them: the steps, and what stays by hand."""
    from migration.fixes.plan import PlanFacts, plan_fixes
    from migration.model import GroupMove, Resource
    from migration.model.plan import ChosenFix

    sub, target = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
    g, t = f"/subscriptions/{sub}/resourceGroups/rg-shop", f"/subscriptions/{target}/resourceGroups"
    site, other = f"{g}/providers/Microsoft.Web/sites/app-shop", f"{g}/providers/Microsoft.Web/sites/app-admin"
    vnet = f"{g}/providers/Microsoft.Network/virtualNetworks/vnet-shop"
    nat = f"/subscriptions/{sub}/resourceGroups/rg-egress/providers/Microsoft.Network/natGateways/nat-shop"

    def res(rid: str, type_: str, **props: Any) -> Resource:
        parts = rid.split("/")
        return Resource(rid, parts[-1], type_, "westeurope", parts[2], parts[4], properties=props)

    facts = PlanFacts(sub, target, (GroupMove("rg-shop", f"{t}/rg-shop", "westeurope", (site, other, vnet)),),
                      resources=(res(site, "Microsoft.Web/sites", virtualNetworkSubnetId=f"{vnet}/subnets/apps"),
                                 res(other, "Microsoft.Web/sites"),
                                 res(vnet, "Microsoft.Network/virtualNetworks", subnets=[
                                     {"name": "apps", "properties": {}},
                                     {"name": "egress", "properties": {"natGateway": {"id": nat}}}])))
    plan = plan_fixes(facts, [
        ChosenFix("rg-shop", "remove_app_networking", (site,), script("az webapp vnet-integration remove ...")),
        ChosenFix("rg-shop", "remove_app_networking", (other,),
                  script(f"az network private-endpoint delete --ids "
                         f"{g}/providers/Microsoft.Network/privateEndpoints/pe")),
        ChosenFix("rg-shop", "detach_subnet_resource", (vnet, nat), script("az network vnet subnet update ..."))])
    return plan.steps, plan.manual
