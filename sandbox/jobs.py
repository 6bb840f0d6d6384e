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

from sandbox.moves import ArmFailure, check_write_allowed
from sandbox.scopes import Call, bind, resource_of_type
from sandbox.state import Res, World

JOB = "microsoft.streamanalytics/streamingjobs"
TRANSITION_SECONDS = 0.3
POLL_MS = 100
START_MODES = ("JobStartTime", "CustomTime", "LastOutputEventTime")
RUNNING = ("running", "degraded", "starting", "restarting")
STOPPED = ("stopped", "created", "failed")
_ENDS = {"stopping": "Stopped", "starting": "Running"}


class JobsApi:
    def __init__(self, world: World, answer: Any, changed: Any) -> None:
        self.world = world
        self._answer = answer
        self._changed = changed
        self._due: dict[str, float] = {}  # job id (lower-case) -> when its Stopping / Starting ends

    def route(self, method: str, parts: list[str]) -> Call | None:
        low = [p.lower() for p in parts]
        if (len(low) < 8 or low[2] != "resourcegroups" or low[4:7] != ["providers", "microsoft.streamanalytics",
                                                                       "streamingjobs"]):
            return None
        rid = "/" + "/".join(parts[:8])
        read = "Microsoft.StreamAnalytics/streamingjobs/read"
        if len(low) == 8 and method == "GET":
            return Call("StreamingJobs_Get", "reads", read, rid, bind(self.get_job, rid))
        if len(low) == 9 and method == "POST" and low[8] in ("stop", "start"):
            verb = low[8].capitalize()
            return Call(f"StreamingJobs_{verb}", "writes", f"Microsoft.StreamAnalytics/streamingjobs/{verb}/action",
                        rid, bind(self.stop if verb == "Stop" else self.start, rid))
        if len(low) == 10 and method == "GET" and low[8] == "operationresults":
            return Call("StreamingJobs_OperationResults", "reads", read, rid, bind(self.poll, rid))
        return None

    def _job(self, rid: str) -> Res:
        _, res = resource_of_type(self.world, rid, JOB)
        self._settle(res)
        return res

    def _settle(self, job: Res) -> None:
        """Finish a change whose time has come (or one left by a restart of the sandbox)."""
        state = str(job.properties.get("jobState") or "Created").lower()
        if state in _ENDS and time.time() >= self._due.get(job.id.lower(), 0.0):
            job.properties["jobState"] = _ENDS[state]
            self._due.pop(job.id.lower(), None)
            self._changed()

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

    async def get_job(self, request: web.Request, rid: str) -> web.Response:
        return self._answer(self._body(self._job(rid)), 200)

    async def poll(self, request: web.Request, rid: str) -> web.Response:
        job = self._job(rid)
        if str(job.properties.get("jobState") or "").lower() in _ENDS:
            response = web.Response(status=202)
            response.headers["Location"] = str(request.url)
            response.headers["retry-after-ms"] = str(POLL_MS)
            return response
        return web.Response(status=200)

    def _begin(self, job: Res, state: str) -> None:
        job.properties["jobState"] = state
        self._due[job.id.lower()] = time.time() + TRANSITION_SECONDS
        self._changed()

    async def stop(self, request: web.Request, rid: str) -> web.Response:
        job = self._job(rid)
        check_write_allowed(self.world, self.world.group(job.subscription_id, job.group))  # type: ignore[arg-type]
        state = str(job.properties.get("jobState") or "Created").lower()
        if state in RUNNING:
            job.properties["lastOutputEventTime"] = datetime.now(UTC).isoformat()
            self._begin(job, "Stopping")
        return self._accepted(request, job)  # stopping a stopped (or stopping) job changes nothing

    async def start(self, request: web.Request, rid: str) -> web.Response:
        job = self._job(rid)
        check_write_allowed(self.world, self.world.group(job.subscription_id, job.group))  # type: ignore[arg-type]
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ArmFailure(400, "BadRequest", "The request body must be a JSON object.")
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
