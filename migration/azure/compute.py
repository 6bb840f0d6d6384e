"""Compute some fixes change: a disk's encryption key (off a customer-managed key before the move, onto the
target's disk encryption set after it), and the restore point collections Azure Backup keeps beside a VM."""

from __future__ import annotations

from typing import Any

from migration.azure.operations import ArmOperation
from migration.azure.resources import ArmResources
from migration.model import ResourceId


class ArmCompute:
    def __init__(self, resources: ArmResources) -> None:
        self._resources = resources

    async def begin_set_disk_encryption(self, disk_id: ResourceId | str, *, encryption_type: str,
                                        disk_encryption_set_id: str | None) -> ArmOperation[None]:
        """PATCH the disk's encryption: platform-managed keys, or a customer-managed key through a set."""
        encryption: dict[str, Any] = {"type": encryption_type}
        if disk_encryption_set_id:
            encryption["diskEncryptionSetId"] = disk_encryption_set_id
        return await self._resources.begin_update(disk_id, properties={"encryption": encryption})

    async def begin_delete_restore_points(self, collection_id: ResourceId | str) -> ArmOperation[None]:
        """Delete a restore point collection with its restore points (their snapshots are lost)."""
        return await self._resources.begin_delete(collection_id, wait_first=True)
