"""The azure-2025 scenario, built from Microsoft's 2025 move pages: every rule of the 2025 guidance meets the
assessment end to end (real gateway, sandbox over HTTPS), then Azure's dry run; the dry run's answer wins."""

from __future__ import annotations

from collections import Counter

from migration.assessment.assess import assess, summarize
from migration.assessment.dryrun import ensure_target_groups, run_dry_run
from migration.azure.gateway import ArmGateway
from migration.model import Assessment, FixAction, Severity, Verdict
from tests.support.sandbox import GatewayFactory, SandboxFactory

ADATUM = "ada7a000-0000-4000-8000-000000000001"
PAYG = "ada7a000-5ab1-4000-8000-000000000001"
CSP = "ada7a000-c5b1-4000-8000-000000000002"
R, F, B, A = Verdict.READY, Verdict.READY_AFTER_FIXES, Verdict.BLOCKED, Verdict.AZURE_DECIDES

# group -> (the rules' verdict, the verdict after Azure's dry run, rules that must fire there)
EXPECTED: dict[str, tuple[Verdict, Verdict, set[str]]] = {
    "rg-vm-stdip": (F, F, {"N1"}),  # Standard IP on a NIC: disassociate, move, re-associate
    "rg-ip-spare": (R, R, set()),  # an unattached Standard IP moves
    "rg-lb-std": (B, B, {"N1"}),  # Standard load balancer: redeploy
    "rg-cmk": (F, F, {"CMK1", "KV1", "G7"}),  # customer-managed key, its vault, its encryption set (left behind)
    "rg-snapshots": (F, F, {"SN1"}),  # incremental snapshot: left behind, re-taken
    "rg-snapshots-full": (R, R, set()),
    "rg-sqlvm": (F, F, {"SQL1"}),  # delete the SQL IaaS registration, re-register after
    "rg-webapp-home": (F, F, {"A1"}),  # its plan hosts the app in rg-webapp-moved: Azure moves them together
    "rg-webapp-moved": (F, F, {"A1"}),  # webSpace says it was created in rg-webapp-home
    "rg-nat": (F, F, {"N7", "G7"}),  # detach the NAT gateway, re-create it in the target
    "rg-bastion": (F, F, {"N7", "G7"}),
    "rg-firewall": (B, B, {"N7", "G7"}),
    "rg-peered": (F, F, {"N2"}),
    "rg-asr": (B, B, {"R1"}),  # Site Recovery items, read from recoveryservicesresources
    "rg-backup": (R, R, {"R1"}),  # backup items only: a warning
    "rg-monitoring": (F, F, {"S2"}),  # workspace linked to Automation, read from ARM
    "rg-identity": (F, F, {"U1"}),
    "rg-apim": (B, B, {"S6"}),
    "rg-apim-dev": (R, R, set()),
    "rg-cosmos-vcore": (B, B, {"G7"}),
    "rg-cosmos-ru": (R, R, set()),
    "MC_rg-aks_aks-adatum_westeurope": (B, B, {"G19"}),
    "rg-app-alerts": (F, F, {"G7"}),  # an alert rule, an SSH key, a DCR next to a healthy VM: left behind
    "rg-third-party": (B, B, {"T1"}),
    "rg-unknown": (A, R, {"G8"}),  # not in the table: Azure decides, and accepts
    "rg-unknown-refused": (A, B, {"G8"}),  # ... and refuses
    "rg-locked-ro": (F, F, {"G12"}),
    "rg-locked-cnd": (R, R, set()),  # a CanNotDelete lock does not block a move
    "rg-maintenance": (B, B, {"G7"}),
    "rg-maintenance-accepted": (B, R, {"G7"}),  # the rules and Azure disagree: Azure accepts
    "rg-storage-refused": (R, B, set()),  # ... and the other way: Azure refuses
    "rg-backupvault": (R, R, set()),  # backup vaults and action groups move (the 2023 data said they did not)
}
STOPPING = (Severity.BLOCKER, Severity.FIX_FIRST, Severity.AZURE_DECIDES)


async def _assessed(sandbox_factory: SandboxFactory, gateway_factory: GatewayFactory) -> tuple[Assessment, Assessment]:
    sb = await sandbox_factory("azure-2025")
    gw: ArmGateway = gateway_factory(sb)
    a = await assess(gw, tenant_id=ADATUM, source_subscription_id=PAYG, target_subscription_id=CSP)
    names = [g.name for g in a.groups]
    await ensure_target_groups(gw.for_tenant(ADATUM), a, groups=names)
    return a, await run_dry_run(gw.for_tenant(ADATUM), a, groups=names)


async def test_every_group_gets_the_right_verdict_before_and_after_the_dry_run(
        sandbox_factory: SandboxFactory, gateway_factory: GatewayFactory) -> None:
    a, checked = await _assessed(sandbox_factory, gateway_factory)
    assert {g.name: g.verdict for g in a.groups} == {n: v for n, (v, _, _) in EXPECTED.items()}
    assert {g.name: g.final_verdict for g in checked.groups} == {n: v for n, (_, v, _) in EXPECTED.items()}
    for g in a.groups:
        fired = {f.rule_id for f in g.findings if f.severity in STOPPING or f.rule_id == "R1"}
        assert EXPECTED[g.name][2] <= fired, (g.name, fired)
        if EXPECTED[g.name][0] is R:
            assert not [f for f in g.findings if f.severity in STOPPING], g.name
    assert summarize(checked).disagreements == 2
    assert a.preconditions == ()
    assert "ms.date 10/26/2025" in a.catalog_source


async def test_each_fix_names_its_action_the_real_names_and_its_source(
        sandbox_factory: SandboxFactory, gateway_factory: GatewayFactory) -> None:
    a, _ = await _assessed(sandbox_factory, gateway_factory)
    fixes = {(f.resource_group, f.rule_id): f.fix for f in a.findings if f.fix is not None}
    assert fixes[("rg-vm-stdip", "N1")].action is FixAction.DISASSOCIATE_PUBLIC_IP
    assert fixes[("rg-vm-stdip", "N1")].command.posix() == (
        "az network nic ip-config update -g rg-vm-stdip --nic-name vm-web-1-nic -n ipconfig1 --remove publicIpAddress")
    assert fixes[("rg-vm-stdip", "N1")].after.posix() == (
        "az network nic ip-config update -g rg-vm-stdip --nic-name vm-web-1-nic -n ipconfig1 --public-ip-address "
        f"/subscriptions/{CSP}/resourceGroups/rg-vm-stdip/providers/Microsoft.Network/publicIPAddresses/pip-vm-web-1")
    assert fixes[("rg-sqlvm", "SQL1")].action is FixAction.DELETE_SQL_IAAS_REGISTRATION
    assert fixes[("rg-sqlvm", "SQL1")].command.posix() == "az sql vm delete -g rg-sqlvm -n vm-sql --yes"
    assert fixes[("rg-sqlvm", "SQL1")].after.posix() == "az sql vm create -g rg-sqlvm -n vm-sql --license-type AHUB"
    assert "move-support-resources#microsoftsqlvirtualmachine" in fixes[("rg-sqlvm", "SQL1")].source
    assert fixes[("rg-monitoring", "S2")].action is FixAction.UNLINK_AUTOMATION_WORKSPACE
    assert fixes[("rg-monitoring", "S2")].command.posix() == (
        "az monitor log-analytics workspace linked-service delete -g rg-monitoring --workspace-name law-adatum "
        "-n Automation")
    assert fixes[("rg-peered", "N2")].command.posix() == (
        "az network vnet peering delete -g rg-peered --vnet-name vnet-spoke -n spoke-to-hub")
    assert fixes[("rg-webapp-moved", "A1")].action is FixAction.MOVE_APP_SERVICE_BACK
    assert fixes[("rg-nat", "N7")].command.posix() == (
        "az network vnet subnet update -g rg-nat --vnet-name vnet -n default --remove natGateway")
    assert fixes[("rg-cmk", "CMK1")].action is FixAction.DISABLE_CUSTOMER_MANAGED_KEY
    assert fixes[("rg-locked-ro", "G12")].action is FixAction.LIFT_READ_ONLY_LOCK
    assert fixes[("rg-locked-ro", "G12")].after.posix() == (
        f'az lock create --name change-freeze --lock-type ReadOnly --resource-group rg-locked-ro --subscription {PAYG} '
        "--notes 'Audit season'")
    leave = Counter(f.rule_id for f in a.findings
                    if f.fix is not None and f.fix.action is FixAction.LEAVE_BEHIND_AND_RECREATE)
    assert leave == {"G7": 6, "SN1": 1, "U1": 1}  # DES, NAT gateway, Bastion, alert, SSH key, DCR
