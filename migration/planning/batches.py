"""Move batches: how one source group's top-level resources are split into moveResources calls.

Pure: data in, data out. ARM takes at most 800 resources per call, all from one source group, and a
resource must travel with the resources it depends on (a VM with its disks and NIC), so groups of
resources that must move together are never split across calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_BATCH = 800  # ARM refuses more resources in one moveResources call


class PlanError(ValueError):
    """The resources cannot be split into valid calls (e.g. more than 800 must move together)."""


@dataclass(frozen=True, slots=True)
class Batch:
    group: str
    index: int  # 0-based position within the group; with `group` it names the call for good
    resource_ids: tuple[str, ...]


def plan_batches(
    group: str,
    resource_ids: Sequence[str],
    *,
    together: Sequence[Sequence[str]] = (),
    max_size: int = MAX_BATCH,
) -> tuple[Batch, ...]:
    """Split `resource_ids` into batches of at most `max_size`, keeping each `together` set in one
    batch. Order is kept (first fit, in order of first appearance), so the same input always gives
    the same plan; that is what lets a restarted runner find its place again."""
    if not 1 <= max_size <= MAX_BATCH:
        raise PlanError(f"a batch holds 1 to {MAX_BATCH} resources, not {max_size}")
    ids = list(dict.fromkeys(resource_ids))  # a resource listed twice is still one resource
    known = {i.lower(): i for i in ids}
    owner: dict[str, int] = {}
    units: list[list[str]] = []
    for members in together:
        present = [known[m.lower()] for m in members if m.lower() in known]
        merged = sorted({owner[m.lower()] for m in present if m.lower() in owner})
        unit = [m for m in present if m.lower() not in owner]
        if merged:  # overlapping sets are one set
            first = merged[0]
            for other in merged[1:]:
                units[first].extend(units[other])
                for m in units[other]:
                    owner[m.lower()] = first
                units[other] = []
            units[first].extend(unit)
            for m in unit:
                owner[m.lower()] = first
        elif unit:
            units.append(unit)
            for m in unit:
                owner[m.lower()] = len(units) - 1
    ordered: list[list[str]] = []
    placed: set[int] = set()
    for rid in ids:
        index = owner.get(rid.lower())
        if index is None:
            ordered.append([rid])
        elif index not in placed:
            placed.add(index)
            ordered.append(units[index])
    batches: list[list[str]] = []
    for unit in ordered:
        if len(unit) > max_size:
            raise PlanError(
                f"{len(unit)} resources in {group} must move together, more than {max_size} in one call"
            )
        if batches and len(batches[-1]) + len(unit) <= max_size:
            batches[-1].extend(unit)
        else:
            batches.append(list(unit))
    return tuple(Batch(group, i, tuple(b)) for i, b in enumerate(batches))
