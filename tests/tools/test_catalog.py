"""`make catalog` derives the committed move-support data from Microsoft's pages, kept inside the project."""

from __future__ import annotations

import json
from pathlib import Path

from tools import catalog

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "microsoft-docs"


def test_committed_data_is_what_the_tool_makes_of_the_in_project_pages() -> None:
    assert catalog.OUT.read_text(encoding="utf-8") == catalog.render(catalog.build(catalog.DOCS))


def test_the_in_project_pages_match_the_shared_copy_where_there_is_one() -> None:
    # A clone has no shared copy; the comparison above always runs, this one wherever the copy exists.
    pages = sorted(p.name for p in catalog.DOCS.glob("*.md"))
    assert "move-support-resources.md" in pages
    if SHARED.is_dir():
        assert catalog.render(catalog.build(SHARED)) == catalog.OUT.read_text(encoding="utf-8")
        for name in (n for n in pages if n != "README.md"):
            assert (SHARED / name).read_bytes() == (catalog.DOCS / name).read_bytes(), name


def test_tables_inside_html_comments_are_not_facts() -> None:
    text = ("## Microsoft.Maintenance\n\n<!-- > | Resource type | Resource group | Subscription | Region move |\n"
            "> | maintenanceconfigurations | **Yes** | **Yes** | No | -->\n\n"
            "> | Resource type | Resource group | Subscription | Region move |\n"
            "> | ------------- | ----------- | ---------- | ----------- |\n"
            "> | maintenanceconfigurations | No | No | No |\n")
    types = catalog.parse_table(text)
    assert types["microsoft.maintenance/maintenanceconfigurations"]["subscription"] is False


def test_conditions_in_words_become_named_conditions() -> None:
    text = ("## Microsoft.Compute\n\n> | Resource type | Resource group | Subscription | Region move |\n"
            "> | snapshots | **Yes** - Full <br> No - Incremental | **Yes** - Full <br> No - Incremental | No |\n"
            "> | controllers | **pending** | **pending** | No |\n")
    types = catalog.parse_table(text)
    snap = types["microsoft.compute/snapshots"]
    assert (snap["subscription"], snap["condition"], snap["words"]) == (True, "full_snapshots_only",
                                                                          "Yes - Full; No - Incremental")
    assert types["microsoft.compute/controllers"]["subscription"] is None


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "move-support.json"
    stale.write_text(json.dumps({"types": {}}), encoding="utf-8")
    assert catalog.main(["--check", "--out", str(stale)]) == 1
    assert catalog.main(["--out", str(stale)]) == 0
    assert catalog.main(["--check", "--out", str(stale)]) == 0
