"""The sandbox's world: tenants, subscriptions, groups, resources, locks, providers, running moves.

Loaded from a scenario file (format in sandbox/README.md) and, with a state directory, saved back
in the same format after every write so a restarted sandbox carries on where it stopped.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.directory import Directory
from sandbox.partner import PartnerSide

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(ValueError):
    """The scenario file is not in the documented format."""


# --------------------------------------------------------------------------- ids


def resource_id(subscription_id: str, group: str, type_: str, name: str) -> str:
    """ARM id with child segments interleaved: servers/databases + sql-1/db-1 -> servers/sql-1/databases/db-1."""
    namespace, *types = type_.split("/")
    names = name.split("/")
    if not types or len(types) != len(names):
        raise ScenarioError(f"resource name {name!r} does not match the levels of type {type_!r}")
    segments = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"/subscriptions/{subscription_id}/resourceGroups/{group}/providers/{namespace}/{segments}"


@dataclass(frozen=True, slots=True)
class ParsedId:
    subscription_id: str
    resource_group: str
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def top_level(self) -> bool:
        return len(self.types) == 1

    @property
    def type(self) -> str:
        return "/".join((self.namespace, *self.types))


def parse_resource_id(value: str) -> ParsedId | None:
    parts = value.strip("/").split("/")
    if (
        len(parts) < 8
        or parts[0].lower() != "subscriptions"
        or parts[2].lower() != "resourcegroups"
        or parts[4].lower() != "providers"
        or len(parts) % 2
    ):
        return None
    rest = parts[6:]
    return ParsedId(parts[1], parts[3], parts[5], tuple(rest[0::2]), tuple(rest[1::2]))


def parse_group_id(value: str) -> tuple[str, str] | None:
    parts = value.strip("/").split("/")
    if len(parts) != 4 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
        return None
    return parts[1], parts[3]


# --------------------------------------------------------------------------- the world


@dataclass(slots=True)
class Res:
    subscription_id: str
    group: str
    name: str
    type: str
    location: str
    kind: str | None = None
    sku: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    identity: dict[str, Any] | None = None
    managed_by: str | None = None
    depends_on: list[str] = field(default_factory=list)
    locks: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)
    zones: list[str] = field(default_factory=list)
    # Its Microsoft.Insights diagnostic settings ({"name", "properties": {"workspaceId", "logs", ...}}).
    diagnostic_settings: list[dict[str, Any]] = field(default_factory=list)
    id: str = ""

    def __post_init__(self) -> None:
        self.id = resource_id(self.subscription_id, self.group, self.type, self.name)

    @property
    def top_level(self) -> bool:
        return "/" not in self.name

    def relocate(self, subscription_id: str, group: str) -> None:
        self.subscription_id, self.group = subscription_id, group
        self.id = resource_id(subscription_id, group, self.type, self.name)

    def to_scenario(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "location": self.location}
        for key, value in (
            ("kind", self.kind), ("sku", self.sku), ("plan", self.plan), ("properties", self.properties),
            ("tags", self.tags), ("identity", self.identity), ("managedBy", self.managed_by),
            ("dependsOn", self.depends_on), ("locks", self.locks), ("outcome", self.outcome),
            ("zones", self.zones), ("diagnosticSettings", self.diagnostic_settings),
        ):
            if value:
                out[key] = value
        return out


@dataclass(slots=True)
class Group:
    subscription_id: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    locks: list[dict[str, Any]] = field(default_factory=list)
    managed_by: str | None = None
    resources: dict[str, Res] = field(default_factory=dict)  # lower-case id -> resource
    moving: str | None = None  # id of the move operation that holds this group

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass(slots=True)
class Sub:
    id: str
    tenant_id: str
    display_name: str
    state: str = "Enabled"
    quota_id: str = "PayAsYouGo_2014-09-01"
    spending_limit: str | None = "Off"
    providers: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower ns -> (ns, state)
    locks: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, Group] = field(default_factory=dict)  # lower-case name -> group
    tags: dict[str, str] = field(default_factory=dict)  # the subscription's own (Microsoft.Resources/tags)
    # Settings made on the subscription itself, by lower-case type then lower-case name: {"name", "properties",
    # "eTag"?} (budgets: sandbox.budgets).
    settings: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Compute quota: lower-case location -> usage name (`cores`, `standardDSv5Family`...) -> limit; a usage
    # the scenario does not name has the sandbox's default limit (sandbox/vm-sizes.json).
    quotas: dict[str, dict[str, int]] = field(default_factory=dict)
    features: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower "ns/feature" -> (name, state)

    def provider_state(self, namespace: str) -> str:
        return self.providers.get(namespace.lower(), (namespace, "Registered"))[1]


@dataclass(slots=True)
class Tenant:
    id: str
    display_name: str
    domains: list[str] = field(default_factory=list)
    partner_access: bool = True


@dataclass(slots=True)
class Operation:
    """A validateMoveResources / moveResources job; times are wall-clock so they survive a restart."""

    id: str
    kind: str  # "validate" or "move"
    subscription_id: str
    source_group: str
    target_group_id: str
    resources: list[str]
    due: float
    status: int | None = None  # final HTTP status once finished (204 or an error)
    body: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.status is not None


def _required(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise ScenarioError(f"{where}: missing {key!r}")
    return data[key]


class World:
    def __init__(self, scenario: dict[str, Any]) -> None:
        self.description: str = scenario.get("description", "")
        # Type -> can it change subscription, where this scenario's Azure differs from the sandbox's defaults.
        self.move_support: dict[str, bool] = {k.lower(): bool(v)
                                              for k, v in (scenario.get("moveSupport") or {}).items()}
        self.tenants: dict[str, Tenant] = {}
        self.subscriptions: dict[str, Sub] = {}
        self.operations: dict[str, Operation] = {}
        for t in scenario.get("tenants", []):
            tid = str(_required(t, "id", "tenant"))
            self.tenants[tid.lower()] = Tenant(
                tid, t.get("displayName", tid), [d.lower() for d in t.get("domains", [])],
                bool(t.get("partnerAccess", True)),
            )
        self.directory = Directory(scenario)  # apps, consent, role assignments, delegations
        self.partner = PartnerSide(scenario)  # billing accounts, customers, subscription aliases
        for s in scenario.get("subscriptions", []):
            self._load_subscription(s)
        for o in scenario.get("operations", []):
            op = Operation(**o)
            self.operations[op.id] = op

    def _load_subscription(self, s: dict[str, Any]) -> None:
        sid = str(_required(s, "id", "subscription"))
        where = f"subscription {sid}"
        tenant = str(_required(s, "tenantId", where))
        if tenant.lower() not in self.tenants:
            raise ScenarioError(f"{where}: tenant {tenant} is not listed under 'tenants'")
        sub = Sub(
            sid, tenant, s.get("displayName", sid), s.get("state", "Enabled"),
            s.get("quotaId", "PayAsYouGo_2014-09-01"), s.get("spendingLimit", "Off"),
            {ns.lower(): (ns, state) for ns, state in (s.get("providers") or {}).items()},
            list(s.get("locks", [])), tags=dict(s.get("tags") or {}),
            quotas={loc.lower(): {k: int(v) for k, v in limits.items()}
                    for loc, limits in (s.get("quotas") or {}).items()},
            features={name.lower(): (name, state) for name, state in (s.get("features") or {}).items()},
            settings={t.lower(): {str(e["name"]).lower(): dict(e) for e in entries}
                      for t, entries in (s.get("settings") or {}).items()},
        )
        for g in s.get("resourceGroups", []):
            name = str(_required(g, "name", f"{where} group"))
            group = Group(
                sid, name, g.get("location", "westeurope"), dict(g.get("tags") or {}),
                list(g.get("locks", [])), g.get("managedBy"), moving=g.get("moving"),
            )
            for r in g.get("resources", []):
                rwhere = f"{where} group {name} resource {r.get('name')}"
                res = Res(
                    sid, name, str(_required(r, "name", rwhere)), str(_required(r, "type", rwhere)),
                    r.get("location") or group.location, r.get("kind"), r.get("sku"), r.get("plan"),
                    dict(r.get("properties") or {}), dict(r.get("tags") or {}), r.get("identity"),
                    r.get("managedBy"), list(r.get("dependsOn", [])), list(r.get("locks", [])),
                    dict(r.get("outcome") or {}), [str(z) for z in r.get("zones") or []],
                    [dict(d) for d in r.get("diagnosticSettings") or []],
                )
                group.resources[res.id.lower()] = res
            sub.groups[name.lower()] = group
        self.subscriptions[sid.lower()] = sub

    # ------------------------------------------------------------------ lookups

    def tenant(self, tenant_or_domain: str) -> Tenant | None:
        key = tenant_or_domain.lower()
        if key in self.tenants:
            return self.tenants[key]
        return next((t for t in self.tenants.values() if key in t.domains), None)

    def sub(self, subscription_id: str) -> Sub | None:
        return self.subscriptions.get(subscription_id.lower())

    def group(self, subscription_id: str, name: str) -> Group | None:
        sub = self.sub(subscription_id)
        return sub.groups.get(name.lower()) if sub else None

    def resource(self, rid: str) -> Res | None:
        parsed = parse_resource_id(rid)
        group = self.group(parsed.subscription_id, parsed.resource_group) if parsed else None
        return group.resources.get(rid.lower()) if group else None

    def resources(self, sub: Sub) -> Iterator[Res]:
        for group in sub.groups.values():
            yield from group.resources.values()

    def new_operation(self, kind: str, subscription_id: str, group: Group, target: str,
                      resources: list[str], due: float) -> Operation:
        job = f"RESOURCEBATCHMOVEJOB-{group.name.upper()}-{group.location.upper()}-{kind.upper()}"
        op = Operation(f"{job}-{uuid.uuid4().hex[:12].upper()}", kind, subscription_id, group.name,
                       target, resources, due)
        self.operations[op.id] = op
        return op

    # ------------------------------------------------------------------ persistence

    def to_scenario(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "moveSupport": self.move_support,
            "tenants": [
                {"id": t.id, "displayName": t.display_name, "domains": t.domains, "partnerAccess": t.partner_access,
                 **self.directory.tenant_keys(t.id)}
                for t in self.tenants.values()
            ],
            **self.directory.to_scenario(),
            **self.partner.to_scenario(),
            "subscriptions": [
                {
                    "id": s.id, "tenantId": s.tenant_id, "displayName": s.display_name, "state": s.state,
                    "quotaId": s.quota_id, "spendingLimit": s.spending_limit,
                    "providers": dict(s.providers.values()), "locks": s.locks, "tags": s.tags,
                    "quotas": s.quotas, "features": dict(s.features.values()),
                    "settings": {t: list(entries.values()) for t, entries in s.settings.items()},
                    "resourceGroups": [
                        {
                            "name": g.name, "location": g.location, "tags": g.tags, "locks": g.locks,
                            "managedBy": g.managed_by, "moving": g.moving,
                            "resources": [r.to_scenario() for r in g.resources.values()],
                        }
                        for g in s.groups.values()
                    ],
                }
                for s in self.subscriptions.values()
            ],
            "operations": [
                {k: getattr(o, k) for k in Operation.__dataclass_fields__} for o in self.operations.values()
            ],
        }

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_scenario()), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a crash never leaves half a state file


def load_scenario(scenario: str | Path | dict[str, Any]) -> dict[str, Any]:
    """A dict as is; a name -> sandbox/scenarios/<name>.json; otherwise a path to a JSON file."""
    if isinstance(scenario, dict):
        return scenario
    path = Path(scenario)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{scenario}.json"
    if not path.exists():
        known = sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))
        raise ScenarioError(f"scenario {scenario!s} not found (known: {', '.join(known)})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON ({exc})") from exc
