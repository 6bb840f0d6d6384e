"""Resource Graph's `POST /providers/Microsoft.ResourceGraph/resources`: a query (`sandbox.graph` parses and
runs the KQL subset) over the resources of the subscriptions the caller may read, paged with `$skipToken`.

Results are kept per query and subscriptions for one generation of the world: paging 10,000 rows would
otherwise rebuild and re-sort them all for every page (~0.1 s of CPU each, on the event loop the embedded
sandbox shares with the bot).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from aiohttp import web

from sandbox import graph
from sandbox.answers import decode_token, encode_token
from sandbox.api import ArmApi, Runtime, member
from sandbox.auth import GRAPH_READ, Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Body, Kind, Within, route
from sandbox.state import Res, Sub

CACHE_SIZE = 16  # distinct queries kept; the bot pages one inventory query per subscription
# What Resource Graph's Resources table does not hold: workspace linked services (ARM only) and the vault items
# that live in RecoveryServicesResources.
_NOT_IN_RESOURCES = ("microsoft.operationalinsights/workspaces/linkedservices",
                     "microsoft.recoveryservices/vaults/replicationfabrics",
                     "microsoft.recoveryservices/vaults/backupfabrics")


def in_table(type_: str, table: str) -> bool:
    low = type_.lower()
    recovery = low.startswith(_NOT_IN_RESOURCES[1:])
    if table == "recoveryservicesresources":
        return recovery
    return not low.startswith(_NOT_IN_RESOURCES)


def graph_row(res: Res, tenant_id: str) -> dict[str, Any]:
    # Resource Graph lower-cases type, resourceGroup and location, and keeps the id as stored.
    return {
        "id": res.id, "name": res.name, "type": res.type.lower(), "tenantId": tenant_id, "kind": res.kind or "",
        "location": res.location.lower(), "resourceGroup": res.group.lower(),
        "subscriptionId": res.subscription_id, "managedBy": res.managed_by or "", "sku": res.sku, "plan": res.plan,
        "properties": res.properties, "tags": res.tags or None, "identity": res.identity, "zones": res.zones or None,
        "extendedLocation": None,
    }


class ResourceGraphApi(ArmApi):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], tuple[int, list[dict[str, Any]]]] = OrderedDict()

    @route("POST", "/providers/Microsoft.ResourceGraph/resources", "Resources", action=None, kind=Kind.GRAPH,
           within=Within.TENANT, body=Body.REQUIRED)
    async def query(self, request: web.Request, caller: Caller, *, body: dict[str, Any]) -> web.Response:
        if not isinstance(body.get("query"), str):
            raise ArmFailure(400, "BadRequest", "The request body must contain a 'query' string.")
        try:
            query = graph.parse(body["query"])
        except graph.QueryError as exc:
            return self.answer(graph.error_body(str(exc)), 400)
        wanted = {str(s).lower() for s in body.get("subscriptions") or []}
        subs = [s for s in self.world.subscriptions.values()
                if self._readable(caller, s) and (not wanted or s.id.lower() in wanted)]
        result = self._result(body["query"], query, subs)
        options = member(body, "options")
        try:
            top = min(int(options.get("$top") or 100), 1000)
            skip = int(options.get("$skip") or 0)
            offset = int(decode_token(str(options["$skipToken"])).get("o", 0)) if options.get("$skipToken") else 0
        except (TypeError, ValueError) as exc:
            raise ArmFailure(400, "BadRequest", f"The query options are invalid: {exc}.") from exc
        if query.limit is not None:
            page, token, truncated = result[:top], None, "true"
        else:
            offset += skip
            page = result[offset: offset + top]
            token = encode_token({"o": offset + top}) if offset + top < len(result) else None
            truncated = "false"
        if options.get("resultFormat") == "table":
            return self.answer(graph.error_body("resultFormat 'table' is not supported, use 'objectArray'"), 400)
        out: dict[str, Any] = {"totalRecords": len(result), "count": len(page), "resultTruncated": truncated,
                               "facets": [], "data": page}
        if token:
            out["$skipToken"] = token
        return self.answer(out)

    def _readable(self, caller: Caller, sub: Sub) -> bool:
        """Resource Graph answers from the subscriptions the caller may read, and leaves out the others."""
        if not self.runtime.auth.sees(caller, sub):
            return False
        try:
            self.runtime.auth.authorize(caller, sub, GRAPH_READ, f"/subscriptions/{sub.id}")
        except ArmFailure:
            return False
        return True

    def _result(self, text: str, query: graph.Query, subs: list[Sub]) -> list[dict[str, Any]]:
        generation = self.runtime.generation
        key = (text, tuple(s.id.lower() for s in subs))
        cached = self._cache.get(key)
        if cached is not None and cached[0] == generation:
            self._cache.move_to_end(key)
            return cached[1]
        rows = [graph_row(r, s.tenant_id) for s in subs for r in self.world.resources(s)
                if in_table(r.type, query.table)]
        result = graph.run(query, rows)
        self._cache[key] = (generation, result)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return result
