"""Target readiness, read at assessment beside the inventory: the target's compute quota in each region where
the source runs VMs, the VM sizes there (which family, how many vCPUs), and the preview features of source and
target. The rules of `migration.assessment.rules.readiness` decide from them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from migration.azure.ports import HasCapacity, HasFeatures
from migration.azure.together import together
from migration.model import Resource
from migration.model.capacity import Readiness

VM = "microsoft.compute/virtualmachines"


class TargetReads(HasCapacity, HasFeatures, Protocol):
    """What readiness reads in the target's tenant."""


def vm_size(resource: Resource) -> str:
    profile = resource.properties.get("hardwareProfile") if isinstance(resource.properties, dict) else None
    return str(profile.get("vmSize") or "") if isinstance(profile, dict) else ""


async def read_readiness(source: HasFeatures, target: TargetReads, *, source_id: str, target_id: str,
                         resources: Sequence[Resource]) -> Readiness:
    locations = sorted({r.location.lower() for r in resources if r.type_lower == VM and r.location})
    features, target_features, *regional = await together(
        source.features.list_features(source_id), target.features.list_features(target_id),
        *(target.capacity.list_usages(target_id, loc) for loc in locations),
        *(target.capacity.list_vm_sizes(target_id, loc) for loc in locations))
    usages, sizes = regional[:len(locations)], regional[len(locations):]
    return Readiness(usages=tuple(u for batch in usages for u in batch),
                     vm_sizes=tuple({s.name.lower(): s for batch in sizes for s in batch}.values()),
                     source_features=tuple(f for f in features if f.registered),
                     target_features=tuple(target_features))
