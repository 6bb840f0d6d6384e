"""Stream Analytics jobs as Microsoft.StreamAnalytics answers them (api-version 2020-03-01): GET a job, and
POST `…/stop` and `…/start`, both long-running (202 with a `Location` under the job, polled until 200).

A job goes Running -> Stopping -> Stopped and Stopped -> Starting -> Running, each change taking
`TRANSITION_SECONDS`. Azure cannot move a running job (learn.microsoft.com, "Move operation support for
resources", Microsoft.StreamAnalytics); `sandbox.movability` refuses it from the state kept here. Starting
with `LastOutputEventTime` needs output the job produced before it stopped (learn.microsoft.com, "How to
start an Azure Stream Analytics job"), so a stop records when the job's output stopped.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.api import ArmApi, Runtime
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import check_write_allowed
from sandbox.routing import Body, Within, route
from sandbox.state import Res

JOB_TYPE = "Microsoft.StreamAnalytics/streamingjobs"
JOB_PATH = "/subscriptions/{subscription}/resourceGroups/{group}/providers/" + JOB_TYPE + "/{job}"
READ = JOB_TYPE + "/read"
TRANSITION_SECONDS = 0.3
POLL_MS = 100
START_MODES = ("JobStartTime", "CustomTime", "LastOutputEventTime")
RUNNING = ("running", "degraded", "starting", "restarting")
STOPPED = ("stopped", "created", "failed")
_ENDS = {"stopping": "Stopped", "starting": "Running"}


class JobsApi(ArmApi):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._due: dict[str, float] = {}  # job id (lower-case) -> when its Stopping / Starting ends

    def _job(self, subscription: str, group: str, job: str) -> Res:
        _, res = self.resource(subscription, group, JOB_TYPE, job)
        self._settle(res)
        return res

    def _settle(self, job: Res) -> None:
        """Finish a change whose time has come (or one left by a restart of the sandbox)."""
        state = str(job.properties.get("jobState") or "Created").lower()
        if state in _ENDS and time.time() >= self._due.get(job.id.lower(), 0.0):
            job.properties["jobState"] = _ENDS[state]
            self._due.pop(job.id.lower(), None)
            self.changed()

    def _body(self, job: Res) -> dict[str, Any]:
        props = {**job.properties, "provisioningState": "Succeeded"}
        props.setdefault("jobState", "Created")
        return {"id": job.id, "name": job.name, "type": job.type, "location": job.location, "tags": job.tags,
                "properties": props}

    def _accepted(self, request: web.Request, job: Res) -> web.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        location = (f"{base}{job.id}/operationresults/{uuid.uuid4()}"
                    f"?api-version={request.query.get('api-version', '')}")
        response = web.Response(status=202)
        response.headers["Location"] = location
        response.headers["retry-after-ms"] = str(POLL_MS)
        return response

    @route("GET", JOB_PATH, "StreamingJobs_Get", action=READ, within=Within.RESOURCE)
    async def get_job(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                      job: str) -> web.Response:
        return self.answer(self._body(self._job(subscription, group, job)))

    @route("GET", JOB_PATH + "/operationresults/{operation}", "StreamingJobs_OperationResults", action=READ,
           within=Within.RESOURCE)
    async def poll(self, request: web.Request, caller: Caller, *, subscription: str, group: str, job: str,
                   operation: str) -> web.Response:
        found = self._job(subscription, group, job)
        if str(found.properties.get("jobState") or "").lower() in _ENDS:
            response = web.Response(status=202)
            response.headers["Location"] = str(request.url)
            response.headers["retry-after-ms"] = str(POLL_MS)
            return response
        return web.Response(status=200)

    def _begin(self, job: Res, state: str) -> None:
        job.properties["jobState"] = state
        self._due[job.id.lower()] = time.time() + TRANSITION_SECONDS
        self.changed()

    @route("POST", JOB_PATH + "/stop", "StreamingJobs_Stop", action=JOB_TYPE + "/Stop/action", within=Within.RESOURCE)
    async def stop(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                   job: str) -> web.Response:
        return self._stop(request, self._job(subscription, group, job))

    def _stop(self, request: web.Request, job: Res) -> web.Response:
        check_write_allowed(self.world, self.world.group(job.subscription_id, job.group))  # type: ignore[arg-type]
        state = str(job.properties.get("jobState") or "Created").lower()
        if state in RUNNING:
            job.properties["lastOutputEventTime"] = datetime.now(UTC).isoformat()
            self._begin(job, "Stopping")
        return self._accepted(request, job)  # stopping a stopped (or stopping) job changes nothing

    @route("POST", JOB_PATH + "/start", "StreamingJobs_Start", action=JOB_TYPE + "/Start/action",
           within=Within.RESOURCE, body=Body.OPTIONAL)
    async def start(self, request: web.Request, caller: Caller, *, subscription: str, group: str, job: str,
                    body: dict[str, Any]) -> web.Response:
        return self._start(request, self._job(subscription, group, job), body)

    def _start(self, request: web.Request, job: Res, body: dict[str, Any]) -> web.Response:
        check_write_allowed(self.world, self.world.group(job.subscription_id, job.group))  # type: ignore[arg-type]
        mode = body.get("outputStartMode") or "JobStartTime"
        if mode not in START_MODES:
            raise ArmFailure(400, "BadRequest", f"outputStartMode must be one of {', '.join(START_MODES)}.")
        if mode == "CustomTime" and not body.get("outputStartTime"):
            raise ArmFailure(400, "BadRequest", "outputStartTime is required when outputStartMode is CustomTime.")
        if mode == "LastOutputEventTime" and not job.properties.get("lastOutputEventTime"):
            raise ArmFailure(400, "BadRequest", f"Job '{job.name}' has produced no output yet: start it with "
                             "JobStartTime or CustomTime.")
        state = str(job.properties.get("jobState") or "Created").lower()
        if state not in STOPPED:
            raise ArmFailure(409, "Conflict", f"Job '{job.name}' is {job.properties.get('jobState')}: only a "
                             "stopped job can be started.")
        job.properties["outputStartMode"] = mode
        self._begin(job, "Starting")
        return self._accepted(request, job)
