"""The assessment's facts, loaded from data files under `migration/data/` (each entry carries its source).

Lookups are case-insensitive: Resource Graph lower-cases types and the move-support CSV mixes casings.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from migration.model import Offer, Rule, Severity

DATA_DIR = Path(__file__).parent / "data"
MOVE_SUPPORT_CSV = "move-support-resources.csv"


@dataclass(frozen=True, slots=True)
class RuleCase:
    """A variant of a rule with its own severity / remediation (e.g. A1 split vs. managed certificate)."""

    severity: Severity
    remediation: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class RuleText:
    rule: Rule
    check: str  # data | manual | by_design
    message: str = ""
    how_to_check: str = ""
    cases: Mapping[str, RuleCase] = field(default_factory=dict)


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
    move_support_table: Mapping[str, bool | None]  # lower-case type -> movable across subscriptions
    offers: Mapping[str, Offer]  # lower-case quota id
    unknown_offer: Offer
    rules: Mapping[str, RuleText]
    classic_prefix: str
    classic_types: Mapping[str, ClassicInfo]  # lower-case type
    classic_extra: frozenset[str]
    classic_default: ClassicInfo
    restricted: Mapping[str, Restriction]  # lower-case type
    private_endpoint_targets: frozenset[str]  # lower-case types
    conflicting_types: frozenset[str] = frozenset()

    def move_support(self, type_: str) -> bool | None:
        """Movable to another subscription? None when the table does not know or contradicts itself."""
        return self.move_support_table.get(type_.lower())

    def is_listed(self, type_: str) -> bool:
        return type_.lower() in self.move_support_table

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


def read_move_support(path: Path) -> tuple[dict[str, bool | None], frozenset[str]]:
    """Type -> 'Move Subscription' flag. Duplicates that agree collapse; ones that disagree become None."""
    seen: dict[str, set[bool]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("Resource") or "").strip().lower()
            if not name:
                continue
            seen.setdefault(name, set()).add((row.get("Move Subscription") or "").strip() == "1")
    table = {k: (next(iter(v)) if len(v) == 1 else None) for k, v in seen.items()}
    return table, frozenset(k for k, v in seen.items() if len(v) > 1)


def _rules(data: Any) -> dict[str, RuleText]:
    out: dict[str, RuleText] = {}
    for r in data["rules"]:
        rule = Rule(id=r["id"], title=r["title"], severity=Severity(r["severity"]), explanation=r["explanation"],
                    remediation=r["remediation"], source=r["source"])
        cases = {k: RuleCase(Severity(v["severity"]), v.get("remediation"), v.get("message"))
                 for k, v in (r.get("cases") or {}).items()}
        out[rule.id] = RuleText(rule, r["check"], r.get("message", ""), r.get("how_to_check", ""), cases)
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
    table, conflicts = read_move_support(data_dir / MOVE_SUPPORT_CSV)
    offers, unknown = _offers(_read_json(data_dir / "offers.json"))
    classic_data = _read_json(data_dir / "classic.json")
    classic_types, classic_default = _classic(classic_data)
    restricted = {s["type"].lower(): Restriction(s["type"], Severity(s["severity"]), s["what"], s["detail"],
                                                 s["source"])
                  for s in _read_json(data_dir / "csp-restricted.json")["services"]}
    pe = _read_json(data_dir / "private-endpoint-move.json")["movable_targets"]
    return Catalog(
        move_support_table=table, offers=offers, unknown_offer=unknown,
        rules=_rules(_read_json(data_dir / "rules.json")),
        classic_prefix=classic_data["prefix"].lower(), classic_types=classic_types,
        classic_extra=frozenset(t.lower() for t in classic_data["extra_types"]), classic_default=classic_default,
        restricted=restricted, private_endpoint_targets=frozenset(t.lower() for t in pe),
        conflicting_types=conflicts,
    )


def load_catalog(data_dir: Path | None = None) -> Catalog:
    """The catalog for `data_dir` (default: the package's data), parsed once per directory."""
    return _load(Path(data_dir or DATA_DIR).resolve())
