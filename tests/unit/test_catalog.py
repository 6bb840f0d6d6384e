"""The catalog reads Microsoft's move-support table with its quirks, and its own data files with sources."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from migration.catalog import DATA_DIR, UnknownRuleError, load_catalog, read_move_support
from migration.model import Severity


def test_move_support_is_case_insensitive_and_duplicates_collapse() -> None:
    c = load_catalog()
    assert c.move_support("microsoft.compute/VIRTUALMACHINES") is True  # listed twice, both 1,1
    assert c.move_support("Microsoft.ContainerService/managedClusters") is False
    assert c.move_support("Microsoft.Web/certificates") is True  # 0 for group moves, 1 for subscription moves


def test_conflicting_rows_and_unlisted_types_are_unknown() -> None:
    c = load_catalog()
    assert c.move_support("Microsoft.Maintenance/maintenanceConfigurations") is None
    assert c.move_support("Microsoft.App/containerApps") is None
    assert not c.is_listed("Microsoft.App/containerApps")


def test_read_move_support_on_a_crlf_file_with_conflicts(tmp_path: Path) -> None:
    csv = tmp_path / "m.csv"
    csv.write_bytes(b"Resource,Move Resource Group,Move Subscription\r\nA.B/c,1,1\r\na.b/C,1,1\r\nX.Y/z,1,1\r\n"
                    b"x.y/z,0,0\r\n")
    table, conflicts = read_move_support(csv)
    assert table == {"a.b/c": True, "x.y/z": None}
    assert conflicts == {"x.y/z"}


def test_shipped_csv_is_the_upstream_copy() -> None:
    digest = hashlib.sha256((DATA_DIR / "move-support-resources.csv").read_bytes()).hexdigest()
    assert digest == "01d5e65b5ccef54d584d4697cd9b27f7dfaa692fb09ff5debe6ea78d6a78d876"


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
    expected |= {"A1", "R1"} | {f"S{i}" for i in range(1, 11)}
    assert expected <= set(c.rules)
    for text in c.rules.values():
        assert text.rule.source.startswith("https://"), text.rule.id
        assert text.check in ("data", "manual", "by_design")
        assert text.message if text.check == "data" else text.how_to_check or text.check == "by_design"
    assert c.rule("G7").severity is Severity.BLOCKER
    with pytest.raises(UnknownRuleError):
        c.rule("Z9")


def test_every_data_file_entry_names_its_source() -> None:
    for name in ("offers.json", "csp-restricted.json", "classic.json"):
        data = json.loads((DATA_DIR / name).read_text())
        entries = data.get("offers") or data.get("services") or data.get("types")
        assert entries and all(e["source"].startswith("https://") for e in entries), name


def test_catalog_is_cached_per_directory() -> None:
    assert load_catalog() is load_catalog(DATA_DIR)
