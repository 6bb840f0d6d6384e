"""Microsoft Graph, as far as the bot asks it: `POST /v1.0/users/{id}/checkMemberGroups`
(https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups), answered from the scenario's own
users (`principals` of type User) and security groups (`groups`, members transitively) of the token's tenant.

A Graph token is required (audience https://graph.microsoft.com; an ARM token is refused, as Graph does), and
errors carry Graph's shape: `{"error": {"code", "message", "innerError"}}`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from aiohttp import web

from sandbox.entra import Entra, TokenInvalid
from sandbox.state import World

STATIC_PREFIX = "sandbox."
GRAPH_AUDIENCES = frozenset({"https://graph.microsoft.com", "https://graph.microsoft.com/",
                             "00000003-0000-0000-c000-000000000000"})
MAX_GROUP_IDS = 20  # checkMemberGroups takes up to 20 group ids


def graph_error(status: int, code: str, message: str) -> web.Response:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return web.json_response({"error": {"code": code, "message": message, "innerError": {
        "date": now, "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}}, status=status)


class MicrosoftGraph:
    def __init__(self, world: World, entra: Entra) -> None:
        self.world = world
        self.entra = entra
        self.calls = 0

    async def dispatch(self, request: web.Request, parts: list[str]) -> web.StreamResponse | None:
        """Graph's paths (`/v1.0/...`), or None when the path is not Graph's."""
        if not parts or parts[0] != "v1.0":
            return None
        low = [p.lower() for p in parts]
        if len(low) == 4 and low[1] == "users" and low[3] == "checkmembergroups":
            if request.method != "POST":
                return graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request "
                                   "target.")
            return await self.check_member_groups(request, parts[2])
        return graph_error(400, "BadRequest", f"Resource not found for the segment '{parts[-1][:40]}'.")

    def _tenant_of(self, request: web.Request) -> str | web.Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        token = auth[7:].strip()
        if token.startswith(STATIC_PREFIX):
            who, _, audience = token[len(STATIC_PREFIX):].partition("@")
            tenant = self.world.tenant(who)
            if audience not in GRAPH_AUDIENCES:
                return graph_error(401, "InvalidAuthenticationToken",
                                   "Access token validation failure. Invalid audience.")
            if tenant is None:
                return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
            return tenant.id
        try:
            claims = self.entra.verify(token, audiences=GRAPH_AUDIENCES)
        except TokenInvalid as exc:
            message = "Access token validation failure. Invalid audience." if "audience" in exc.message \
                else "Access token has expired or is not yet valid." if "expiry" in exc.message \
                else "Access token validation failure."
            return graph_error(401, "InvalidAuthenticationToken", message)
        return str(claims["tid"])

    async def check_member_groups(self, request: web.Request, user_id: str) -> web.Response:
        self.calls += 1
        tenant = self._tenant_of(request)
        if isinstance(tenant, web.Response):
            return tenant
        try:
            body: Any = json.loads(await request.text() or "null")
        except json.JSONDecodeError:
            return graph_error(400, "BadRequest", "Unable to read JSON request payload.")
        group_ids = body.get("groupIds") if isinstance(body, dict) else None
        if not isinstance(group_ids, list) or not all(isinstance(g, str) for g in group_ids):
            return graph_error(400, "Request_BadRequest", "Invalid value specified for property 'groupIds'.")
        if len(group_ids) > MAX_GROUP_IDS:
            return graph_error(400, "Request_BadRequest", "The number of groupIds exceeds the maximum of 20.")
        directory = self.world.directory
        if not directory.user_exists(tenant, user_id):
            return graph_error(404, "Request_ResourceNotFound",
                               f"Resource '{user_id[:60]}' does not exist or one of its queried reference-property "
                               "objects are not present.")
        member_of = directory.groups_of(tenant, user_id)
        return web.json_response({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)",
                                  "value": [g for g in group_ids if g.lower() in member_of]})
