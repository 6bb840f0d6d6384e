"""Stream Analytics jobs: each running job stopped before the moves and started again after them, at its new
id (or where it stayed, if its group did not move), from its last output so no event is lost. A job stopped
since the assessment is left alone: only jobs that ran are started again."""

from __future__ import annotations

import asyncio
from typing import Protocol

from migration.azure.ports import HasJobs, HasResources
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, StepSpec, each
from migration.model import NotFound, Resource, ResourceId
from migration.model.plan import ChosenFix, PlanStep, StepKind

_JOB_RUNNING = ("running", "starting", "restarting", "degraded")
_JOB_STOPPED = ("stopped", "created", "failed")
_JOB_CHANGING = ("stopping", "starting")
_JOB_STARTED = ("running", "degraded")  # a job still starting is waited for: it may yet fail to start
_JOB_WAIT_SECONDS = 30 * 60
_RETRY_SECONDS = 1.0


def _jobs(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    """Stop each running Stream Analytics job before the move; start it again after, at its new id (or where
    it stayed, if its group did not move), from its last output so no event is lost. A job stopped since the
    assessment is left alone: only jobs that ran are started again."""
    for rid in fix.resource_ids:
        job = facts.resource(rid)
        if job is None or job.type_lower != "microsoft.streamanalytics/streamingjobs":
            continue
        if str(job.properties.get("jobState") or "").lower() not in _JOB_RUNNING:
            continue
        old = ResourceId.parse(job.id)
        stop = PlanStep(f"stop_job:{job.id}".lower(), StepKind.STOP_JOB, job.resource_group,
                        args(job=job.id, name=job.name, group=old.resource_group, subscription=old.subscription))
        add(stop)
        group = moves.group_for(job.id)
        new_id = moves.new_id(job.id)
        new = ResourceId.parse(new_id)
        served = group.source_group if group else job.resource_group
        add(PlanStep(f"start_job:{new_id}".lower(), StepKind.START_JOB, served,
                     args(job=new_id, old_job=job.id, name=job.name, group=new.resource_group,
                          subscription=new.subscription, mode="LastOutputEventTime"),
                     after=(stop.key,), ended=(f"move:{group.source_group}",) if group else ()))
    return []



class JobAzure(HasResources, HasJobs, Protocol):
    """What the job steps use."""


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


async def _carry_out_job(azure: JobAzure, step: PlanStep) -> None:
    job = await _job_settled(azure, await _job_now(azure, step))
    state = str(job.properties.get("jobState") or "").lower()
    if state in (_JOB_STOPPED if step.kind is StepKind.STOP_JOB else _JOB_RUNNING):
        return  # it got there from the call before the restart
    if step.kind is StepKind.STOP_JOB:
        op = await azure.jobs.begin_stop(job.id)
    else:
        op = await azure.jobs.begin_start(job.id, output_start_mode=step.arg("mode"))
    await op.wait()



async def _job_done(azure: HasResources, step: PlanStep) -> bool:
    """A job stopped (or started: running, not still starting) as the step leaves it."""
    try:
        if step.kind is StepKind.START_JOB:
            return str((await _job_now(azure, step)).properties.get("jobState") or "").lower() in _JOB_STARTED
        found = await azure.resources.get_resource(step.arg("job"))
    except NotFound:
        return False
    return str(found.properties.get("jobState") or "").lower() in _JOB_STOPPED


FAMILY = FixFamily(
    name="stream_jobs",
    actions=("stop_job",),
    plan=each(_jobs),
    steps=(StepSpec(StepKind.STOP_JOB, _carry_out_job, _job_done),
           StepSpec(StepKind.START_JOB, _carry_out_job, _job_done)),
)
