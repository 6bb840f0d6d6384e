"""The assessment's facts, loaded from data files under `migration/data/` (each entry carries its source).

Move support comes from `move-support.json`, which `make catalog` derives from Microsoft's move pages.
Lookups are case-insensitive: Resource Graph lower-cases types and Microsoft's table mixes casings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from migration import DATA_DIR
from migration.model import Offer, Rule, Severity

MOVE_SUPPORT = "move-support.json"


@dataclass(frozen=True, slots=True)
class MoveSupport:
    """One row of Microsoft's table: can the type change group / subscription, and on what condition."""

    type: str
    resource_group: bool | None  # None: the table says "pending"
    subscription: bool | None
    condition: str | None = None  # named condition (full_snapshots_only, basic_sku_only, ...)
    words: str | None = None  # the condition as the table states it


@dataclass(frozen=True, slots=True)
class Statement:
    """A sentence of Microsoft's move pages that a rule relies on, with where it stands."""

    text: str
    page: str
    section: str
    url: str
    ms_date: str


@dataclass(frozen=True, slots=True)
class SourceInfo:
    page: str
    title: str
    ms_date: str
    url: str


@dataclass(frozen=True, slots=True)
class RuleCase:
    """A variant of a rule with its own severity / remediation (e.g. A1 split vs. managed certificate)."""

    severity: Severity
    remediation: str | None = None
    message: str | None = None
    fix: Mapping[str, Any] | None = None  # {"action", "command", "after", "after_note"} (rules.json's notes)
    statement: str | None = None  # key of the Microsoft statement (move-support.json) this case cites


@dataclass(frozen=True, slots=True)
class RuleText:
    rule: Rule
    check: str  # data | manual | by_design
    message: str = ""
    how_to_check: str = ""
    cases: Mapping[str, RuleCase] = field(default_factory=dict)
    fix: Mapping[str, Any] | None = None
    statement: str | None = None


@dataclass(frozen=True, slots=True)
class ClassicInfo:
    type: str
    what: str
    retired: str
    migrate_to: str
    source: str


@dataclass(frozen=True, slots=True)
class Restriction:
    type: str
    severity: Severity
    what: str
    detail: str
    source: str


class UnknownRuleError(KeyError):
    pass


@dataclass(frozen=True, slots=True)
class Catalog:
    move_support_table: Mapping[str, MoveSupport]  # lower-case type -> Microsoft's table row
    offers: Mapping[str, Offer]  # lower-case quota id
    unknown_offer: Offer
    rules: Mapping[str, RuleText]
    classic_prefix: str
    classic_types: Mapping[str, ClassicInfo]  # lower-case type
    classic_extra: frozenset[str]
    classic_default: ClassicInfo
    restricted: Mapping[str, Restriction]  # lower-case type
    private_endpoint_targets: frozenset[str]  # lower-case types
    statements: Mapping[str, Statement] = field(default_factory=dict)
    source: SourceInfo | None = None
    leave_behind: Mapping[str, str] = field(default_factory=dict)  # lower-case type -> how to re-create it

    def support(self, type_: str) -> MoveSupport | None:
        return self.move_support_table.get(type_.lower())

    def move_support(self, type_: str) -> bool | None:
        """Movable to another subscription? None when the table does not list the type or says pending."""
        row = self.move_support_table.get(type_.lower())
        return row.subscription if row else None

    def is_listed(self, type_: str) -> bool:
        return type_.lower() in self.move_support_table

    def is_listed_namespace(self, type_: str) -> bool:
        prefix = type_.split("/", 1)[0].lower() + "/"
        return any(k.startswith(prefix) for k in self.move_support_table)

    def statement(self, key: str) -> Statement:
        return self.statements[key]

    def described(self) -> str:
        """'Microsoft's <page> (ms.date <date>)': what the report and `help` name as the facts' source."""
        if self.source is None:
            return ""
        return f"{self.source.title}, {self.source.url} (ms.date {self.source.ms_date})"

    def offer(self, quota_id: str) -> Offer:
        found = self.offers.get((quota_id or "").lower())
        if found is not None:
            return found
        return Offer(quota_id=quota_id, name=self.unknown_offer.name, category=self.unknown_offer.category,
                     source_allowed=False, target_allowed=False, note=self.unknown_offer.note)

    def rule(self, rule_id: str) -> Rule:
        return self.text(rule_id).rule

    def text(self, rule_id: str) -> RuleText:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise UnknownRuleError(rule_id) from None

    def is_classic(self, type_: str) -> bool:
        low = type_.lower()
        return low.startswith(self.classic_prefix) or low in self.classic_extra

    def classic_info(self, type_: str) -> ClassicInfo:
        return self.classic_types.get(type_.lower(), self.classic_default)

    def restriction(self, type_: str) -> Restriction | None:
        return self.restricted.get(type_.lower())

    def private_endpoint_movable(self, target_type: str) -> bool:
        return target_type.lower() in self.private_endpoint_targets

    def rules_by_check(self, check: str) -> tuple[RuleText, ...]:
        return tuple(t for t in self.rules.values() if t.check == check)


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def read_move_support(path: Path) -> tuple[dict[str, MoveSupport], frozenset[str], dict[str, Statement],
                                          SourceInfo]:
    """move-support.json (as `make catalog` writes it) -> table, movable private-link types, statements, source."""
    data = _read_json(path)
    table = {k: MoveSupport(v["type"], v["resource_group"], v["subscription"], v.get("condition"), v.get("words"))
             for k, v in data["types"].items()}
    statements = {k: Statement(v["text"], v["page"], v["section"], v["url"], v["ms_date"])
                  for k, v in data["statements"].items()}
    src = data["source"]
    return (table, frozenset(t.lower() for t in data["private_link_movable"]), statements,
            SourceInfo(src["page"], src["title"], src["ms_date"], src["url"]))


def _rules(data: Any) -> dict[str, RuleText]:
    out: dict[str, RuleText] = {}
    for r in data["rules"]:
        rule = Rule(id=r["id"], title=r["title"], severity=Severity(r["severity"]), explanation=r["explanation"],
                    remediation=r["remediation"], source=r["source"])
        cases = {k: RuleCase(Severity(v["severity"]), v.get("remediation"), v.get("message"), v.get("fix"),
                             v.get("statement"))
                 for k, v in (r.get("cases") or {}).items()}
        out[rule.id] = RuleText(rule, r["check"], r.get("message", ""), r.get("how_to_check", ""), cases,
                                r.get("fix"), r.get("statement"))
    return out


def _classic(data: Any) -> tuple[dict[str, ClassicInfo], ClassicInfo]:
    types = {t["type"].lower(): ClassicInfo(t["type"], t["what"], t["retired"], t["migrate_to"], t["source"])
             for t in data["types"]}
    d = data["default"]
    return types, ClassicInfo("", d["what"], d["retired"], d["migrate_to"], d["source"])


def _offers(data: Any) -> tuple[dict[str, Offer], Offer]:
    offers = {o["quota_id"].lower(): Offer(quota_id=o["quota_id"], name=o["name"], category=o["category"],
                                           source_allowed=o["source_allowed"], target_allowed=o["target_allowed"],
                                           note=o.get("note")) for o in data["offers"]}
    u = data["unknown"]
    return offers, Offer(quota_id="", name=u["name"], category=u["category"], source_allowed=u["source_allowed"],
                         target_allowed=u["target_allowed"], note=u.get("note"))


@cache
def _load(data_dir: Path) -> Catalog:
    table, private_link, statements, source = read_move_support(data_dir / MOVE_SUPPORT)
    offers, unknown = _offers(_read_json(data_dir / "offers.json"))
    classic_data = _read_json(data_dir / "classic.json")
    classic_types, classic_default = _classic(classic_data)
    restricted = {s["type"].lower(): Restriction(s["type"], Severity(s["severity"]), s["what"], s["detail"],
                                                 s["source"])
                  for s in _read_json(data_dir / "csp-restricted.json")["services"]}
    return Catalog(
        move_support_table=table, offers=offers, unknown_offer=unknown,
        rules=_rules(_read_json(data_dir / "rules.json")),
        classic_prefix=classic_data["prefix"].lower(), classic_types=classic_types,
        classic_extra=frozenset(t.lower() for t in classic_data["extra_types"]), classic_default=classic_default,
        restricted=restricted, private_endpoint_targets=private_link, statements=statements, source=source,
        leave_behind={t["type"].lower(): t["recreate"] for t in _read_json(data_dir / "leave-behind.json")["types"]},
    )


def load_catalog(data_dir: Path | None = None) -> Catalog:
    """The catalog for `data_dir` (default: the package's data), parsed once per directory."""
    return _load(Path(data_dir or DATA_DIR).resolve())
