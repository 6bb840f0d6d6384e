"""Resource and subscription builders shaped like what the gateway returns from the sandbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from migration.assessment.assess import evaluate
from migration.assessment.catalog import load_catalog
from migration.model import (
    Assessment,
    Finding,
    Lock,
    Permission,
    ProviderRegistration,
    Resource,
    ResourceGroup,
    Subscription,
)

TENANT = "c0c0c0c0-0000-4000-8000-000000000001"
OTHER_TENANT = "c0c0c0c0-0000-4000-8000-000000000002"
SRC = "5a5a5a5a-0000-4000-8000-000000000001"
DST = "5a5a5a5a-0000-4000-8000-000000000002"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

SOURCE = Subscription(SRC, TENANT, "Contoso PAYG", "Enabled", "PayAsYouGo_2014-09-01", "Off")
TARGET = Subscription(DST, TENANT, "Contoso CSP", "Enabled", "CSP_2015-05-01", "Off")


def rid(group: str, type_: str, name: str, *, sub: str = SRC) -> str:
    """`Microsoft.Sql/servers/databases` + `sql-1/db-1` -> child segments interleaved."""
    ns, *types = type_.split("/")
    names = name.split("/")
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{ns}/{path}"


def res(group: str, type_: str, name: str, *, props: dict[str, Any] | None = None, sku: dict[str, Any] | None = None,
        plan: dict[str, Any] | None = None, location: str = "westeurope", state: str | None = "Succeeded",
        kind: str | None = None, identity: dict[str, Any] | None = None) -> Resource:
    properties = dict(props or {})
    if state is not None:
        properties.setdefault("provisioningState", state)
    # Resource Graph lower-cases the type; the rules must not care.
    return Resource(id=rid(group, type_, name), name=name.rsplit("/", 1)[-1], type=type_.lower(), location=location,
                    subscription_id=SRC, resource_group=group, kind=kind, sku=sku, plan=plan,
                    properties=properties, identity=identity)


def ref(r: Resource) -> dict[str, str]:
    return {"id": r.id}


def lock(scope: str, level: str = "ReadOnly", name: str = "freeze") -> Lock:
    return Lock(id=f"{scope}/providers/Microsoft.Authorization/locks/{name}", name=name, level=level, scope=scope)


def group_scope(group: str, sub: str = SRC) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}"


def assess_resources(resources: Iterable[Resource], *, locks: Sequence[Lock] = (), source: Subscription = SOURCE,
                     target: Subscription | None = TARGET, unregistered: Iterable[str] = (),
                     links: Sequence[Resource] = (), managed_by: dict[str, str] | None = None,
                     permissions: dict[str, list[Permission]] | None = None) -> Assessment:
    """`links`: records read beside the inventory (linked services, Site Recovery items); `managed_by`: group ->
    id of the resource that manages it."""
    resources = list(resources)
    names = sorted({r.resource_group for r in resources})
    groups = [ResourceGroup(group_scope(n), SRC, n, "westeurope", managed_by=(managed_by or {}).get(n))
              for n in names]
    off = {n.lower(): n for n in unregistered}
    namespaces = {r.type.split("/")[0].lower() for r in resources} - set(off)
    providers = [ProviderRegistration(ns, "Registered") for ns in namespaces]
    providers += [ProviderRegistration(ns, "NotRegistered") for ns in off.values()]
    return evaluate(source=source, target=target, resources=resources, groups=groups, locks=locks,
                    target_providers=providers if target else None, catalog=load_catalog(), tenant_id=TENANT, now=NOW,
                    links=links, permissions=permissions)


def of_rule(assessment: Assessment, rule_id: str) -> list[Finding]:
    return [f for f in assessment.findings if f.rule_id == rule_id]
