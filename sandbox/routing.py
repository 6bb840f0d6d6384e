"""Declared routes and the one router that matches them, on the raw path as ARM does.

An API module declares each route once, on its handler (`sandbox.api`):

    @route("PUT", "/subscriptions/{subscription}/resourceGroups/{group}", "ResourceGroups_CreateOrUpdate",
           action="Microsoft.Resources/subscriptions/resourceGroups/write", within=Within.GROUP, body=Body.REQUIRED)
    async def put_group(self, request, caller, *, subscription, group, body): ...

A path is split on `/` as it arrived, before any percent-decoding, so a `%2F` inside a segment never acts
as a separator; each segment is then decoded for its value only, and empty segments (a `//`, as the SDKs
send for an empty parent resource path) are dropped. Literal segments match case-insensitively (ARM is
case-insensitive), `{name}` binds one segment, and a leading `{scope}` binds a subscription
(`subscriptions/{id}`), resource group (4 segments) or resource (8 or more) before the rest of the template:
the rest is matched at the end of the path, so a resource scope's own `providers` segment stays in the scope.
A segment holding an encoded `/` matches nothing (no ARM name holds one), so such a path is not served.
Two routes that could match one request are refused when the router is built (`RouteConflict`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import quote, unquote

ROUTES_ATTRIBUTE = "__sandbox_routes__"
SCOPE = "scope"  # the one placeholder that binds several segments
_PLACEHOLDER = re.compile(r"^\{([a-z][A-Za-z]*)\}$")


class Kind(Enum):
    """Which throttle bucket a request spends (the keys of the stats' counters)."""

    READ = "reads"
    WRITE = "writes"
    GRAPH = "graph"


class Within(Enum):
    """The scope on which a route's action is authorized."""

    TENANT = "tenant"  # the path names no subscription: nothing is authorized before the handler
    SUBSCRIPTION = "subscription"
    GROUP = "group"
    RESOURCE = "resource"  # the top-level resource the path names (its first 8 segments)
    TARGET = "target"  # all the path names (a child resource)
    SCOPE = "scope"  # the {scope} the path names


class Body(Enum):
    """What a route does with the request's content (`sandbox.api.read_body`)."""

    NONE = "none"  # any content is ignored
    REQUIRED = "required"  # a JSON object
    OPTIONAL = "optional"  # a JSON object, or no content at all ({})


class RouteConflict(ValueError):
    """Two declared routes would match the same request."""


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One declared route: what a request looks like and what serving it means."""

    method: str
    template: str
    operation: str  # the spec's operationId: the key in the stats' by_operation
    kind: Kind
    action: str | None  # the Azure action authorized, may name placeholders; None: any caller the subscription lets in
    within: Within
    body: Body
    pattern: tuple[str | None, ...] = field(init=False)  # lower-case literals, None for a one-segment placeholder
    names: tuple[str, ...] = field(init=False)  # the placeholders, in order
    scoped: bool = field(init=False)  # starts with {scope}

    def __post_init__(self) -> None:
        raw = [s for s in self.template.split("/") if s]
        pattern: list[str | None] = []
        names: list[str] = []
        for i, segment in enumerate(raw):
            placeholder = _PLACEHOLDER.match(segment)
            if placeholder is None:
                pattern.append(segment.lower())
                continue
            name = placeholder[1]
            if name in names or (name == SCOPE and i != 0):
                raise ValueError(f"{self.template}: {{{name}}} twice, or {{scope}} not first")
            names.append(name)
            if name != SCOPE:
                pattern.append(None)
        scoped = SCOPE in names
        object.__setattr__(self, "pattern", tuple(pattern))
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "scoped", scoped)
        named = set(names) | ({"subscription"} if scoped else set())  # a scope names its subscription
        needs = {Within.TENANT: set(), Within.SUBSCRIPTION: {"subscription"}, Within.SCOPE: {SCOPE}}.get(
            self.within, {"subscription", "group"})
        if not needs <= named:
            raise ValueError(f"{self.template}: its path does not name the {self.within.value} to authorize on")

    def shape(self, length: int) -> tuple[str | None, ...] | None:
        """The literals and placeholders of a path of `length` segments this route matches (None: none)."""
        if not self.scoped:
            return self.pattern if len(self.pattern) == length else None
        scope = scope_shape(length - len(self.pattern))
        return None if scope is None else scope + self.pattern

    def fill(self, value: Callable[[str], str]) -> str:
        """A path of this route, with `value(name)` for each placeholder (a scope's value is a path)."""
        out = []
        for segment in (s for s in self.template.split("/") if s):
            placeholder = _PLACEHOLDER.match(segment)
            if placeholder is None:
                out.append(segment)
            elif placeholder[1] == SCOPE:
                out.append(value(SCOPE).strip("/"))
            else:
                out.append(quote(value(placeholder[1]), safe=""))
        return "/" + "/".join(out)

    def __str__(self) -> str:
        return f"{self.method} {self.template} ({self.operation})"


def scope_shape(length: int) -> tuple[str | None, ...] | None:
    """A subscription, resource group or resource scope of `length` segments (None: no scope is that long)."""
    if length == 2:
        return ("subscriptions", None)
    if length == 4:
        return ("subscriptions", None, "resourcegroups", None)
    if length >= 8:
        return ("subscriptions", None, "resourcegroups", None, "providers") + (None,) * (length - 5)
    return None


def route(method: str, template: str, operation: str, *, action: str | None, within: Within = Within.SUBSCRIPTION,
          kind: Kind | None = None, body: Body = Body.NONE) -> Callable[[Any], Any]:
    """Declare that the decorated handler serves `method template` as `operation` (stackable). A read unless
    the method writes; `action` is authorized on the scope `within` names before the handler runs."""
    spec = RouteSpec(method, template, operation, kind or (Kind.READ if method in ("GET", "HEAD") else Kind.WRITE),
                     action, within, body)

    def declare(handler: Any) -> Any:
        setattr(handler, ROUTES_ATTRIBUTE, (*getattr(handler, ROUTES_ATTRIBUTE, ()), spec))
        return handler

    return declare


Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    spec: RouteSpec
    handler: Handler  # (request, caller, **placeholders[, body]) -> web.StreamResponse


@dataclass(frozen=True, slots=True)
class Match:
    """A request's route and what its path bound: placeholders (decoded) and, for `{scope}`, its segments."""

    route: Route
    segments: tuple[str, ...]
    values: dict[str, str]
    scope: tuple[str, ...] | None

    @property
    def subscription_id(self) -> str | None:
        """The subscription the path is in (None: a tenant-level path)."""
        return self.scope[1] if self.scope is not None else self.values.get("subscription")

    @property
    def authorization_scope(self) -> str:
        within = self.route.spec.within
        if within is Within.SCOPE and self.scope is not None:
            return "/" + "/".join(self.scope)
        if within is Within.GROUP:
            return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.values['group']}"
        if within is Within.RESOURCE:
            return "/" + "/".join(self.segments[:8])
        if within is Within.TARGET:
            return "/" + "/".join(self.segments)
        return f"/subscriptions/{self.subscription_id}"

    @property
    def action(self) -> str | None:
        action = self.route.spec.action
        return action.format_map(self.values) if action else action

    def arguments(self) -> dict[str, Any]:
        """The handler's keyword arguments the path supplies."""
        return {**self.values, **({SCOPE: self.scope} if self.scope is not None else {})}


def path_segments(raw_path: str) -> tuple[str, ...]:
    """The segments of a request target as sent: split on `/` first, then each one percent-decoded."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    return tuple(unquote(segment) for segment in path.split("/") if segment)


class Router:
    """Finds the one declared route a request matches."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        _refuse_overlaps([r.spec for r in self.routes])
        self._fixed: dict[tuple[str, int], list[Route]] = {}
        self._scoped: dict[str, list[Route]] = {}
        for r in self.routes:
            if r.spec.scoped:
                self._scoped.setdefault(r.spec.method, []).append(r)
            else:
                self._fixed.setdefault((r.spec.method, len(r.spec.pattern)), []).append(r)

    def match(self, method: str, segments: tuple[str, ...]) -> Match | None:
        if any("/" in s for s in segments):
            return None  # an encoded `/` is no separator, and no ARM name or literal holds one
        low = [s.lower() for s in segments]
        for r in (*self._fixed.get((method, len(segments)), ()), *self._scoped.get(method, ())):
            shape = r.spec.shape(len(segments))
            if shape is None or any(literal is not None and literal != s for literal, s in zip(shape, low,
                                                                                              strict=True)):
                continue
            scope_length = len(segments) - len(r.spec.pattern) if r.spec.scoped else 0
            rest = segments[scope_length:]
            names = iter(n for n in r.spec.names if n != SCOPE)
            values = {next(names): value for literal, value in zip(r.spec.pattern, rest, strict=True)
                      if literal is None}
            return Match(r, segments, values, segments[:scope_length] if r.spec.scoped else None)
        return None


def _refuse_overlaps(specs: list[RouteSpec]) -> None:
    """Any two routes of one method whose shapes agree at some path length would both match that path."""
    longest = 8 + 2 * max((len(s.pattern) for s in specs), default=0)  # past this, scopes only add wildcards
    by_length: dict[tuple[str, int], list[tuple[RouteSpec, tuple[str | None, ...]]]] = {}
    for spec in specs:
        for length in range(1, longest + 1):
            shape = spec.shape(length)
            if shape is not None:
                by_length.setdefault((spec.method, length), []).append((spec, shape))
    for shapes in by_length.values():
        for i, (first, a) in enumerate(shapes):
            for second, b in shapes[i + 1:]:
                if all(x is None or y is None or x == y for x, y in zip(a, b, strict=True)):
                    example = "/" + "/".join(x or y or "x" for x, y in zip(a, b, strict=True))
                    raise RouteConflict(f"{first} and {second} would both match {first.method} {example}")
