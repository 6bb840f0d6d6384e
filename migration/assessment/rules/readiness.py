"""Target readiness rules Q1 and F1 (texts and sources in `migration/data/rules.json`): the target's compute
quota against the vCPUs the source's VMs take in each region and family, and the preview features the source has
registered that the target has not. Silent when the target was not read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from migration.assessment.readiness import VM, vm_size
from migration.assessment.rules.base import Inventory, finding
from migration.model import Finding
from migration.model.capacity import TOTAL_CORES


def q1_compute_quota(inv: Inventory) -> Iterator[Finding]:
    """Every group with VMs of a region and family whose vCPUs, all groups together, exceed what the target has
    free there (of that family, or of the region's total) is held back with the quota request it needs."""
    if inv.readiness is None:
        return
    sizes = {s.name.lower(): s for s in inv.readiness.vm_sizes}
    usage = {(u.location, u.name.lower()): u for u in inv.readiness.usages}
    needs: dict[tuple[str, str], int] = defaultdict(int)  # (location, usage name) -> vCPUs
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for vm in inv.of_type(VM):
        size = sizes.get(vm_size(vm).lower())
        if size is None:
            continue
        for name in (size.family, TOTAL_CORES):
            key = (vm.location.lower(), name.lower())
            needs[key] += size.vcpus
            groups[key].add(vm.resource_group.lower())
    for key, wanted in sorted(needs.items()):
        quota = usage.get(key)
        if quota is None or wanted <= quota.free:
            continue
        location, name = quota.location, quota.name
        for group in sorted(groups[key]):
            yield finding(inv, "Q1", group=inv.group_name(group), name=name, detail=location,
                          needed=wanted, free=quota.free, limit=quota.limit, new_limit=quota.current + wanted,
                          case="region" if name == TOTAL_CORES else None)


def f1_preview_features(inv: Inventory) -> Iterator[Finding]:
    """A preview feature the source has registered, of a namespace a group uses, not registered in the target."""
    if inv.readiness is None:
        return
    target = {f.key for f in inv.readiness.target_features if f.registered}
    missing = [f for f in inv.readiness.source_features if f.key not in target]
    for key, members in sorted(inv.by_group.items()):
        namespaces = {r.type.split("/", 1)[0].lower() for r in members}
        for feature in missing:
            if feature.namespace.lower() in namespaces:
                yield finding(inv, "F1", group=inv.group_name(key), name=feature.name, detail=feature.namespace)
