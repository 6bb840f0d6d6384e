"""The ARM sandbox's HTTPS server: one router over the routes the API modules declare, and the pipeline every
ARM request goes through (count, fault, authenticate, authorize, charge, read the body, handle, save). The
admin endpoint is `sandbox.admin`, Entra's endpoints `sandbox.entra`, who may do what `sandbox.auth`."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.admin import answer_admin
from sandbox.aliases import AliasApi, settle_aliases
from sandbox.answers import failure_answer, json_answer
from sandbox.api import ArmApi, Runtime, Timing, read_body
from sandbox.appnetwork import AppNetworkApi
from sandbox.auth import ArmAuth
from sandbox.billing import BillingApi
from sandbox.budgets import BudgetApi
from sandbox.compute import ComputeApi
from sandbox.defender import DefenderApi
from sandbox.diagnostics import DiagnosticSettingsApi
from sandbox.entra import Entra, load_or_create_signing_key
from sandbox.errors import ArmFailure, error_body
from sandbox.faults import DROP_ANSWER, FaultConfig, FaultInjector, drop
from sandbox.features import FeatureApi
from sandbox.jobs import JobsApi
from sandbox.locks import LockApi
from sandbox.movability import load_facts
from sandbox.moveapi import MoveApi
from sandbox.moves import finish
from sandbox.msgraph import MicrosoftGraph
from sandbox.network import NetworkApi
from sandbox.permissions import PermissionApi
from sandbox.providers import ProviderApi
from sandbox.rbac import RbacApi
from sandbox.resource_diagnostics import ResourceDiagnosticSettingsApi
from sandbox.resourcegraph import ResourceGraphApi
from sandbox.resources import ResourceApi
from sandbox.routing import Kind, Match, Router, path_segments
from sandbox.state import World, load_scenario
from sandbox.stats import Stats
from sandbox.subnets import SubnetApi
from sandbox.subscriptions import SubscriptionApi
from sandbox.tags import TagsApi
from sandbox.throttle import Throttle, Throttled, charge
from sandbox.tls import server_ssl_context
from sandbox.usages import UsageApi

STATE_FILE = "state.json"
API_MODULES: tuple[type[ArmApi], ...] = (
    SubscriptionApi, ProviderApi, MoveApi, ResourceGraphApi, PermissionApi, LockApi, RbacApi, NetworkApi, SubnetApi,
    ComputeApi, JobsApi, AppNetworkApi, ResourceApi, TagsApi, BudgetApi, BillingApi, AliasApi, UsageApi,
    FeatureApi, DiagnosticSettingsApi, DefenderApi, ResourceDiagnosticSettingsApi,
)


class ArmSandbox:
    def __init__(self, world: World, *, base_url: str = "", throttle: bool = True,
                 faults: FaultConfig | None = None, lro_seconds: float = 2.0, poll_interval: float = 0.1,
                 seed: int = 0, state_file: Path | None = None, signing_key: Any = None,
                 move_seconds: float | None = None, apis: Sequence[type[ArmApi]] = API_MODULES) -> None:
        """Raises `RouteConflict` when two routes of `apis` would match the same request."""
        self.world = world
        self.entra = Entra(world, signing_key or load_or_create_signing_key(None))
        self.auth = ArmAuth(world, self.entra)
        self.graph = MicrosoftGraph(world, self.entra)
        self.throttle = Throttle(enabled=throttle)
        self._stats = Stats()
        self._faults = FaultInjector(faults or FaultConfig(), seed=seed, stats=self._stats)
        self.runtime = Runtime(world, auth=self.auth, facts=load_facts(), stats=self._stats,
                               timing=Timing(lro_seconds, move_seconds, poll_interval))
        self.router = Router(r for api in apis for r in api(self.runtime).routes())
        self.state_file = state_file
        self.base_url = base_url

    @property
    def base_url(self) -> str:
        return self.runtime.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.runtime.base_url = value
        self.entra.base_url = value  # Entra's endpoints are served from the same address

    # ------------------------------------------------------------------ settings, counters, admin

    @property
    def faults(self) -> FaultConfig:
        return self._faults.config

    def set_timing(self, **changes: Any) -> None:
        """`lro_seconds`, `move_seconds` (None: as long as a validation) and `poll_interval`, from now on."""
        self.runtime.timing = replace(self.runtime.timing, **changes)

    def reset_stats(self) -> None:
        """Zero the counters and refill the token buckets."""
        self._stats.reset()
        self._faults.reset()
        self.throttle.reset()

    def stats(self) -> dict[str, Any]:
        return self._stats.to_json()

    def set_faults(self, faults: FaultConfig | None = None, **changes: Any) -> FaultConfig:
        self._faults.configure(FaultConfig.from_json(changes, faults or self.faults))
        return self.faults

    def admin_config(self) -> dict[str, Any]:
        return {**self.faults.to_json(), "throttle": self.throttle.enabled, **asdict(self.runtime.timing)}

    def apply_admin_config(self, data: dict[str, Any]) -> None:
        data = dict(data)
        if "throttle" in data:
            self.throttle.enabled = bool(data.pop("throttle"))
        timing = {name: float(data.pop(name)) for name in ("lro_seconds", "poll_interval") if name in data}
        if "move_seconds" in data:
            value = data.pop("move_seconds")
            timing["move_seconds"] = None if value is None else float(value)
        faults = FaultConfig.from_json(data, self.faults)  # unknown fields are refused before timings change
        self.set_timing(**timing)
        self.set_faults(faults)

    def state(self) -> dict[str, Any]:
        """The whole world in scenario format, running jobs included."""
        self._settle()
        return self.world.to_scenario()

    def invalidate(self) -> None:
        """Forget derived data (Resource Graph results). Call after changing `world` directly."""
        self.runtime.invalidate()

    # ------------------------------------------------------------------ serving

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        # The raw path, as ARM reads it: aiohttp's `request.path` would turn a `%2F` into a separator.
        segments = path_segments(request.raw_path)
        if segments[:1] and segments[0].lower() == "_sandbox":
            return await answer_admin(request, [s.lower() for s in segments[1:]], self)
        entra = await self.entra.dispatch(request, list(segments))
        if entra is not None:
            return entra
        graph = await self.graph.dispatch(request, list(segments))
        if graph is not None:
            return graph
        match = self.router.match(request.method, segments)
        if match is None:
            code = "InvalidResourceType" if request.method == "GET" else "NoRegisteredProviderFound"
            path = request.raw_path.split("?", 1)[0]
            return json_answer(error_body(code, f"The sandbox does not serve {request.method} {path}."), 404)
        return await self._serve(request, match)

    async def _serve(self, request: web.Request, match: Match) -> web.StreamResponse:
        spec = match.route.spec
        self._stats.received(spec)
        await self._faults.delay(spec.operation)
        if "api-version" not in request.query:
            return json_answer(error_body(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests."), 400)
        try:
            caller = self.auth.authenticate(request)
            self.auth.authorize_route(caller, match)
            self._settle()
            try:
                extra = charge(self.throttle, spec.kind, match.subscription_id, caller.token,
                               request.headers.get("x-ms-client-request-id"))
            except Throttled:
                self._stats.throttled(spec.operation)
                raise
            injected = self._faults.draw(spec.operation, request)
            if injected is not None:
                return injected
            body = await read_body(request, spec.body)
            given = {} if body is None else {"body": body}
            response = await match.route.handler(request, caller, **match.arguments(), **given)
        except ArmFailure as failure:
            response, extra = failure_answer(failure), failure.headers
        for key, value in extra.items():
            response.headers.setdefault(key, value)
        if spec.kind is Kind.WRITE:
            self.invalidate()  # the handler changed the world without awaiting since, so no query saw it
            if response.status < 400:
                # Carried out (a request whose client went away before its body arrived never gets here).
                self._stats.applied(spec.operation)
        if self.runtime.dirty:
            self._save()
        if request.get(DROP_ANSWER):
            drop(request)
        return response

    def _settle(self) -> None:
        """Finish every job whose time has come (lazily, so no background task is needed)."""
        now = time.time()
        for op in self.world.operations.values():
            if not op.done and op.due <= now:
                finish(self.world, self.runtime.facts, op, fail=op.kind == "move" and self._faults.job_fails())
                if op.kind == "move":
                    self._stats.move("succeeded" if op.status == 204 else "failed")
                self.runtime.changed()
                self.invalidate()
        if settle_aliases(self.world, now):
            self.runtime.changed()
            self.invalidate()

    def _save(self) -> None:
        self.runtime.dirty = False
        if self.state_file is not None:
            self.world.save(self.state_file)


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
        self.server.set_timing(lro_seconds=seconds)

    def set_move_seconds(self, seconds: float | None) -> None:
        """How long each moveResources job takes from now on (None: as long as a validation)."""
        self.server.set_timing(move_seconds=seconds)

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
