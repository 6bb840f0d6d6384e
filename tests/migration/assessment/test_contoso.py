"""The contoso scenario's full expected assessment, end to end through the real gateway and the sandbox."""

from __future__ import annotations

from collections import Counter

import pytest

from migration.assessment.assess import assess, resource_verdicts, summarize
from migration.assessment.dryrun import azure_verdict, ensure_target_groups, planned_target_groups, run_dry_run
from migration.azure.gateway import ArmGateway
from migration.model import Assessment, Verdict
from sandbox import Sandbox
from tests.support.sandbox import GatewayFactory, SandboxFactory

CONTOSO = "0c0a7050-0000-4000-8000-000000000001"
PAYG = "0c0a7050-5ab1-4000-8000-000000000001"
CSP = "0c0a7050-c5b1-4000-8000-000000000002"
WOODGROVE = "00dd9709-0000-4000-8000-000000000003"
WOODGROVE_CSP = "00dd9709-c5b1-4000-8000-000000000003"

R, F, B, A = Verdict.READY, Verdict.READY_AFTER_FIXES, Verdict.BLOCKED, Verdict.AZURE_DECIDES
# group -> (verdict, resources, findings per rule other than the G15/G17 every group gets)
EXPECTED = {
    "AzureBackupRG_westeurope_1": (B, 1, {"G7": 1}),
    "rg-app-split": (F, 3, {"G10": 2, "VM3": 1, "VM4": 1, "VM7": 1}),
    "rg-appsvc-api": (F, 1, {"A1": 1}),  # created in rg-appsvc-plans (webSpace): move it back first
    "rg-appsvc-plans": (F, 2, {"A1": 2}),  # free managed certificate; its plan hosts the app of rg-appsvc-api
    "rg-build": (B, 5, {"G13": 1, "S4": 1}),
    "rg-data": (F, 4, {"G4": 1, "S1": 1}),
    "rg-integration": (R, 2, {}),
    "rg-legacy": (B, 4, {"G9": 4, "S10": 1}),
    "rg-legacy-migrated": (F, 4, {"VM2": 1, "VM8": 1}),
    "rg-locked": (F, 3, {"G12": 1, "S2": 1}),  # lift the ReadOnly lock, unlink Automation (read from ARM)
    "rg-marketplace": (B, 5, {"VM1": 1, "N1": 1}),  # the Standard IP is a fix; the Marketplace plan is not
    "rg-network-hub": (F, 3, {"G10": 1, "VM5": 1, "N2": 1}),
    "rg-ops": (B, 1, {"G7": 1}),  # the 2025 table says No; this Azure accepts (the dry run wins)
    "rg-platform": (B, 11, {"G7": 3, "N4": 1, "N5": 1, "N6": 1, "R1": 1, "S6": 1, "S9": 1, "U1": 1}),
    "rg-vm-app": (R, 6, {}),
    "rg-web-prod": (R, 5, {"C1": 1}),
}
# After Azure's dry run of every group: where Azure disagrees, its answer wins (rg-integration, rg-ops).
FINAL = {**{name: v for name, (v, _, _) in EXPECTED.items()}, "rg-integration": B, "rg-ops": R}


@pytest.fixture
async def contoso(sandbox_factory: SandboxFactory, gateway_factory: GatewayFactory) -> tuple[Sandbox, ArmGateway]:
    sb = await sandbox_factory("contoso")
    return sb, gateway_factory(sb)


async def _assess(gw: ArmGateway, target: str | None = CSP) -> Assessment:
    return await assess(gw, tenant_id=CONTOSO, source_subscription_id=PAYG, target_subscription_id=target)


async def test_contoso_full_expected_assessment(contoso: tuple[Sandbox, ArmGateway]) -> None:
    sb, gw = contoso
    progress: list[tuple[int, int | None]] = []

    async def on_progress(done: int, total: int | None) -> None:
        progress.append((done, total))

    a = await assess(gw, tenant_id=CONTOSO, source_subscription_id=PAYG, target_subscription_id=CSP,
                     on_progress=on_progress)
    actual = {g.name: (g.verdict, g.resource_count,
                       dict(Counter(f.rule_id for f in g.findings if f.rule_id not in ("G15", "G17"))))
              for g in a.groups}
    assert actual == EXPECTED
    assert a.preconditions == ()
    assert a.offer.category == "payg"
    assert progress[-1][0] == 60
    # One Resource Graph call for 60 resources, one for the vault's Site Recovery and backup items.
    assert sb.stats()["graph"] == 2
    assert sb.stats()["by_operation"]["LinkedServices_ListByWorkspace"] == 1  # the one workspace

    s = summarize(a)
    assert s.groups_by_verdict == {R: 3, F: 7, B: 6, A: 0}
    assert s.top_blockers[:2] == (("G7", 5), ("G9", 4))
    groups = {g.name: g for g in a.groups}
    assert groups["rg-app-split"].consolidate_with == ("rg-network-hub",)
    assert groups["rg-network-hub"].consolidate_with == ("rg-app-split",)
    assert groups["rg-appsvc-api"].consolidate_with == ()  # App Service cannot be consolidated

    verdicts = resource_verdicts(a)
    assert len(verdicts) == 60
    by_name = {r.name: verdicts[r.id] for r in a.resources}
    assert by_name["sql-contoso/db-orders"] is Verdict.READY_AFTER_FIXES  # follows its server's group (G4)
    assert by_name["vm-fortigate"] is Verdict.BLOCKED
    assert by_name["stcontosoarchive"] is Verdict.READY_AFTER_FIXES  # ReadOnly lock on its group: lift it first
    assert by_name["app-contoso-web"] is Verdict.READY  # a CanNotDelete lock does not block


async def test_every_group_gets_the_right_verdict_after_azures_dry_run(contoso: tuple[Sandbox, ArmGateway]) -> None:
    sb, gw = contoso
    a = await _assess(gw)
    names = [g.name for g in a.groups]
    await ensure_target_groups(gw.for_tenant(CONTOSO), a, groups=names)
    checked = await run_dry_run(gw.for_tenant(CONTOSO), a, groups=names)
    assert {g.name: g.final_verdict for g in checked.groups} == FINAL
    groups = {g.name: g for g in checked.groups}
    assert "Azure accepts group rg-ops" in (groups["rg-ops"].dry_run.disagreement or "")
    assert "Azure refuses group rg-integration" in (groups["rg-integration"].dry_run.disagreement or "")
    assert summarize(checked).disagreements == 2
    # Fix-first findings carry the command with the real names.
    lock = next(f for f in groups["rg-locked"].findings if f.rule_id == "G12")
    assert lock.fix is not None and lock.fix.command.posix() == (
        f"az lock delete --name finance-freeze --resource-group rg-locked --subscription {PAYG}")


async def test_registering_the_provider_clears_g4(contoso: tuple[Sandbox, ArmGateway]) -> None:
    _, gw = contoso
    await gw.for_tenant(CONTOSO).providers.register_provider(CSP, "Microsoft.Sql")
    a = await _assess(gw)
    data = next(g for g in a.groups if g.name == "rg-data")
    assert data.verdict is Verdict.READY
    assert not [f for f in a.findings if f.rule_id == "G4"]


async def test_target_in_another_tenant_is_named_with_steps_to_rehome(contoso: tuple[Sandbox, ArmGateway]) -> None:
    _, gw = contoso
    a = await _assess(gw, WOODGROVE_CSP)
    assert [f.rule_id for f in a.preconditions] == ["G1"]
    assert WOODGROVE in a.preconditions[0].message
    assert not summarize(a).preconditions_ok


async def test_dry_run_of_ready_groups_records_azure_disagreeing(contoso: tuple[Sandbox, ArmGateway]) -> None:
    sb, gw = contoso
    a = await _assess(gw)
    plans = planned_target_groups(a)
    assert [(p.name, p.location, p.resource_count) for p in plans] == [
        ("rg-integration", "westeurope", 2), ("rg-vm-app", "westeurope", 6), ("rg-web-prod", "westeurope", 5)]
    assert {g.name for g in sb.world.sub(CSP).groups.values()} == set()  # nothing created before confirming
    await ensure_target_groups(gw.for_tenant(CONTOSO), a, groups=[p.name for p in plans])
    assert {g.name for g in sb.world.sub(CSP).groups.values()} == {p.name for p in plans}

    checked = await run_dry_run(gw.for_tenant(CONTOSO), a, groups=[p.name for p in plans])
    runs = {g.name: g.dry_run for g in checked.groups if g.dry_run}
    assert {n: r.valid for n, r in runs.items()} == {"rg-integration": False, "rg-vm-app": True, "rg-web-prod": True}
    refused = runs["rg-integration"]
    assert refused.disagreement and "SSIS-IRs" in refused.disagreement
    assert runs["rg-vm-app"].disagreement is None
    assert azure_verdict(next(g for g in checked.groups if g.name == "rg-integration")) is Verdict.BLOCKED
    assert summarize(checked).disagreements == 1
    assert sb.stats()["by_operation"]["Resources_ValidateMoveResources"] == 3


async def test_dry_run_of_a_split_group_agrees_with_missing_dependencies(contoso: tuple[Sandbox, ArmGateway]) -> None:
    _, gw = contoso
    a = await _assess(gw)
    await ensure_target_groups(gw.for_tenant(CONTOSO), a, groups=["rg-app-split"])
    checked = await run_dry_run(gw.for_tenant(CONTOSO), a, groups=["rg-app-split"])
    run = next(g.dry_run for g in checked.groups if g.name == "rg-app-split")
    assert run is not None and not run.valid and run.disagreement is None
    codes = {d.code for e in run.errors for d in e.walk()}
    assert "MissingMoveDependentResources" in codes  # unfolded from the JSON inside the provider's message
