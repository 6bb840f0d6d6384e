"""Report export: every resource with its findings; links that are unguessable and expire."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from migration.reports.assessment_export import CSV_COLUMNS, to_csv, to_json
from storage.reports import ReportLinks, token_hash
from storage.sqlite import SqliteDocumentStore
from tests.support.builders import assess_resources, group_scope, lock, res

RESOURCES = [
    res("rg-ok", "Microsoft.Storage/storageAccounts", "st, \"quoted\""),
    res("rg-bad", "Microsoft.Compute/virtualMachines", "fw", plan={"name": "p", "publisher": "x"}),
    res("rg-bad", "Microsoft.Network/networkSecurityGroups", "nsg"),
]


def test_csv_lists_every_resource_with_each_finding() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(assess_resources(RESOURCES)))))
    assert tuple(rows[0]) == CSV_COLUMNS
    per_resource = {(r["resource_name"], r["rule_id"], r["resource_verdict"]) for r in rows if r["resource_id"]}
    assert per_resource == {('st, "quoted"', "", "ready"), ("fw", "VM1", "blocked"), ("nsg", "", "ready")}
    assert {r["group_verdict"] for r in rows if r["resource_group"] == "rg-bad"} == {"blocked"}
    assert {r["rule_id"] for r in rows if not r["resource_id"]} == {"G15", "G17"}  # group-level notes


def test_json_groups_resources_and_their_findings() -> None:
    doc = json.loads(to_json(assess_resources(RESOURCES)))
    bad = next(g for g in doc["groups"] if g["name"] == "rg-bad")
    assert bad["verdict"] == "blocked" and bad["dryRun"] is None
    fw = next(r for r in bad["resources"] if r["name"] == "fw")
    assert [f["ruleId"] for f in fw["findings"]] == ["VM1"]
    assert doc["summary"]["resources"] == 3
    assert {m["ruleId"] for m in doc["manualChecks"]} >= {"G6", "G16"}


def test_report_names_the_move_support_source_and_each_fix() -> None:
    locked = assess_resources(RESOURCES, locks=[lock(group_scope("rg-bad"))])
    doc = json.loads(to_json(locked))
    assert "move-support-resources" in doc["moveSupportSource"] and "10/26/2025" in doc["moveSupportSource"]
    [g12] = [f for g in doc["groups"] for f in g["findings"] if f["ruleId"] == "G12"]
    assert g12["fix"]["action"] == "lift_read_only_lock"
    assert g12["fix"]["command"]["posix"].startswith("az lock delete --name freeze --resource-group rg-bad")
    assert g12["fix"]["command"]["argv"][0][:4] == ["az", "lock", "delete", "--name"]
    rows = list(csv.DictReader(io.StringIO(to_csv(locked))))
    [row] = [r for r in rows if r["rule_id"] == "G12"]
    assert row["fix_action"] == "lift_read_only_lock" and row["after_move_command"].startswith("az lock create")


async def test_link_resolves_until_it_expires(tmp_path: Path) -> None:
    now = [datetime(2025, 6, 2, 9, 0, tzinfo=UTC)]
    store = SqliteDocumentStore(tmp_path / "s.db")
    links = ReportLinks(store, ttl=timedelta(hours=1), clock=lambda: now[0])
    big = [res("rg-big", "Microsoft.Network/networkSecurityGroups", f"nsg-{i:04d}") for i in range(400)]
    assessment = assess_resources(big + RESOURCES)
    link = await links.create(assessment)
    assert len(link.token) >= 43 and link.expires_at == now[0] + timedelta(hours=1)

    got = await links.resolve(link.token, "csv")
    assert got is not None and got.content == to_csv(assessment)  # reassembled from several stored parts
    assert got.media_type.startswith("text/csv") and got.filename.endswith(".csv")
    assert (await links.resolve(link.token, "json")).content == to_json(assessment)  # type: ignore[union-attr]
    assert await links.resolve(link.token, "xml") is None
    assert await links.resolve("A" * 43, "csv") is None
    assert await links.resolve("../" + link.token, "csv") is None

    now[0] += timedelta(hours=1)
    assert await links.resolve(link.token, "csv") is None
    assert await store.list("reports") == []  # an expired report is removed
    second = await links.create(assessment)
    assert second.token != link.token
    await store.close()


async def test_expired_reports_are_swept_without_anyone_opening_them(tmp_path: Path) -> None:
    now = [datetime(2025, 6, 2, 9, 0, tzinfo=UTC)]
    store = SqliteDocumentStore(tmp_path / "s.db")
    links = ReportLinks(store, ttl=timedelta(hours=24), clock=lambda: now[0])
    first = await links.create(assess_resources(RESOURCES))
    now[0] += timedelta(hours=23)
    second = await links.create(assess_resources(RESOURCES))
    assert await links.resolve(first.token, "csv") is not None, "not yet expired: kept"

    now[0] += timedelta(hours=2)  # the first link expired, nobody opened it
    third = await links.create(assess_resources(RESOURCES))
    kept = {r.key.split(".")[0] for r in await store.list("reports")}
    assert token_hash(first.token) not in kept and {token_hash(second.token), token_hash(third.token)} <= kept
    assert await links.resolve(first.token, "csv") is None


async def test_the_store_keeps_only_a_hash_of_each_link(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "s.db")
    link = await ReportLinks(store).create(assess_resources(RESOURCES))
    stored = [*await store.list("reports"), *await store.list("reportindex")]
    assert stored and not any(link.token in r.key or link.token in json.dumps(r.value) for r in stored)
    assert {r.key for r in await store.list("reportindex")} == {token_hash(link.token)}
    assert await ReportLinks(store).resolve(token_hash(link.token)[:43], "csv") is None, "the hash opens nothing"
    await store.close()
    await store.close()
