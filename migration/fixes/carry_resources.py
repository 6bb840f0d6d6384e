"""Carrying out the steps on resources some moves need changed: Stream Analytics jobs (stopped, started at
their new ids), disks' keys (off a customer-managed key, onto the target's set), restore point collections
(deleted), an app's VNet integration (removed, added again) and a subnet's NAT gateway (taken off). Each reads
the resource first, so a step a crash interrupted is waited for or found done, never sent twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from migration.azure.ports import HasCompute, HasJobs, HasNetwork, HasResources, HasWeb
from migration.model import NotFound, Resource, ResourceId
from migration.model.plan import PlanStep, StepKind

_PLATFORM_KEY = "EncryptionAtRestWithPlatformKey"
_JOB_STOPPED = ("stopped", "created", "failed")
_JOB_RUNNING = ("running", "starting", "restarting", "degraded")
_JOB_CHANGING = ("stopping", "starting")
_JOB_STARTED = ("running", "degraded")  # a job still starting is waited for: it may yet fail to start
_JOB_WAIT_SECONDS = 30 * 60
_RETRY_SECONDS = 1.0


class ResourceAzure(HasResources, HasJobs, HasCompute, Protocol):
    """What the job, disk and restore point steps use."""


class AppNetworkAzure(HasWeb, HasNetwork, Protocol):
    """What the VNet integration and NAT gateway steps use."""


async def _job_now(azure: HasResources, step: PlanStep) -> Resource:
    """The job to start: at its new id, or where it was when its group did not move."""
    try:
        return await azure.resources.get_resource(step.arg("job"))
    except NotFound:
        if not step.arg("old_job"):
            raise
        return await azure.resources.get_resource(step.arg("old_job"))


async def _job_settled(azure: HasResources, job: Resource) -> Resource:
    """A job stopping or starting (a call sent before a restart) is waited for, not asked again."""
    loop = asyncio.get_running_loop()
    since = loop.time()
    while str(job.properties.get("jobState") or "").lower() in _JOB_CHANGING:
        if loop.time() - since > _JOB_WAIT_SECONDS:
            break
        await asyncio.sleep(_RETRY_SECONDS)
        job = await azure.resources.get_resource(job.id)
    return job


async def _carry_out_job(azure: ResourceAzure, step: PlanStep) -> None:
    job = await _job_settled(azure, await _job_now(azure, step))
    state = str(job.properties.get("jobState") or "").lower()
    if state in (_JOB_STOPPED if step.kind is StepKind.STOP_JOB else _JOB_RUNNING):
        return  # it got there from the call before the restart
    if step.kind is StepKind.STOP_JOB:
        op = await azure.jobs.begin_stop(job.id)
    else:
        op = await azure.jobs.begin_start(job.id, output_start_mode=step.arg("mode"))
    await op.wait()


async def _carry_out_disk(azure: ResourceAzure, step: PlanStep) -> None:
    if step.kind is StepKind.DISK_TO_PLATFORM_KEY:
        op = await azure.compute.begin_set_disk_encryption(step.arg("disk"), encryption_type=_PLATFORM_KEY,
                                                           disk_encryption_set_id=None)
    else:
        op = await azure.compute.begin_set_disk_encryption(
            step.arg("disk"), encryption_type=step.arg("encryption_type"), disk_encryption_set_id=step.arg("des"))
    await op.wait()


async def _delete_restore_points(azure: ResourceAzure, step: PlanStep) -> None:
    await (await azure.compute.begin_delete_restore_points(step.arg("collection"))).wait()


async def _done_on_resource(azure: ResourceAzure, step: PlanStep) -> bool:
    """Whether a job, disk or restore point collection is already as the step leaves it."""
    kind = step.kind
    try:
        if kind is StepKind.START_JOB:
            state = str((await _job_now(azure, step)).properties.get("jobState") or "")
            return state.lower() in _JOB_STARTED
        target = step.arg("job") or step.arg("disk") or step.arg("collection")
        found = await azure.resources.get_resource(target)
    except NotFound:
        return kind is StepKind.DELETE_RESTORE_POINTS
    if kind is StepKind.STOP_JOB:
        return str(found.properties.get("jobState") or "").lower() in _JOB_STOPPED
    encryption = found.properties.get("encryption") or {}
    kind_now = str(encryption.get("type") or "").lower()
    if kind is StepKind.DISK_TO_PLATFORM_KEY:
        return kind_now == _PLATFORM_KEY.lower()
    if kind is StepKind.DISK_TO_CUSTOMER_KEY:
        return (kind_now == step.arg("encryption_type").lower()
                and str(encryption.get("diskEncryptionSetId") or "").lower() == step.arg("des").lower())
    return False  # the collection is still there


# --------------------------------------------------------------------------- an app's VNet integration, NAT gateways


async def _integration_now(azure: AppNetworkAzure, step: PlanStep) -> tuple[str, str, str]:
    """(the app's id, the subnet it should be integrated with, the subnet it is integrated with now): the
    new ids when the moves took them, the old ones when a move failed and left them in place."""
    site = step.arg("site")
    try:
        current = await azure.web.get_vnet_integration(site)
    except NotFound:
        site = step.arg("old_site") or site
        current = await azure.web.get_vnet_integration(site)
    subnet = step.arg("subnet")
    if subnet.lower() != step.arg("old_subnet", subnet).lower():
        new_subnet = ResourceId.parse(subnet)
        try:
            await azure.network.get_subnet_nat_gateway(str(new_subnet.parent), new_subnet.name)
        except NotFound:
            subnet = step.arg("old_subnet")
    return site, subnet, current


async def _remove_integration(azure: AppNetworkAzure, step: PlanStep) -> None:
    await (await azure.web.begin_remove_vnet_integration(step.arg("site"))).wait()


async def _integration_removed(azure: AppNetworkAzure, step: PlanStep) -> bool:
    return not await azure.web.get_vnet_integration(step.arg("site"))


async def _add_integration(azure: AppNetworkAzure, step: PlanStep) -> None:
    site, subnet, _ = await _integration_now(azure, step)
    await (await azure.web.begin_set_vnet_integration(site, subnet_id=subnet)).wait()


async def _integration_added(azure: AppNetworkAzure, step: PlanStep) -> bool:
    _, subnet, current = await _integration_now(azure, step)
    return current.lower() == subnet.lower()


async def _detach_nat_gateway(azure: AppNetworkAzure, step: PlanStep) -> None:
    await (await azure.network.begin_remove_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"))).wait()


async def _nat_gateway_detached(azure: AppNetworkAzure, step: PlanStep) -> bool:
    return not await azure.network.get_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"))


# kind -> (carry it out, did it take effect)
STEPS: dict[StepKind, tuple[Callable[[Any, PlanStep], Awaitable[None]],
                             Callable[[Any, PlanStep], Awaitable[bool]]]] = {
    StepKind.STOP_JOB: (_carry_out_job, _done_on_resource),
    StepKind.START_JOB: (_carry_out_job, _done_on_resource),
    StepKind.DISK_TO_PLATFORM_KEY: (_carry_out_disk, _done_on_resource),
    StepKind.DISK_TO_CUSTOMER_KEY: (_carry_out_disk, _done_on_resource),
    StepKind.DELETE_RESTORE_POINTS: (_delete_restore_points, _done_on_resource),
    StepKind.REMOVE_VNET_INTEGRATION: (_remove_integration, _integration_removed),
    StepKind.ADD_VNET_INTEGRATION: (_add_integration, _integration_added),
    StepKind.DETACH_NAT_GATEWAY: (_detach_nat_gateway, _nat_gateway_detached),
}
