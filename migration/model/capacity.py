"""What a target subscription offers a move beyond its providers: compute quota per region and VM family,
the VM sizes that say which family and how many vCPUs a VM takes, and the preview features registered."""

from __future__ import annotations

from dataclasses import dataclass

TOTAL_CORES = "cores"  # the usage name of a region's total vCPUs (Microsoft.Compute usages)


@dataclass(frozen=True, slots=True)
class QuotaUsage:
    location: str  # lower-case
    name: str  # "cores", "standardDSv5Family", ...
    current: int
    limit: int

    @property
    def free(self) -> int:
        return max(self.limit - self.current, 0)


@dataclass(frozen=True, slots=True)
class VmSize:
    name: str  # "Standard_D4s_v5"
    family: str  # "standardDSv5Family": the usage its vCPUs count against
    vcpus: int


@dataclass(frozen=True, slots=True)
class Feature:
    namespace: str
    name: str
    state: str  # Registered, NotRegistered, Pending, Registering, Unregistering, Unregistered

    @property
    def registered(self) -> bool:
        return self.state == "Registered"

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}".lower()


@dataclass(frozen=True, slots=True)
class Readiness:
    """The target's side of a move, read at assessment: its quota where the source runs VMs, the sizes of those
    regions, and the preview features of both subscriptions."""

    usages: tuple[QuotaUsage, ...]
    vm_sizes: tuple[VmSize, ...]
    source_features: tuple[Feature, ...]
    target_features: tuple[Feature, ...]
