"""validateMoveResources and moveResources, and the operation results a client polls for them (the checks and
the move itself are `sandbox.moves`). Both POSTs answer 202 with a `Location` on the sandbox's own address;
its poll answers 202 until the job's time has come, then the job's result."""

from __future__ import annotations

import math
import time
from typing import Any

from aiohttp import web

from sandbox.answers import arm_headers, decode_token, encode_token
from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import front_door
from sandbox.routing import Body, Within, route

GROUP = "/subscriptions/{subscription}/resourceGroups/{group}"
MOVE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"


class MoveApi(ArmApi):
    @route("POST", GROUP + "/validateMoveResources", "Resources_ValidateMoveResources", action=MOVE_ACTION,
           within=Within.GROUP, body=Body.REQUIRED)
    async def validate(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                       body: dict[str, Any]) -> web.Response:
        return self._start(request, caller, subscription, group, body, kind="validate")

    @route("POST", GROUP + "/moveResources", "Resources_MoveResources", action=MOVE_ACTION, within=Within.GROUP,
           body=Body.REQUIRED)
    async def move(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                   body: dict[str, Any]) -> web.Response:
        return self._start(request, caller, subscription, group, body, kind="move")

    def _start(self, request: web.Request, caller: Caller, subscription: str, group: str, body: dict[str, Any],
               *, kind: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        source = self.find_group(sub, group)
        target, ids = front_door(self.world, sub.id, source, body, visible_tenant=sub.tenant_id)
        timing = self.runtime.timing
        took = timing.move_seconds if kind == "move" and timing.move_seconds is not None else timing.lro_seconds
        op = self.world.new_operation(kind, sub.id, source, target.id, ids, time.time() + took)
        if kind == "move":
            source.moving = target.moving = op.id
            self.runtime.stats.move("started")
        self.changed()
        return self._accepted(sub.id, op.id, request.query["api-version"])

    def _accepted(self, subscription_id: str, op_id: str, api_version: str) -> web.Response:
        location = (f"{self.runtime.base_url}/subscriptions/{subscription_id}/operationresults/"
                    f"{encode_token({'jobId': op_id})}?api-version={api_version}")
        poll = self.runtime.timing.poll_interval
        extra = {"Location": location, "retry-after-ms": str(int(poll * 1000))}
        if poll >= 1:
            # azure-core prefers Retry-After over retry-after-ms, so it is only sent in whole seconds.
            extra["Retry-After"] = str(math.ceil(poll))
        return web.Response(status=202, headers=arm_headers(extra))

    @route("GET", "/subscriptions/{subscription}/operationresults/{job}", "OperationResults_Get",
           action="Microsoft.Resources/subscriptions/resourceGroups/read")
    async def poll(self, request: web.Request, caller: Caller, *, subscription: str, job: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        op = self.world.operations.get(str(decode_token(job).get("jobId")))
        if op is None or op.subscription_id.lower() != sub.id.lower():
            raise ArmFailure(404, "OperationNotFound", f"The operation '{job}' could not be found.")
        if not op.done:
            return self._accepted(sub.id, op.id, request.query["api-version"])
        if op.body is None:
            return web.Response(status=op.status or 204, headers=arm_headers())
        return self.answer(op.body, op.status or 500)
