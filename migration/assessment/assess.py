"""The assessment: what can move to CSP, what cannot, and why, for a whole subscription.

`evaluate` is the pure core (data in, Assessment out); `assess` reads the data through the gateway with
a handful of concurrent calls (Resource Graph pages the inventory, 1000 rows a call).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from migration.assessment.catalog import Catalog, load_catalog
from migration.assessment.dependencies import parent_id
from migration.assessment.readiness import read_readiness
from migration.assessment.rules import Inventory, preconditions, run_rules
from migration.azure.ports import (
    Gateway,
    HasAuthorization,
    HasCapacity,
    HasFeatures,
    HasGroups,
    HasInventory,
    HasLocks,
    HasProviders,
    HasSubscriptions,
    ProgressCallback,
)
from migration.azure.together import together
from migration.model import (
    Assessment,
    Finding,
    GroupAssessment,
    Lock,
    ManualCheck,
    Permission,
    ProviderRegistration,
    Resource,
    ResourceGroup,
    RoleMissing,
    Severity,
    Subscription,
    TenantAccessDenied,
    Verdict,
)
from migration.model.capacity import Readiness

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.AZURE_DECIDES: 2, Severity.FIX_FIRST: 3, Severity.BLOCKER: 4}
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Rules that need a target subscription; without one they become checks for the engineer.
_NEED_TARGET = ("G1", "G2", "G4")


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    worst = max((_RANK[f.severity] for f in findings), default=0)
    if worst >= _RANK[Severity.BLOCKER]:
        return Verdict.BLOCKED
    if worst >= _RANK[Severity.FIX_FIRST]:
        return Verdict.READY_AFTER_FIXES
    if worst >= _RANK[Severity.AZURE_DECIDES]:
        return Verdict.AZURE_DECIDES
    return Verdict.READY


def _manual_checks(catalog: Catalog, *, has_target: bool) -> tuple[ManualCheck, ...]:
    out = [ManualCheck(t.rule.id, t.rule.title, t.how_to_check, t.rule.source)
           for t in catalog.rules_by_check("manual")]
    if not has_target:
        for rule_id in _NEED_TARGET:
            rule = catalog.rule(rule_id)
            out.append(ManualCheck(rule.id, rule.title, "Pick the target CSP subscription and assess again.",
                                   rule.source))
    return tuple(out)


def evaluate(*, source: Subscription, target: Subscription | None, resources: Sequence[Resource],
             groups: Sequence[ResourceGroup], locks: Sequence[Lock],
             target_providers: Sequence[ProviderRegistration] | None, catalog: Catalog, tenant_id: str,
             now: datetime | None, links: Sequence[Resource] = (),
             permissions: Mapping[str, Sequence[Permission]] | None = None,
             readiness: Readiness | None = None) -> Assessment:
    """Every rule over the inventory; one GroupAssessment per non-empty source group. `links`: records read
    beside the inventory (workspace linked services, Site Recovery items) that rules look at but nobody moves.
    `permissions`: what the bot's identity may do, by side ("source", "target"), for rule G5. `readiness`: the
    target's quota and features (rules Q1, F1)."""
    inv = Inventory.build(source=source, target=target, tenant_id=tenant_id, resources=resources, groups=groups,
                          locks=locks, target_providers=target_providers, catalog=catalog, links=links,
                          permissions=permissions, readiness=readiness)
    findings = run_rules(inv)
    by_group: dict[str, list[Finding]] = {}
    for f in findings:
        by_group.setdefault((f.resource_group or "").lower(), []).append(f)
    consolidate = inv.graph.consolidation()
    group_list = sorted(inv.by_group.items(), key=lambda kv: kv[0])
    assessed = tuple(
        GroupAssessment(
            name=inv.group_name(key),
            verdict=verdict_of(by_group.get(key, ())),
            resource_ids=tuple(r.id for r in members),
            findings=tuple(by_group.get(key, ())),
            consolidate_with=consolidate.get(key, ()),
        )
        for key, members in group_list
    )
    return Assessment(
        tenant_id=tenant_id, source=source, offer=catalog.offer(source.quota_id), groups=assessed,
        preconditions=tuple(preconditions(inv)), manual_checks=_manual_checks(catalog, has_target=target is not None),
        resources=tuple(resources), target=target, assessed_at=now, catalog_source=catalog.described(),
    )


class Reads(HasSubscriptions, HasGroups, HasInventory, HasLocks, HasAuthorization, HasProviders, HasCapacity,
            HasFeatures, Protocol):
    """What the assessment reads in a tenant (it changes nothing)."""


async def _target_subscription(gateway: Gateway[Reads], subscription_id: str, tenant_id: str,
                               target_tenant_id: str | None) -> tuple[Subscription, str]:
    """The target and the tenant it answers in. A target in another tenant is refused with the tenant ARM
    expects named in the message; it is then read there, so rule G1 can say which tenant it is."""
    where = target_tenant_id or tenant_id
    try:
        return await gateway.for_tenant(where).subscriptions.get_subscription(subscription_id), where
    except TenantAccessDenied as exc:
        other = next((m for m in _GUID.findall(exc.error.message) if m.lower() != tenant_id.lower()), None)
        if other is None or target_tenant_id is not None:
            raise
        return await gateway.for_tenant(other).subscriptions.get_subscription(subscription_id), other


async def _permissions(azure: HasAuthorization, subscription_id: str) -> list[Permission]:
    """What the bot's identity may do there (rule G5); a refusal to say means it may do nothing."""
    try:
        return await azure.authorization.list_permissions(subscription_id)
    except RoleMissing:
        return []


async def _source(azure: Reads, subscription_id: str, on_progress: ProgressCallback | None) -> list[Any]:
    return await together(
        azure.subscriptions.get_subscription(subscription_id),
        azure.groups.list_groups(subscription_id),
        azure.inventory.list_resources(subscription_id, on_progress=on_progress),
        azure.locks.list_locks(subscription_id),
        _permissions(azure, subscription_id),
    )


async def _target(gateway: Gateway[Reads], subscription_id: str | None, tenant_id: str,
                  target_tenant_id: str | None) -> tuple[Subscription | None, list[Lock],
                                                         list[ProviderRegistration] | None, list[Permission], str]:
    """The target, its locks, providers and permissions, and the tenant it answered in."""
    if not subscription_id:
        return None, [], None, [], tenant_id
    target, where = await _target_subscription(gateway, subscription_id, tenant_id, target_tenant_id)
    there = gateway.for_tenant(where)
    locks, providers, permissions = await together(
        there.locks.list_locks(subscription_id), there.providers.list_providers(subscription_id),
        _permissions(there, subscription_id))
    return target, locks, providers, permissions, where


async def assess(gateway: Gateway[Reads], *, tenant_id: str, source_subscription_id: str,
                 target_subscription_id: str | None = None, on_progress: ProgressCallback | None = None,
                 catalog: Catalog | None = None, now: datetime | None = None,
                 target_tenant_id: str | None = None) -> Assessment:
    """Read the source (and target) subscription and evaluate it. All reads run concurrently; when one fails,
    the others stop and its error (naming the subscription it is about) is raised."""
    catalog = catalog or load_catalog()
    azure = gateway.for_tenant(tenant_id)
    (source, groups, resources, locks, source_permissions), (target, target_locks, providers, target_permissions,
                                                             where) = \
        await together(_source(azure, source_subscription_id, on_progress),
                       _target(gateway, target_subscription_id, tenant_id, target_tenant_id))
    granted = {"source": source_permissions}
    if target is not None:
        granted["target"] = target_permissions
    links, readiness = await together(
        _links(azure, source_subscription_id, resources),
        _readiness(azure, gateway.for_tenant(where), source_subscription_id, target, resources))
    # Pure and CPU-bound (about half a second for 10,000 resources): in a worker thread, so the bot's event
    # loop keeps answering other users meanwhile instead of stalling for the whole evaluation.
    return await asyncio.to_thread(
        evaluate, source=source, target=target, resources=resources, groups=groups, locks=[*locks, *target_locks],
        target_providers=providers, catalog=catalog, tenant_id=tenant_id, now=now or datetime.now(UTC), links=links,
        permissions=granted, readiness=readiness)


async def _readiness(source: Reads, target: Reads, source_id: str, found: Subscription | None,
                     resources: Sequence[Resource]) -> Readiness | None:
    if found is None:
        return None
    return await read_readiness(source, target, source_id=source_id, target_id=found.id, resources=resources)


WORKSPACE = "microsoft.operationalinsights/workspaces"
LINK_READS_IN_FLIGHT = 10  # one ARM read per workspace; a subscription may hold hundreds
VAULT = "microsoft.recoveryservices/vaults"


async def _links(azure: HasInventory, subscription_id: str, resources: Sequence[Resource]) -> list[Resource]:
    """What the rules need that the inventory does not hold: each workspace's linked services (a targeted ARM
    read; Resource Graph has none) and, when there is a vault, Site Recovery and backup items."""
    gate = asyncio.Semaphore(LINK_READS_IN_FLIGHT)

    async def linked(workspace_id: str) -> list[Resource]:
        async with gate:
            return await azure.inventory.list_linked_services(workspace_id)

    reads = [linked(r.id) for r in resources if r.type_lower == WORKSPACE]
    if any(r.type_lower == VAULT for r in resources):
        reads.append(azure.inventory.list_recovery_items(subscription_id))
    return [r for batch in await together(*reads) for r in batch]


# --------------------------------------------------------------------------- summaries for cards and reports


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    resources: int
    groups: int
    groups_by_verdict: Mapping[Verdict, int]
    resources_by_verdict: Mapping[Verdict, int]
    findings_by_rule: Mapping[str, int]
    findings_by_severity: Mapping[Severity, int]
    top_blockers: tuple[tuple[str, int], ...]  # (rule id, findings) most frequent first
    preconditions_ok: bool  # no subscription-level blocker
    disagreements: int


def resource_verdicts(assessment: Assessment) -> dict[str, Verdict]:
    """Per resource: its own findings, its group's group-level findings and its parent's (children follow)."""
    own: dict[str, list[Finding]] = {}
    group_level: dict[str, list[Finding]] = {}
    for g in assessment.groups:
        for f in g.findings:
            if f.resource_id:
                own.setdefault(f.resource_id.lower(), []).append(f)
            else:
                group_level.setdefault(g.name.lower(), []).append(f)
    out: dict[str, Verdict] = {}
    for r in assessment.resources:
        related = [*own.get(r.id.lower(), ()), *group_level.get(r.resource_group.lower(), ())]
        parent = parent_id(r.id)
        while parent:
            related.extend(own.get(parent.lower(), ()))
            parent = parent_id(parent)
        out[r.id] = verdict_of(related)
    return out


def findings_for(assessment: Assessment, resource_id: str) -> tuple[Finding, ...]:
    key = resource_id.lower()
    return tuple(f for f in assessment.findings if f.resource_id and f.resource_id.lower() == key)


def summarize(assessment: Assessment) -> AssessmentSummary:
    findings = assessment.findings
    by_rule = Counter(f.rule_id for f in findings)
    blockers = Counter(f.rule_id for f in findings if f.severity is Severity.BLOCKER)
    return AssessmentSummary(
        resources=assessment.resource_count,
        groups=len(assessment.groups),
        groups_by_verdict={v: sum(1 for g in assessment.groups if g.verdict is v) for v in Verdict},
        resources_by_verdict=dict(Counter(resource_verdicts(assessment).values())),
        findings_by_rule=dict(sorted(by_rule.items())),
        findings_by_severity={s: sum(1 for f in findings if f.severity is s) for s in Severity},
        top_blockers=tuple(sorted(blockers.items(), key=lambda kv: (-kv[1], kv[0]))),
        preconditions_ok=not any(f.severity is Severity.BLOCKER for f in assessment.preconditions),
        disagreements=sum(1 for g in assessment.groups if g.dry_run and g.dry_run.disagreement),
    )


def group(assessment: Assessment, name: str) -> GroupAssessment:
    for g in assessment.groups:
        if g.name.lower() == name.lower():
            return g
    raise KeyError(name)
