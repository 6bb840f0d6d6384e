"""The catalog reads Microsoft's move-support table with its quirks, and its own data files with sources."""

from __future__ import annotations

import json

import pytest

from migration.assessment.catalog import DATA_DIR, UnknownRuleError, load_catalog, read_move_support
from migration.model import Severity


def test_move_support_is_case_insensitive_and_from_the_2025_table() -> None:
    c = load_catalog()
    assert c.move_support("microsoft.compute/VIRTUALMACHINES") is True
    assert c.move_support("Microsoft.ContainerService/managedClusters") is False
    assert c.move_support("Microsoft.Web/certificates") is True  # No for group moves, Yes for subscription moves
    assert c.support("Microsoft.Web/certificates").resource_group is False
    # Where the 2025 table differs from the 2023 CSV the project used before:
    assert c.move_support("Microsoft.Insights/actionGroups") is True
    assert c.move_support("Microsoft.DataProtection/backupVaults") is True
    assert c.move_support("Microsoft.SqlVirtualMachine/sqlVirtualMachines") is False
    assert c.move_support("Microsoft.Maintenance/maintenanceConfigurations") is False  # the Yes row is commented out
    assert c.source is not None and c.source.ms_date == "10/26/2025"
    assert "move-support-resources" in c.described() and "10/26/2025" in c.described()


def test_conditions_the_table_states_in_words() -> None:
    c = load_catalog()
    assert c.support("Microsoft.Compute/snapshots").condition == "full_snapshots_only"
    assert c.support("Microsoft.Network/loadBalancers").condition == "basic_sku_only"
    assert c.support("Microsoft.Network/privateEndpoints").condition == "supported_private_link_only"
    assert c.private_endpoint_movable("microsoft.dbformysql/flexibleservers")
    assert not c.private_endpoint_movable("microsoft.storage/storageaccounts")
    assert "Third-party services don't support move" in c.statement("third_party").text
    assert c.statement("sql_iaas").section == "Microsoft.SqlVirtualMachine"


def test_unlisted_and_pending_types_are_unknown() -> None:
    c = load_catalog()
    assert c.move_support("Microsoft.App/containerApps") is None
    assert not c.is_listed("Microsoft.App/containerApps")
    assert c.is_listed("Microsoft.DevOps/controllers") and c.move_support("Microsoft.DevOps/controllers") is None


def test_read_move_support_reads_what_make_catalog_writes() -> None:
    table, private_link, statements, source = read_move_support(DATA_DIR / "move-support.json")
    assert len(table) > 700 and "microsoft.sql/servers" in private_link
    assert source.page == "move-support-resources.md" and "peering" in statements


@pytest.mark.parametrize(("quota", "category", "source_ok", "target_ok"), [
    ("PayAsYouGo_2014-09-01", "payg", True, False),
    ("azureinopen_2014-09-01", "open", True, False),
    ("EnterpriseAgreement_2014-09-01", "ea", True, False),
    ("MSDNDevTest_2014-09-01", "devtest", True, False),
    ("FreeTrial_2014-09-01", "credit", True, False),
    ("CSP_2015-05-01", "csp", False, True),
    ("CSP_MG_2017-12-01", "csp", False, True),
    ("Something_2030-01-01", "other", False, False),
])
def test_offer_from_quota_id(quota: str, category: str, source_ok: bool, target_ok: bool) -> None:
    offer = load_catalog().offer(quota)
    assert (offer.category, offer.source_allowed, offer.target_allowed) == (category, source_ok, target_ok)
    assert offer.quota_id.lower() == quota.lower()


def test_classic_detection_and_retirement() -> None:
    c = load_catalog()
    assert c.is_classic("microsoft.classiccompute/domainnames")
    assert c.is_classic("Microsoft.Authorization/classicAdministrators")
    assert not c.is_classic("Microsoft.Compute/virtualMachines")
    assert c.classic_info("microsoft.classicnetwork/virtualnetworks").retired == "August 2024"
    assert c.classic_info("microsoft.classicstorage/disks").what == "classic resource"


def test_rules_cover_the_notes_and_carry_sources() -> None:
    c = load_catalog()
    expected = {f"G{i}" for i in range(1, 19)} | {f"VM{i}" for i in range(1, 9)} | {f"N{i}" for i in range(1, 7)}
    expected |= {"A1", "R1"} | {f"S{i}" for i in range(1, 11)} | {"T1", "G19", "U1", "KV1", "CMK1", "SN1", "SQL1", "N7"}
    assert expected <= set(c.rules)
    for text in c.rules.values():
        assert text.rule.source.startswith("https://"), text.rule.id
        assert text.check in ("data", "manual", "by_design")
        assert text.message if text.check == "data" else text.how_to_check or text.check == "by_design"
    assert c.rule("G7").severity is Severity.BLOCKER
    assert c.rule("G8").severity is Severity.AZURE_DECIDES
    assert c.rule("G12").severity is Severity.FIX_FIRST
    for text in c.rules.values():  # every statement a rule cites is in the generated data
        for key in [text.statement, *(case.statement for case in text.cases.values())]:
            assert key is None or c.statement(key).url.startswith("https://"), text.rule.id
    with pytest.raises(UnknownRuleError):
        c.rule("Z9")


def test_every_data_file_entry_names_its_source() -> None:
    for name in ("offers.json", "csp-restricted.json", "classic.json"):
        data = json.loads((DATA_DIR / name).read_text())
        entries = data.get("offers") or data.get("services") or data.get("types")
        assert entries and all(e["source"].startswith("https://") for e in entries), name


def test_catalog_is_cached_per_directory() -> None:
    assert load_catalog() is load_catalog(DATA_DIR)
