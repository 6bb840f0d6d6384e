"""Composition root: read settings, build the store, Azure gateway, adapter and bot; serve them.

`create_app(settings)` returns the aiohttp application; `main()` runs it. Nothing else lives here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from aiohttp import web
from botbuilder.core import ConversationState

from bot.access import AccessPolicy
from bot.adapter import create_adapter, messages_handler
from bot.approvals import Approvals
from bot.handler import MigrationBot, Routes
from bot.notifier import Notifier
from bot.proactive import Proactive
from bot.state_storage import DocumentBotStorage
from dialogs.flows import ChatFlows, FlowDeps
from dialogs.move import MoveFlow
from migration.assessment.catalog import load_catalog
from migration.azure.gateway import create_gateway
from migration.azure.permissions import AccessIdentity
from migration.azure.ports import AzureGateway
from migration.execution.runner import MoveRunner, RunnerConfig
from migration.execution.workflow import Workflow
from migration.model.store import DocumentStore
from sandbox import start_sandbox
from sandbox.tls import CA_FILE
from settings import Settings, SettingsError, load_settings
from storage import open_store
from storage.reports import ReportLinks
from telemetry import MoveCounters, configure_telemetry, traced_turns
from workers.assessment import AssessmentWorkers, WorkerSettings

log = logging.getLogger("cspbot")

STORE = web.AppKey("store", DocumentStore)
BOT = web.AppKey("bot", MigrationBot)
SETTINGS = web.AppKey("settings", Settings)


@dataclass(frozen=True, slots=True)
class MoveParts:
    workflow: Workflow
    notifier: Notifier
    runner: MoveRunner
    approvals: Approvals


GATEWAY = web.AppKey("gateway", AzureGateway)
MOVES = web.AppKey("moves", MoveParts)
SANDBOX_URL = web.AppKey("sandbox_url", str)


def _version() -> str:
    try:
        return metadata.version("csp-migration-bot")
    except metadata.PackageNotFoundError:
        return "0.1.0"


VERSION = _version()


async def _healthz(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        await asyncio.wait_for(store.get("health", "ping"), timeout=5)
        storage_ok = True
    except Exception:  # noqa: BLE001 - any failure means "not reachable" for the probe
        storage_ok = False
    body = {
        "version": VERSION,
        "storage": "reachable" if storage_ok else "unreachable",
        "sandbox": request.app[SETTINGS].embedded_sandbox,
    }
    return web.json_response(body, status=200 if storage_ok else 503)


def _report_download(reports: ReportLinks) -> Any:
    """GET /reports/{token}.csv|.json|.md: an assessment export or a move report behind an unguessable,
    expiring link."""

    async def download(request: web.Request) -> web.Response:
        token, _, fmt = request.match_info["name"].rpartition(".")
        report = await reports.resolve(token, fmt)
        if report is None:
            return web.Response(
                status=404, text="This report link is unknown or has expired. For a fresh one, run the assessment "
                "again, or type `report <request id>` to the bot for a move's report.\n"
            )
        return web.Response(
            body=report.content.encode("utf-8"),
            headers={
                "Content-Type": report.media_type,
                "Content-Disposition": f'attachment; filename="{report.filename}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return download


def _sandbox_port(directory: Path) -> int:
    """The embedded sandbox keeps its port across restarts: saved continuation tokens carry its URL."""
    saved = directory / "port"
    wanted = int(saved.read_text()) if saved.is_file() and saved.read_text().strip().isdigit() else 0
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    directory.mkdir(parents=True, exist_ok=True)
    saved.write_text(str(port))
    return port


def _data_dir(settings: Settings) -> Path:
    if settings.storage_url.startswith("sqlite:///"):
        return Path(settings.storage_url.removeprefix("sqlite:///")).parent
    return Path("data")


def access_identity(settings: Settings) -> AccessIdentity:
    """What the attach and onboarding cards say about the bot's own identity (never a secret)."""
    return AccessIdentity(mode=settings.azure_credential, kind=settings.identity.kind,
                          app_id=settings.azure_client_id,
                          partner_tenant_id=settings.partner_tenant_id or settings.azure_tenant_id,
                          authority_host=settings.authority_host)


def create_app(
    settings: Settings, *, gateway: AzureGateway | None = None, runner_config: RunnerConfig | None = None
) -> web.Application:
    """The bot's web application. Long-lived clients open in `cleanup_ctx` and close on shutdown.
    `gateway` and `runner_config` replace the ones settings would build (tests with their own sandbox)."""
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    store = open_store(
        settings.storage_url,
        connection_string=settings.storage_connection_string,
        managed_identity_client_id=settings.managed_identity_client_id or None,
    )
    app[STORE] = store

    # Azure: the embedded sandbox (fresh clone, --sandbox) is served on this loop from start-up; its
    # state lives beside the bot's database so moved resources and running moves survive restarts.
    sandbox_dir = _data_dir(settings) / "sandbox"
    gateway_spec: dict[str, Any] | None = None
    if gateway is not None:
        pass
    elif settings.embedded_sandbox:
        sandbox_url = f"https://127.0.0.1:{_sandbox_port(sandbox_dir)}"
        app[SANDBOX_URL] = sandbox_url
        gateway_spec = {"credential": "sandbox", "endpoint": sandbox_url, "ca_bundle": str(sandbox_dir / CA_FILE),
                        "authority_host": sandbox_url, "polling_interval": 1.0}
        gateway = create_gateway(**gateway_spec)
    else:
        gateway_spec = {"credential": settings.identity, "endpoint": settings.arm_endpoint,
                        "ca_bundle": settings.arm_ca_bundle, "authority_host": settings.authority_host}
        gateway = create_gateway(**gateway_spec)
    # Assessments run in worker processes, which build their own gateway from the same settings (with a
    # gateway given from outside, as in some tests, they run in this process).
    workers = AssessmentWorkers(WorkerSettings(
        gateway_spec, settings.storage_url, settings.storage_connection_string,
        settings.managed_identity_client_id or None)) if gateway_spec else None
    app[GATEWAY] = gateway
    conversation_state = ConversationState(DocumentBotStorage(store))
    policy = AccessPolicy(
        allowed_tenant_ids=settings.allowed_tenant_ids,
        engineer_ids=settings.engineer_ids,
        approver_ids=settings.approver_ids,
    )
    adapter = create_adapter(settings)
    proactive = Proactive(adapter, app_id=settings.app_id)
    workflow = Workflow(store)
    reports = ReportLinks(store)
    notifier = Notifier(proactive, workflow, reports=reports, public_base_url=settings.public_base_url)
    runner = MoveRunner(workflow, gateway, listener=notifier, alerts=notifier, telemetry=MoveCounters(),
                        config=runner_config or RunnerConfig())
    approvals = Approvals(workflow, notifier, policy, on_approved=runner.wake, on_recheck=runner.recheck)
    app[MOVES] = MoveParts(workflow, notifier, runner, approvals)
    flows = ChatFlows(
        FlowDeps(
            gateway=gateway,
            store=store,
            proactive=proactive,
            policy=policy,
            catalog=load_catalog(),
            conversation_state=conversation_state,
            partner_tenant_id=settings.partner_tenant_id,
            sandbox=settings.embedded_sandbox,
            cancel_request=approvals.cancel_command,
            reports=reports,
            public_base_url=settings.public_base_url,
            identity=access_identity(settings),
            workers=workers,
        )
    )
    chat = flows.routes()
    move = MoveFlow(flows, workflow=workflow, notifier=notifier, cancel_request=approvals.cancel)
    bot = MigrationBot(
        conversation_state=conversation_state,
        store=store,
        policy=policy,
        sandbox=settings.embedded_sandbox,
        routes=Routes(
            commands={**approvals.commands, **chat.commands, **move.commands},
            # move.verbs last: its request.cancel handles drafts and hands real requests to approvals.
            verbs={**approvals.verbs, **chat.verbs, **move.verbs},
            on_text=chat.on_text,
        ),
        on_refused=approvals.audit_refusal,
    )
    app[BOT] = bot

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if SANDBOX_URL in app:
                port = int(app[SANDBOX_URL].rsplit(":", 1)[1])
                sandbox = await stack.enter_async_context(
                    start_sandbox("contoso", port=port, state_dir=sandbox_dir, throttle=False)
                )
                log.info("sandbox Azure (tenant contoso.onmicrosoft.com) at %s", sandbox.url)
            stack.push_async_callback(store.close)
            stack.push_async_callback(gateway.close)
            if workers is not None:
                stack.push_async_callback(workers.close)  # after the drain below: its jobs are cancelled by then
            stack.push_async_callback(approvals.drain)
            stack.push_async_callback(proactive.drain)
            stack.push_async_callback(runner.stop)
            stack.push_async_callback(flows.background.stop)
            runner.start()  # resumes every request whose lease lapsed while the bot was down
            flows.background.start()  # cards of work a restart interrupted say so and offer to run it again
            yield

    app.cleanup_ctx.append(lifecycle)
    handler = messages_handler(adapter, bot, authenticate_first=not settings.local_mode)
    app.router.add_post("/api/messages", traced_turns(handler))
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/reports/{name}", _report_download(reports))
    return app


def _announce(settings: Settings) -> None:
    if settings.local_mode:
        log.warning("local mode: no MicrosoftAppId, inbound requests are not authenticated (Agents Playground)")
    if not settings.allowed_tenant_ids:
        log.warning("ALLOWED_TENANT_IDS is empty: users of any Teams tenant may talk to the bot")
    if settings.embedded_sandbox:
        log.warning("no Azure configured: running on the built-in sandbox tenant (contoso.onmicrosoft.com)")
    else:
        log.info("acting in customers' tenants as: %s (%s)", settings.azure_credential, settings.identity.kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CSP migration bot")
    parser.add_argument("--sandbox", action="store_true", help="run on the built-in sandbox Azure tenant")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The Azure SDK logs every request with its headers at INFO, and msrest warns on each card click
    # about a field botbuilder's model lacks: noise that would bury what matters.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    logging.getLogger("azure.identity").setLevel(logging.WARNING)
    logging.getLogger("msrest.serialization").setLevel(logging.ERROR)
    try:
        settings = load_settings(force_sandbox=args.sandbox)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    _announce(settings)
    configure_telemetry(settings)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=_printer(settings))
    return 0


def _printer(settings: Settings) -> Any:
    def emit(_: str) -> None:
        print(f"CSP migration bot listening on http://{settings.host}:{settings.port}/api/messages", flush=True)

    return emit


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
