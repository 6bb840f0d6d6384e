"""The ARM-compatible HTTPS server: routing, throttling, faults, admin endpoint. Who a token is and what
it may do lives in `sandbox.auth`; Entra's endpoints in `sandbox.entra`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import random
import re
import tempfile
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox import graph
from sandbox.appnetwork import AppNetworkApi
from sandbox.auth import GRAPH_READ, ArmAuth, Caller, action_for, scope_of
from sandbox.compute import ComputeApi
from sandbox.entra import Entra, load_or_create_signing_key
from sandbox.jobs import JobsApi
from sandbox.locks import LockApi
from sandbox.movability import load_facts
from sandbox.moves import ArmFailure, check_write_allowed, error_body, finish, front_door
from sandbox.network import NetworkApi
from sandbox.rbac import RbacApi
from sandbox.resources import ResourceApi
from sandbox.state import Group, Res, Sub, World, load_scenario
from sandbox.subnets import SubnetApi
from sandbox.throttle import Throttle
from sandbox.tls import server_ssl_context

STATE_FILE = "state.json"
PAGE_SIZE = 1000
DROP_ANSWER = web.RequestKey("drop_answer", bool)
_GRAPH_CACHE_SIZE = 16  # distinct queries kept; the bot pages one inventory query per subscription


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Injected failures. Rates are probabilities per ARM request (drawn from a seeded RNG)."""

    latency_ms: float = 0.0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0  # reads: dropped before handling; writes: handled, then the answer is lost
    lro_failure_rate: float = 0.0  # a move job fails (409 ResourceMoveFailed) after validating
    retry_after: float = 1.0  # seconds announced on injected 429/503
    limit: int | None = None  # inject at most this many faults, then behave
    operations: tuple[str, ...] = ()  # only these operations (names as in stats' by_operation); () = all

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["operations"] = list(self.operations)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], base: FaultConfig | None = None) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        changes = dict(data)
        if "operations" in changes:
            changes["operations"] = tuple(changes["operations"] or ())
        return replace(base or cls(), **changes)


@dataclass(frozen=True, slots=True)
class Route:
    operation: str  # spec operationId, the key in stats' by_operation
    kind: str  # reads, writes, graph
    handler: Callable[..., Awaitable[web.StreamResponse]]
    args: tuple[str, ...] = ()
    action: str | None = None  # for scope-addressed APIs: the action and scope authorized (else by operation)
    scope: str | None = None


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    h = {
        "x-ms-request-id": str(uuid.uuid4()),
        "x-ms-correlation-request-id": str(uuid.uuid4()),
        "Cache-Control": "no-cache",
        "Pragma": "no-cache",
        "Expires": "-1",
    }
    if extra:
        h.update(extra)
    return h


def _fmt_seconds(seconds: float) -> str:
    # ARM sends whole seconds; below one second the exact wait keeps clients fast (azure-core reads floats).
    return str(math.ceil(seconds)) if seconds >= 1 else f"{max(seconds, 0.001):.3f}"


def _encode_token(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode_token(value: str) -> dict[str, Any]:
    try:
        return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ArmFailure(400, "InvalidSkipToken", f"The skip token '{value}' is invalid.") from exc


class ArmSandbox:
    def __init__(self, world: World, *, base_url: str = "", throttle: bool = True,
                 faults: FaultConfig | None = None, lro_seconds: float = 2.0, poll_interval: float = 0.1,
                 seed: int = 0, state_file: Path | None = None, signing_key: Any = None,
                 move_seconds: float | None = None) -> None:
        self.world = world
        self.entra = Entra(world, signing_key or load_or_create_signing_key(None))
        self.auth = ArmAuth(world, self.entra)
        self.base_url = base_url
        self.throttle = Throttle(enabled=throttle)
        self.faults = faults or FaultConfig()
        self.lro_seconds = lro_seconds
        # How long a moveResources job takes (a real one takes minutes per group); None: as validations.
        self.move_seconds = move_seconds
        self.poll_interval = poll_interval
        self.state_file = state_file
        self.facts = load_facts()
        self._rng = random.Random(seed)
        # APIs addressed by scope (subscription, group or resource), each in its own module.
        self.surfaces = [api(world, self._json, self._changed)
                         for api in (LockApi, RbacApi, NetworkApi, ComputeApi, JobsApi, SubnetApi, AppNetworkApi,
                                     ResourceApi)]
        self._faults_injected = 0
        self._dirty = False
        # Resource Graph results by (query, subscriptions in scope), valid for one world generation: paging
        # 10,000 rows would otherwise rebuild and re-sort them all for every page (~0.1 s of CPU each, on
        # the event loop the embedded sandbox shares with the bot).
        self._generation = 0
        self._graph_cache: OrderedDict[tuple[str, tuple[str, ...]], tuple[int, list[dict[str, Any]]]] = OrderedDict()
        self.reset_stats()

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value
        self.entra.base_url = value  # Entra's endpoints are served from the same address

    # ------------------------------------------------------------------ stats and admin

    def reset_stats(self) -> None:
        self._counts: Counter[str] = Counter()
        self._by_op: Counter[str] = Counter()
        self._throttled_by_op: Counter[str] = Counter()  # 429s of the throttle (booked, so no token spent)
        self._applied_by_op: Counter[str] = Counter()  # writes carried out (answered below 400)
        self._fault_counts: Counter[str] = Counter()
        self._moves: Counter[str] = Counter()
        self._faults_injected = 0
        self.throttle.reset()

    def stats(self) -> dict[str, Any]:
        return {
            "reads": self._counts["reads"], "writes": self._counts["writes"], "graph": self._counts["graph"],
            "lro_polls": self._counts["lro_polls"], "throttled_429": self._counts["throttled_429"],
            "faults": dict(self._fault_counts), "by_operation": dict(self._by_op), "moves": dict(self._moves),
            "throttled_by_operation": dict(self._throttled_by_op),
            "applied_by_operation": dict(self._applied_by_op),
        }

    def set_faults(self, faults: FaultConfig | None = None, **changes: Any) -> FaultConfig:
        self.faults = FaultConfig.from_json(changes, faults or self.faults)
        self._faults_injected = 0
        return self.faults

    def admin_config(self) -> dict[str, Any]:
        return {**self.faults.to_json(), "throttle": self.throttle.enabled, "lro_seconds": self.lro_seconds,
                "move_seconds": self.move_seconds, "poll_interval": self.poll_interval}

    def apply_admin_config(self, data: dict[str, Any]) -> None:
        data = dict(data)
        if "throttle" in data:
            self.throttle.enabled = bool(data.pop("throttle"))
        if "lro_seconds" in data:
            self.lro_seconds = float(data.pop("lro_seconds"))
        if "move_seconds" in data:
            value = data.pop("move_seconds")
            self.move_seconds = None if value is None else float(value)
        if "poll_interval" in data:
            self.poll_interval = float(data.pop("poll_interval"))
        self.set_faults(**data)

    def invalidate(self) -> None:
        """Forget derived data (Resource Graph results). Call after changing `world` directly."""
        self._generation += 1
        self._graph_cache.clear()

    # ------------------------------------------------------------------ aiohttp plumbing

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    def _json(self, body: Any, status: int = 200, extra: dict[str, str] | None = None) -> web.Response:
        return web.json_response(body, status=status, headers=_headers(extra))

    def _fail(self, failure: ArmFailure, extra: dict[str, str] | None = None) -> web.Response:
        return self._json(failure.body, failure.status, extra)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        low = [p.lower() for p in parts]
        if low[:1] == ["_sandbox"]:
            return await self._admin(request, low[1:])
        entra = await self.entra.dispatch(request, parts)
        if entra is not None:
            return entra
        route = self._route(request.method, low, parts)
        if route is None:
            code = "InvalidResourceType" if request.method == "GET" else "NoRegisteredProviderFound"
            return self._json(error_body(code, f"The sandbox does not serve {request.method} {path}."), 404)
        self._counts[route.kind] += 1
        if route.operation == "OperationResults_Get":
            self._counts["lro_polls"] += 1
        self._by_op[route.operation] += 1
        if self.faults.latency_ms > 0 and (not self.faults.operations or route.operation in self.faults.operations):
            self._fault_counts["latency"] += 1
            await asyncio.sleep(self.faults.latency_ms / 1000)
        if "api-version" not in request.query:
            return self._json(error_body(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests."), 400)
        try:
            caller = self.auth.authenticate(request)
            self._authorize(caller, route, parts)
            self._settle()
            extra = self._charge(route, parts, caller, request.headers.get("x-ms-client-request-id"))
            injected = self._inject(route, request)
            if injected is not None:
                return injected
            params = [parts[int(i)] if i.isdigit() else i for i in route.args]
            response = await route.handler(request, caller, *params)
        except ArmFailure as failure:
            response = self._fail(failure)
            extra = getattr(failure, "headers", {})
        for key, value in extra.items():
            response.headers.setdefault(key, value)
        if route.kind == "writes":
            self.invalidate()  # the handler changed the world without awaiting since, so no query saw it
            if response.status < 400:
                # Carried out (a request whose client went away before its body arrived never gets here).
                self._applied_by_op[route.operation] += 1
        if self._dirty:
            self._save()
        if request.get(DROP_ANSWER):
            self._drop(request)
        return response

    def _drop(self, request: web.Request) -> None:
        # Abort the TCP connection: the client sees a reset / disconnect and no HTTP answer at all.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError

    def _changed(self) -> None:
        self._dirty = True

    def _save(self) -> None:
        self._dirty = False
        if self.state_file is not None:
            self.world.save(self.state_file)

    # ------------------------------------------------------------------ cross-cutting checks

    def _authorize(self, caller: Caller, route: Route, parts: list[str]) -> None:
        """Before any work: the token may be used for the subscription, and its roles allow the action."""
        if len(parts) < 2 or parts[0].lower() != "subscriptions":
            return
        sub = self.world.sub(parts[1])
        if sub is not None and route.scope is not None:
            self.auth.authorize(caller, sub, route.action, route.scope)
        elif sub is not None:
            self.auth.authorize(caller, sub, action_for(route.operation, [p.lower() for p in parts]),
                                scope_of(parts))

    def _charge(self, route: Route, parts: list[str], caller: Caller, request_id: str | None) -> dict[str, str]:
        """Token buckets: per subscription (or tenant) and principal, per operation type."""
        if not self.throttle.enabled:
            return {}
        if route.kind == "graph":
            bucket = self.throttle.bucket("graph", "user", caller.token)
            wait = bucket.take(request_id)
            spec = bucket.spec
            if wait:
                self._counts["throttled_429"] += 1
                self._throttled_by_op[route.operation] += 1
                # Resource Graph's 429 may carry no Retry-After, only its quota headers (DOC-ARG-THR).
                raise _Throttled(429, "RateLimiting", "Client application has been throttled and should not "
                                 "attempt to repeat the request until an amount of time has elapsed.", wait,
                                 {"x-ms-user-quota-remaining": "0",
                                  "x-ms-user-quota-resets-after": time.strftime("%H:%M:%S", time.gmtime(
                                      math.ceil(wait)))}, retry_after=False)
            full_in = (spec.capacity - bucket.remaining) / spec.refill_per_second
            return {"x-ms-user-quota-remaining": str(bucket.remaining),
                    "x-ms-user-quota-resets-after": time.strftime("%H:%M:%S", time.gmtime(math.ceil(full_in)))}
        scope_kind, scope = ("subscription", parts[1]) if len(parts) > 1 else ("tenant", "tenant")
        bucket = self.throttle.bucket(route.kind, f"{scope_kind}:{scope}", caller.token)
        wait = bucket.take(request_id)
        verb = "read" if route.kind == "reads" else "write"
        header = f"x-ms-ratelimit-remaining-{scope_kind}-{route.kind}"
        if wait:
            self._counts["throttled_429"] += 1
            self._throttled_by_op[route.operation] += 1
            raise _Throttled(
                429, "SubscriptionRequestsThrottled" if scope_kind == "subscription" else "TenantRequestsThrottled",
                f"Number of '{verb}' requests for {scope_kind} '{scope}' actor '{caller.token}' exceeded. "
                f"Please try again after '{math.ceil(wait)}' seconds after additional tokens are available. "
                "Refer to https://aka.ms/arm-throttling for additional information.", wait, {header: "0"})
        return {header: str(bucket.remaining)}

    def _inject(self, route: Route, request: web.Request) -> web.Response | None:
        f = self.faults
        if f.operations and route.operation not in f.operations:
            return None
        if f.limit is not None and self._faults_injected >= f.limit:
            return None
        draw = self._rng.random()
        for name, rate in (("429", f.rate_429), ("500", f.rate_500), ("503", f.rate_503), ("drop", f.rate_drop)):
            if draw < rate:
                self._faults_injected += 1
                self._fault_counts[name] += 1
                break
            draw -= rate
        else:
            return None
        retry = {"Retry-After": _fmt_seconds(f.retry_after), "retry-after-ms": str(int(f.retry_after * 1000))}
        if name == "429":
            return self._json(error_body("SubscriptionRequestsThrottled",
                                         "The request was throttled. Please try again later."), 429, retry)
        if name == "500":
            return self._json(error_body("InternalServerError", "Encountered internal server error. "
                                         f"Diagnostic information: tracking id '{uuid.uuid4()}'."), 500)
        if name == "503":
            return self._json(error_body("ServiceUnavailable", "The server is currently unable to handle the "
                                         "request due to a temporary overloading. Please try again later."), 503, retry)
        if request.method == "GET":
            self._drop(request)
        request[DROP_ANSWER] = True  # a write is carried out; only its answer is lost
        return None

    def _settle(self) -> None:
        """Finish every job whose time has come (lazily, so no background task is needed)."""
        now = time.time()
        for op in self.world.operations.values():
            if not op.done and op.due <= now:
                fail = False
                if op.kind == "move" and self.faults.lro_failure_rate > 0:
                    fail = self._rng.random() < self.faults.lro_failure_rate
                    if fail:
                        self._fault_counts["lro_failure"] += 1
                finish(self.world, self.facts, op, fail=fail)
                if op.kind == "move":
                    self._moves["succeeded" if op.status == 204 else "failed"] += 1
                self._dirty = True
                self.invalidate()

    # ------------------------------------------------------------------ routing

    def _route(self, method: str, p: list[str], parts: list[str] | None = None) -> Route | None:
        n = len(p)
        if method == "POST" and p == ["providers", "microsoft.resourcegraph", "resources"]:
            return Route("Resources", "graph", self.graph_query)
        if not p or p[0] != "subscriptions":
            return None
        for surface in self.surfaces:
            call = surface.route(method, parts or p)
            if call is not None:
                return Route(call.operation, call.kind, call.handler, action=call.action, scope=call.scope)
        if n == 1 and method == "GET":
            return Route("Subscriptions_List", "reads", self.list_subscriptions)
        if n == 2 and method == "GET":
            return Route("Subscriptions_Get", "reads", self.get_subscription, ("1",))
        if n == 3 and p[2] == "resourcegroups" and method == "GET":
            return Route("ResourceGroups_List", "reads", self.list_groups, ("1",))
        if n == 3 and p[2] == "resources" and method == "GET":
            return Route("Resources_List", "reads", self.list_resources, ("1", ""))
        if n == 3 and p[2] == "providers" and method == "GET":
            return Route("Providers_List", "reads", self.list_providers, ("1",))
        if n == 4 and p[2] == "providers" and method == "GET":
            return Route("Providers_Get", "reads", self.get_provider, ("1", "3"))
        if n == 5 and p[2] == "providers" and p[4] == "register" and method == "POST":
            return Route("Providers_Register", "writes", self.register_provider, ("1", "3"))
        if n == 5 and p[2:] == ["providers", "microsoft.authorization", "locks"] and method == "GET":
            return Route("ManagementLocks_ListAtSubscriptionLevel", "reads", self.list_locks, ("1", ""))
        if n == 5 and p[2:] == ["providers", "microsoft.authorization", "permissions"] and method == "GET":
            return Route("Permissions_ListForSubscription", "reads", self.permissions, ("1",))
        if n == 4 and p[2] == "operationresults" and method == "GET":
            return Route("OperationResults_Get", "reads", self.poll, ("1", "3"))
        if n >= 4 and p[2] == "resourcegroups":
            if n == 4 and method in ("GET", "HEAD"):
                return Route("ResourceGroups_Get" if method == "GET" else "ResourceGroups_CheckExistence",
                             "reads", self.get_group, ("1", "3"))
            if n == 4 and method == "PUT":
                return Route("ResourceGroups_CreateOrUpdate", "writes", self.put_group, ("1", "3"))
            if n == 5 and p[4] == "resources" and method == "GET":
                return Route("Resources_ListByResourceGroup", "reads", self.list_resources, ("1", "3"))
            if n == 5 and p[4] in ("validatemoveresources", "moveresources") and method == "POST":
                kind = "validate" if p[4] == "validatemoveresources" else "move"
                name = "Resources_ValidateMoveResources" if kind == "validate" else "Resources_MoveResources"
                return Route(name, "writes", self.start_move, ("1", "3", kind))
            if n == 7 and p[4:] == ["providers", "microsoft.authorization", "locks"] and method == "GET":
                return Route("ManagementLocks_ListAtResourceGroupLevel", "reads", self.list_locks, ("1", "3"))
            if (n == 9 and p[4:6] == ["providers", "microsoft.operationalinsights"] and p[6] == "workspaces"
                    and p[8] == "linkedservices" and method == "GET"):
                return Route("LinkedServices_ListByWorkspace", "reads", self.list_linked_services, ("1", "3", "7"))
        return None

    # ------------------------------------------------------------------ lookups with ARM's answers

    def _sub(self, caller: Caller, subscription_id: str) -> Sub:
        sub = self.world.sub(subscription_id)
        if sub is None:
            raise ArmFailure(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")
        self.auth.usable(caller, sub)
        return sub

    def _group(self, sub: Sub, name: str) -> Group:
        group = sub.groups.get(name.lower())
        if group is None:
            raise ArmFailure(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return group

    def _page(self, request: web.Request, items: list[Any]) -> dict[str, Any]:
        top = request.query.get("$top")
        size = min(int(top), PAGE_SIZE) if top and top.isdigit() and int(top) > 0 else PAGE_SIZE
        offset = int(_decode_token(request.query["$skiptoken"]).get("o", 0)) if "$skiptoken" in request.query else 0
        body: dict[str, Any] = {"value": items[offset: offset + size]}
        if offset + size < len(items):
            query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
            query["$skiptoken"] = _encode_token({"o": offset + size})
            body["nextLink"] = str(request.url.with_query(query)).replace(
                f"{request.url.scheme}://{request.url.host}:{request.url.port}", self.base_url, 1)
        return body

    # ------------------------------------------------------------------ shapes

    def _subscription_body(self, sub: Sub) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{sub.id}", "authorizationSource": "RoleBased", "managedByTenants": [],
            "subscriptionId": sub.id, "tenantId": sub.tenant_id, "displayName": sub.display_name,
            "state": sub.state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": sub.quota_id,
                                     "spendingLimit": sub.spending_limit},
        }

    @staticmethod
    def _group_body(group: Group) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": group.id, "name": group.name, "type": "Microsoft.Resources/resourceGroups",
            "location": group.location,
            "properties": {"provisioningState": "Succeeded"},
        }
        if group.managed_by:
            body["managedBy"] = group.managed_by
        if group.tags:
            body["tags"] = group.tags
        return body

    @staticmethod
    def _resource_body(res: Res, expand: str) -> dict[str, Any]:
        body: dict[str, Any] = {"id": res.id, "name": res.name, "type": res.type}
        for key, value in (("kind", res.kind), ("sku", res.sku), ("plan", res.plan),
                           ("managedBy", res.managed_by), ("identity", res.identity)):
            if value:
                body[key] = value
        body["location"] = res.location
        if res.tags:
            body["tags"] = res.tags
        if "provisioningstate" in expand.lower():
            body["provisioningState"] = res.properties.get("provisioningState", "Succeeded")
        return body

    @staticmethod
    def _lock_body(scope: str, lock: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {"level": lock.get("level", "NotSpecified"), "owners": []}
        if lock.get("notes"):
            props["notes"] = lock["notes"]
        return {"properties": props, "id": f"{scope}/providers/Microsoft.Authorization/locks/{lock['name']}",
                "type": "Microsoft.Authorization/locks", "name": lock["name"]}

    def _namespaces(self, sub: Sub) -> dict[str, str]:
        """Every provider Azure lists: the sandbox's common ones and any a resource of this world uses."""
        names: dict[str, str] = {ns.lower(): ns for ns in self.facts.namespaces}
        for s in self.world.subscriptions.values():
            for res in self.world.resources(s):
                names.setdefault(res.type.split("/")[0].lower(), res.type.split("/")[0])
        for key, (ns, _) in sub.providers.items():
            names[key] = ns
        return names

    def _provider_body(self, sub: Sub, namespace: str) -> dict[str, Any]:
        prefix = namespace.lower() + "/"
        types = sorted({r.type.split("/", 1)[1] for r in self.world.resources(sub)
                        if r.type.lower().startswith(prefix)})
        return {
            "id": f"/subscriptions/{sub.id}/providers/{namespace}", "namespace": namespace,
            "registrationState": sub.provider_state(namespace), "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [{"resourceType": t, "locations": [], "apiVersions": []} for t in types],
        }

    # ------------------------------------------------------------------ handlers

    async def list_subscriptions(self, request: web.Request, caller: Caller) -> web.Response:
        subs = [self._subscription_body(s) for s in self.world.subscriptions.values() if self.auth.sees(caller, s)]
        return self._json({"value": subs, "count": {"type": "Total", "value": len(subs)}})

    async def get_subscription(self, request: web.Request, caller: Caller, sub_id: str) -> web.Response:
        return self._json(self._subscription_body(self._sub(caller, sub_id)))

    async def list_groups(self, request: web.Request, caller: Caller, sub_id: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        return self._json(self._page(request, [self._group_body(g) for g in sub.groups.values()]))

    async def get_group(self, request: web.Request, caller: Caller, sub_id: str, name: str) -> web.StreamResponse:
        group = self._group(self._sub(caller, sub_id), name)
        if request.method == "HEAD":
            return web.Response(status=204, headers=_headers())
        return self._json(self._group_body(group))

    async def put_group(self, request: web.Request, caller: Caller, sub_id: str, name: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        body = await _json_body(request)
        location = body.get("location") if isinstance(body, dict) else None
        if not isinstance(location, str) or not location:
            raise ArmFailure(400, "LocationRequired", "The location property is required for this definition.")
        if not re.fullmatch(r"[-\w._()]{1,90}", name) or name.endswith("."):
            raise ArmFailure(400, "InvalidResourceGroupName", f"The resource group name '{name}' is invalid.")
        group = sub.groups.get(name.lower())
        if group is not None:
            check_write_allowed(self.world, group)
            if group.location.lower() != location.lower():
                raise ArmFailure(409, "InvalidResourceGroupLocation",
                                 f"Invalid resource group location '{location}'. The Resource group already "
                                 f"exists in location '{group.location}'.")
            if "tags" in body:
                group.tags = dict(body.get("tags") or {})
            status = 200
        else:
            if any(str(lock.get("level", "")).lower() == "readonly" for lock in sub.locks):
                raise ArmFailure(409, "ScopeLocked",
                                 f"The scope '/subscriptions/{sub.id}/resourceGroups/{name}' cannot perform write "
                                 f"operation because following scope(s) are locked: '/subscriptions/{sub.id}'. "
                                 "Please remove the lock and try again.")
            group = Group(sub.id, name, location, dict(body.get("tags") or {}), managed_by=body.get("managedBy"))
            sub.groups[name.lower()] = group
            status = 201
        self._dirty = True
        return self._json(self._group_body(group), status)

    async def list_resources(self, request: web.Request, caller: Caller, sub_id: str, group: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        items = (list(self._group(sub, group).resources.values()) if group else list(self.world.resources(sub)))
        if "$filter" in request.query:
            items = _filter(items, request.query["$filter"])
        expand = request.query.get("$expand", "")
        return self._json(self._page(request, [self._resource_body(r, expand) for r in items]))

    async def list_linked_services(self, request: web.Request, caller: Caller, sub_id: str, group: str,
                                   workspace: str) -> web.Response:
        g = self._group(self._sub(caller, sub_id), group)
        prefix = f"{g.id}/providers/Microsoft.OperationalInsights/workspaces/{workspace}".lower()
        if prefix not in g.resources:
            raise ArmFailure(404, "ResourceNotFound", f"The Resource 'Microsoft.OperationalInsights/workspaces/"
                                                      f"{workspace}' under resource group '{g.name}' was not found.")
        links = [r for key, r in g.resources.items() if key.startswith(prefix + "/linkedservices/")]
        return self._json({"value": [{"id": r.id, "name": r.name, "type": r.type,
                                      "properties": r.properties} for r in links]})

    async def list_locks(self, request: web.Request, caller: Caller, sub_id: str, group: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        out = [] if group else [self._lock_body(f"/subscriptions/{sub.id}", lock) for lock in sub.locks]
        groups = [self._group(sub, group)] if group else list(sub.groups.values())
        for g in groups:
            out += [self._lock_body(g.id, lock) for lock in g.locks]
            for res in g.resources.values():
                out += [self._lock_body(res.id, lock) for lock in res.locks]
        return self._json(self._page(request, out))

    async def list_providers(self, request: web.Request, caller: Caller, sub_id: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        names = sorted(self._namespaces(sub).values(), key=str.lower)
        return self._json(self._page(request, [self._provider_body(sub, ns) for ns in names]))

    async def get_provider(self, request: web.Request, caller: Caller, sub_id: str, ns: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        return self._json(self._provider_body(sub, self._namespaces(sub).get(ns.lower(), ns)))

    async def register_provider(self, request: web.Request, caller: Caller, sub_id: str, ns: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        name = self._namespaces(sub).get(ns.lower(), ns)
        sub.providers[ns.lower()] = (name, "Registered")
        self._dirty = True
        return self._json(self._provider_body(sub, name))

    async def start_move(self, request: web.Request, caller: Caller, sub_id: str, group_name: str,
                         kind: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        source = self._group(sub, group_name)
        body = await _json_body(request)
        target, ids = front_door(self.world, sub.id, source, body, visible_tenant=sub.tenant_id)
        took = self.move_seconds if kind == "move" and self.move_seconds is not None else self.lro_seconds
        op = self.world.new_operation(kind, sub.id, source, target.id, ids, time.time() + took)
        if kind == "move":
            source.moving = target.moving = op.id
            self._moves["started"] += 1
        self._dirty = True
        return self._accepted(sub.id, op.id, request.query["api-version"])

    def _accepted(self, sub_id: str, op_id: str, api_version: str) -> web.Response:
        location = (f"{self.base_url}/subscriptions/{sub_id}/operationresults/{_encode_token({'jobId': op_id})}"
                    f"?api-version={api_version}")
        extra = {"Location": location, "retry-after-ms": str(int(self.poll_interval * 1000))}
        if self.poll_interval >= 1:
            # azure-core prefers Retry-After over retry-after-ms, so it is only sent in whole seconds.
            extra["Retry-After"] = str(math.ceil(self.poll_interval))
        return web.Response(status=202, headers=_headers(extra))

    async def poll(self, request: web.Request, caller: Caller, sub_id: str, opaque: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        op = self.world.operations.get(str(_decode_token(opaque).get("jobId")))
        if op is None or op.subscription_id.lower() != sub.id.lower():
            raise ArmFailure(404, "OperationNotFound", f"The operation '{opaque}' could not be found.")
        if not op.done:
            return self._accepted(sub.id, op.id, request.query["api-version"])
        if op.body is None:
            return web.Response(status=op.status or 204, headers=_headers())
        return self._json(op.body, op.status or 500)

    async def graph_query(self, request: web.Request, caller: Caller) -> web.Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ArmFailure(400, "BadRequest", "The request body must contain a 'query' string.")
        try:
            query = graph.parse(body["query"])
        except graph.QueryError as exc:
            return self._json(graph.error_body(str(exc)), 400)
        wanted = {s.lower() for s in body.get("subscriptions") or []}
        subs = [s for s in self.world.subscriptions.values()
                if self._readable(caller, s) and (not wanted or s.id.lower() in wanted)]
        result = self._graph_result(body["query"], query, subs)
        options = body.get("options") or {}
        top = min(int(options.get("$top") or 100), 1000)
        if query.limit is not None:
            page, token, truncated = result[:top], None, "true"
        else:
            offset = int(_decode_token(options["$skipToken"]).get("o", 0)) if options.get("$skipToken") else 0
            offset += int(options.get("$skip") or 0)
            page = result[offset: offset + top]
            token = _encode_token({"o": offset + top}) if offset + top < len(result) else None
            truncated = "false"
        if options.get("resultFormat") == "table":
            return self._json(graph.error_body("resultFormat 'table' is not supported, use 'objectArray'"), 400)
        out: dict[str, Any] = {"totalRecords": len(result), "count": len(page), "resultTruncated": truncated,
                               "facets": [], "data": page}
        if token:
            out["$skipToken"] = token
        return self._json(out)

    def _readable(self, caller: Caller, sub: Sub) -> bool:
        """Resource Graph answers from the subscriptions the caller may read, and leaves out the others."""
        if not self.auth.sees(caller, sub):
            return False
        try:
            self.auth.authorize(caller, sub, GRAPH_READ, f"/subscriptions/{sub.id}")
        except ArmFailure:
            return False
        return True

    async def permissions(self, request: web.Request, caller: Caller, sub_id: str) -> web.Response:
        sub = self._sub(caller, sub_id)
        return self._json({"value": self.auth.permissions(caller, sub)})

    def _graph_result(self, text: str, query: graph.Query, subs: list[Sub]) -> list[dict[str, Any]]:
        key = (text, tuple(s.id.lower() for s in subs))
        cached = self._graph_cache.get(key)
        if cached is not None and cached[0] == self._generation:
            self._graph_cache.move_to_end(key)
            return cached[1]
        rows = [_graph_row(r, s.tenant_id) for s in subs for r in self.world.resources(s)
                if in_table(r.type, query.table)]
        result = graph.run(query, rows)
        self._graph_cache[key] = (self._generation, result)
        while len(self._graph_cache) > _GRAPH_CACHE_SIZE:
            self._graph_cache.popitem(last=False)
        return result

    # ------------------------------------------------------------------ non-ARM endpoints

    async def _admin(self, request: web.Request, p: list[str]) -> web.Response:
        if request.remote not in ("127.0.0.1", "::1"):
            return web.json_response({"error": "the admin endpoint answers loopback callers only"}, status=403)
        if p == ["stats"] and request.method == "GET":
            return web.json_response(self.stats())
        if p == ["faults"] and request.method == "GET":
            return web.json_response(self.admin_config())
        if p == ["faults"] and request.method == "POST":
            try:
                self.apply_admin_config(await request.json())
            except (ValueError, TypeError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return web.json_response(self.admin_config())
        if p == ["reset"] and request.method == "POST":
            self.reset_stats()
            return web.json_response(self.stats())
        if p == ["state"] and request.method == "GET":
            self._settle()
            return web.json_response(self.world.to_scenario())
        return web.json_response({"error": "unknown admin endpoint"}, status=404)


class _Throttled(ArmFailure):
    def __init__(self, status: int, code: str, message: str, wait: float,
                 extra: dict[str, str] | None = None, *, retry_after: bool = True) -> None:
        super().__init__(status, code, message)
        timing = {"Retry-After": _fmt_seconds(wait), "retry-after-ms": str(max(1, math.ceil(wait * 1000)))}
        self.headers = {**(timing if retry_after else {}), **(extra or {})}


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArmFailure(400, "InvalidRequestContent", "The request content was invalid and could not be "
                         f"deserialized: '{exc}'.") from exc


_FILTER = re.compile(r"^\s*(resourceType|resourceGroup|name|location)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def _filter(items: list[Res], expression: str) -> list[Res]:
    """`<field> eq '<value>'` clauses joined by `and` (the subset of Resources_List $filter served)."""
    out = items
    for clause in re.split(r"\s+and\s+", expression, flags=re.IGNORECASE):
        m = _FILTER.match(clause)
        if not m:
            raise ArmFailure(400, "InvalidFilterInQueryString",
                             f"Invalid $filter '{expression}'; the sandbox supports resourceType, resourceGroup, "
                             "name and location with 'eq', joined by 'and'.")
        field, value = m[1].lower(), m[2].lower()
        attr = {"resourcetype": "type", "resourcegroup": "group"}.get(field, field)
        out = [r for r in out if str(getattr(r, attr)).lower() == value]
    return out


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


def _graph_row(res: Res, tenant_id: str) -> dict[str, Any]:
    # Resource Graph lower-cases type, resourceGroup and location, and keeps the id as stored.
    return {
        "id": res.id, "name": res.name, "type": res.type.lower(), "tenantId": tenant_id, "kind": res.kind or "",
        "location": res.location.lower(), "resourceGroup": res.group.lower(),
        "subscriptionId": res.subscription_id, "managedBy": res.managed_by or "", "sku": res.sku, "plan": res.plan,
        "properties": res.properties, "tags": res.tags or None, "identity": res.identity, "zones": res.zones or None,
        "extendedLocation": None,
    }


# --------------------------------------------------------------------------- lifecycle


@dataclass(frozen=True, slots=True)
class Sandbox:
    """A running sandbox. `url` is its base URL, `ca_path` the CA PEM to trust."""

    url: str
    ca_path: Path
    server: ArmSandbox

    def stats(self) -> dict[str, Any]:
        return self.server.stats()

    def reset_stats(self) -> None:
        self.server.reset_stats()

    def set_faults(self, faults: FaultConfig | None = None, **changes: Any) -> FaultConfig:
        return self.server.set_faults(faults, **changes)

    def set_throttle(self, enabled: bool) -> None:
        self.server.throttle.enabled = enabled

    @property
    def world(self) -> World:
        return self.server.world

    def set_lro_seconds(self, seconds: float) -> None:
        self.server.lro_seconds = seconds

    def set_move_seconds(self, seconds: float | None) -> None:
        """How long each moveResources job takes from now on (None: as long as a validation)."""
        self.server.move_seconds = seconds

    @property
    def identity_endpoint(self) -> str:
        """IDENTITY_ENDPOINT for azure-identity's ManagedIdentityCredential (App Service style)."""
        return f"{self.url}/msi/token"

    @property
    def identity_header(self) -> str:
        """IDENTITY_HEADER: the secret the managed identity endpoint wants."""
        return self.server.entra.identity_header


@contextlib.asynccontextmanager
async def start_sandbox(
    scenario: str | Path | dict[str, Any] = "contoso", *, host: str = "127.0.0.1", port: int = 0,
    state_dir: Path | None = None, throttle: bool = True, faults: FaultConfig | None = None,
    lro_seconds: float = 2.0, poll_interval: float = 0.1, seed: int = 0, generate: str | None = None,
    move_seconds: float | None = None,
) -> AsyncIterator[Sandbox]:
    """Serve an ARM sandbox on this event loop until the block exits.

    With `state_dir`, the CA and the state survive restarts: an existing state.json there wins over
    `scenario`, and every write is saved to it.
    """
    with contextlib.ExitStack() as stack:
        directory = Path(state_dir) if state_dir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        state_file = directory / STATE_FILE if state_dir else None
        if state_file is not None and state_file.exists():
            data = load_scenario(state_file)
        elif generate:
            from sandbox.generate import generate_scenario

            data = generate_scenario(generate, seed=seed)
        else:
            data = load_scenario(scenario)
        world = World(data)
        ssl_ctx, ca_path = server_ssl_context(directory, host)
        arm = ArmSandbox(world, throttle=throttle, faults=faults, lro_seconds=lro_seconds,
                         poll_interval=poll_interval, seed=seed, state_file=state_file,
                         signing_key=load_or_create_signing_key(directory), move_seconds=move_seconds)
        if state_file is not None and not state_file.exists():
            world.save(state_file)
        runner = web.AppRunner(arm.app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_ctx)
        await site.start()
        try:
            bound = runner.addresses[0][1]
            shown = f"[{host}]" if ":" in host else host
            arm.base_url = f"https://{shown}:{bound}"
            yield Sandbox(arm.base_url, ca_path, arm)
        finally:
            await runner.cleanup()
