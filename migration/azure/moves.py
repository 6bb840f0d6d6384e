"""Moves between resource groups and subscriptions: Azure's dry run (validateMoveResources), the move itself
(moveResources), and a job resumed from its continuation token after a restart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core.polling import AsyncLROPoller
from azure.mgmt.core.polling.async_arm_polling import AsyncARMPolling
from azure.mgmt.resource.resources import models as rm

from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.azure.operations import ArmOperation
from migration.model import ArmError, ArmErrorDetail, ResourceId


class ArmMoves:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(write=True, about="subscription_id")
    async def begin_validate(self, subscription_id: str, resource_group: str, *, resource_ids: Sequence[str],
                             target_group_id: str) -> ArmOperation[None]:
        """Azure's dry run of one move: its `wait()` raises `ArmError` when Azure would refuse the move."""
        operations = self._clients.resources(subscription_id).resources
        return await self._begin(operations.begin_validate_move_resources, subscription_id, resource_group,
                                 resource_ids, target_group_id)

    @maps_errors(write=True, about="subscription_id")
    async def begin_move(self, subscription_id: str, resource_group: str, *, resource_ids: Sequence[str],
                         target_group_id: str) -> ArmOperation[None]:
        """Move top-level resources of one group (their children follow) into `target_group_id`. Never sent
        again on a dropped connection (azure-core does not retry POSTs on connection errors): a second move
        would be refused while the first holds the groups, or move nothing."""
        operations = self._clients.resources(subscription_id).resources
        return await self._begin(operations.begin_move_resources, subscription_id, resource_group, resource_ids,
                                 target_group_id)

    async def _begin(self, begin: Any, subscription_id: str, resource_group: str, resource_ids: Sequence[str],
                     target_group_id: str) -> ArmOperation[None]:
        info = rm.ResourcesMoveInfo(resources=list(resource_ids), target_resource_group=target_group_id)
        poller = await begin(resource_group, info, polling=self._clients.pipeline().polling())
        return ArmOperation(poller, ResourceId(subscription_id, resource_group))

    @maps_errors()
    async def resume(self, continuation_token: str) -> ArmOperation[None]:
        """A validate or move job started before (its token carries the job's status URL): polled at once, its
        state being unknown."""
        pipeline = self._clients.pipeline()
        polling = AsyncARMPolling(self._clients.polling_interval,
                                  path_format_arguments={"endpoint": self._clients.endpoint})
        try:
            poller: AsyncLROPoller[None] = AsyncLROPoller.from_continuation_token(
                polling, continuation_token, client=pipeline.client, deserialization_callback=lambda _: None)
        except (ValueError, TypeError) as exc:
            raise ArmError(None, ArmErrorDetail(code="InvalidContinuationToken", message=str(exc))) from exc
        return ArmOperation(poller)
