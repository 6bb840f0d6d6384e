"""The base of the sandbox's API modules, what they share (`Runtime`), and the one reader of request bodies.

An API module is a class deriving from `ArmApi` whose handlers declare their routes with `@route`
(`sandbox.routing`); `ArmSandbox` builds one router over the routes of every module. A handler is called
as `handler(request, caller, **placeholders)`, plus `body=` when its route takes a body. The body is read
here, once, with one behaviour: content that is not a JSON object gets ARM's 400 InvalidRequestContent
before the handler runs; a route that takes no body ignores whatever was sent.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.answers import json_answer, page
from sandbox.auth import ArmAuth, Caller
from sandbox.errors import ArmFailure
from sandbox.movability import MoveFacts
from sandbox.routing import ROUTES_ATTRIBUTE, Body, Route, RouteSpec
from sandbox.scopes import resource_of_type
from sandbox.state import Group, Res, Sub, World
from sandbox.stats import Stats

_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
               type(None): "null"}


@dataclass(frozen=True, slots=True)
class Timing:
    lro_seconds: float = 2.0  # how long a validate (and, by default, a move) job runs
    move_seconds: float | None = None  # how long a moveResources job runs; None: as long as a validation
    poll_interval: float = 0.1  # announced on every 202


class Runtime:
    """What the API modules share: the world and the sandbox's own facts, who callers are, the job timings,
    the counters and the sandbox's address. `changed()` after a write has the world saved."""

    def __init__(self, world: World, *, auth: ArmAuth, facts: MoveFacts, timing: Timing, stats: Stats) -> None:
        self.world = world
        self.auth = auth
        self.facts = facts
        self.timing = timing
        self.stats = stats
        self.base_url = ""
        self.dirty = False
        self.generation = 0  # bumped whenever the world may have changed (derived data is stale)

    def changed(self) -> None:
        self.dirty = True

    def invalidate(self) -> None:
        self.generation += 1


class ArmApi:
    """An API module: its routes are its handlers decorated with `@route`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.world = runtime.world

    def answer(self, body: Any, status: int = 200, extra: dict[str, str] | None = None) -> web.Response:
        """A JSON answer with ARM's headers."""
        return json_answer(body, status, extra)

    def changed(self) -> None:
        self.runtime.changed()

    def page(self, request: web.Request, items: list[Any]) -> dict[str, Any]:
        return page(request, items, self.runtime.base_url)

    def find_subscription(self, caller: Caller, subscription_id: str) -> Sub:
        """The subscription, if the caller's token may be used for it (ARM's 404 and 401 otherwise)."""
        sub = self.world.sub(subscription_id)
        if sub is None:
            raise ArmFailure(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")
        self.runtime.auth.usable(caller, sub)
        return sub

    @staticmethod
    def find_group(sub: Sub, name: str) -> Group:
        group = sub.groups.get(name.lower())
        if group is None:
            raise ArmFailure(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return group

    def resource(self, subscription: str, group: str, type_: str, name: str) -> tuple[Group, Res]:
        """The resource of `type_` a path names, and its group (Azure's 404 when there is none)."""
        return resource_of_type(self.world, resource_path(subscription, group, type_, name), type_.lower())

    @classmethod
    def declared(cls) -> list[tuple[str, RouteSpec]]:
        """(handler name, route) for every route the module declares."""
        return [(name, spec) for name in dir(cls) for spec in getattr(getattr(cls, name), ROUTES_ATTRIBUTE, ())]

    def routes(self) -> list[Route]:
        out = []
        for name, spec in self.declared():
            handler = getattr(self, name)
            _check_parameters(spec, handler)
            out.append(Route(spec, handler))
        return out


def resource_path(subscription: str, group: str, type_: str, *names: str) -> str:
    """The id of the resource of `type_` (`Namespace/type[/childType...]`) named `names`, one per level."""
    namespace, *types = type_.split("/")
    levels = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{namespace}/{levels}"


def _check_parameters(spec: RouteSpec, handler: Any) -> None:
    """A handler takes, as keywords, exactly the placeholders of its routes (and `body` when they take one)."""
    parameters = inspect.signature(handler).parameters.values()
    keywords = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY}
    wanted = set(spec.names) | ({"body"} if spec.body is not Body.NONE else set())
    if keywords != wanted:
        raise TypeError(f"{handler.__qualname__} takes {sorted(keywords)}; {spec} supplies {sorted(wanted)}")


def member(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The JSON object at `key` of a body ({} when it is absent or not an object)."""
    value = body.get(key)
    return value if isinstance(value, dict) else {}


async def read_body(request: web.Request, body: Body) -> dict[str, Any] | None:
    """The request's JSON object for a route that takes a body (None for one that does not)."""
    if body is Body.NONE:
        return None
    raw = await request.read()
    if not raw.strip():
        if body is Body.OPTIONAL:
            return {}
        raise _invalid("the request has no content")
    try:
        value = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes that are no text
        raise _invalid(str(exc)) from exc
    if not isinstance(value, dict):
        raise _invalid(f"a JSON object was expected, not {_JSON_TYPES.get(type(value), 'a value')}")
    return value


def _invalid(reason: str) -> ArmFailure:
    return ArmFailure(400, "InvalidRequestContent",
                      f"The request content was invalid and could not be deserialized: '{reason}'.")
