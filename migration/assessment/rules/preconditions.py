"""Subscription-level checks: offers, states, tenant, the bot's permissions, and locks on either subscription
(P1, P2, G1-G3, G5, G12)."""

from __future__ import annotations

from collections.abc import Iterator

from migration.assessment.rules.base import Inventory, finding
from migration.assessment.rules.generic import lock_finding
from migration.azure.permissions import evaluate
from migration.model import Finding
from migration.model.commands import Data


def preconditions(inv: Inventory) -> Iterator[Finding]:
    src, dst = inv.source, inv.target
    offer = inv.catalog.offer(src.quota_id)
    if not offer.source_allowed:
        yield finding(inv, "P1", name=src.display_name, group="", detail=f"{offer.name}, {src.quota_id}")
    elif offer.note:
        yield finding(inv, "P2", name=src.display_name, group="", detail=f"{offer.name}: {offer.note}")
    for role, sub in (("source", src), ("target", dst)):
        if sub is not None and sub.state.lower() != "enabled":
            yield finding(inv, "G3", name=sub.display_name, group="", detail=role, other=sub.state)
    yield from permissions(inv)
    if dst is None:
        return
    target_offer = inv.catalog.offer(dst.quota_id)
    if not target_offer.target_allowed:
        yield finding(inv, "G2", name=dst.display_name, group="", detail=f"{target_offer.name}, {dst.quota_id}")
    if dst.tenant_id.lower() != src.tenant_id.lower():
        yield finding(inv, "G1", name=src.display_name, group="", detail=src.tenant_id, other=dst.tenant_id)
    for lock in inv.locks:
        for sub in (src, dst):
            if lock.level.lower() == "readonly" and lock.scope.rstrip("/").lower() == sub.arm_id.lower():
                yield lock_finding(inv, lock, group="", where=f"subscription {sub.display_name}",
                                   scope=("--subscription", Data(sub.id)))


# What a move cannot do without (G5); the rest (locks, role assignments) has a manual way round.
MOVE_NEEDS = frozenset({"read", "move", "create_groups"})


def permissions(inv: Inventory) -> Iterator[Finding]:
    """G5 from Microsoft.Authorization's permissions on each subscription, when they were read."""
    if inv.permissions is None:
        return
    for side, sub in (("source", inv.source), ("target", inv.target)):
        granted = inv.permissions.get(side)
        if sub is None or granted is None:
            continue
        missing = [c.requirement for c in evaluate(granted, subscription_id=sub.id, side=side)
                   if not c.granted and c.requirement.key in MOVE_NEEDS]
        if missing:
            roles = sorted({r.role for r in missing}, key=("Reader", "Contributor").index)
            yield finding(inv, "G5", name=f"the {side} subscription {sub.display_name}", group="",
                          detail=", ".join(r.label.lower() for r in missing), other=" and ".join(roles[-1:]))
