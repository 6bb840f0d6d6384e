"""Stream Analytics jobs: stopped before their group moves, started again at their new ids afterwards (the
provider's POST actions, followed to their end by ARM's polling)."""

from __future__ import annotations

from migration.azure.operations import ArmOperation
from migration.azure.resources import ArmResources
from migration.model import ResourceId


class ArmStreamingJobs:
    def __init__(self, resources: ArmResources) -> None:
        self._resources = resources

    async def begin_stop(self, job_id: ResourceId | str) -> ArmOperation[None]:
        return await self._resources.begin_action(job_id, "stop")

    async def begin_start(self, job_id: ResourceId | str, *, output_start_mode: str) -> ArmOperation[None]:
        """`output_start_mode`: JobStartTime, CustomTime or LastOutputEventTime (go on from the last output)."""
        return await self._resources.begin_action(job_id, "start", body={"outputStartMode": output_start_mode})
