"""Composition root: read settings, build the store, Azure gateway, worker pool, edge, services, flows and routes;
serve them.

`create_app(settings)` returns the aiohttp application; `main()` runs it. Nothing else lives here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.access import AccessPolicy, CustomerScope
from bot.audit_guard import auditors
from bot.edges import inbound_auth, open_edge
from bot.endpoint import messages_handler
from bot.guards import Guards, RefusalAuditTrail
from bot.guest_check import GuestCheck
from bot.notifier import Notifier
from bot.proactive import Proactive
from bot.route_table import Flows, route_table
from bot.routes import Router, Routes
from dialogs.assess import AssessFlow
from dialogs.attach import AttachFlow
from dialogs.audit import AuditFlow
from dialogs.background import BackgroundWork
from dialogs.cancel import CancelFlow
from dialogs.customers import CustomersFlow
from dialogs.decisions import DecisionFlow
from dialogs.move import MoveFlow
from dialogs.move_plan import MovePlanFlow
from dialogs.questions import Questions
from dialogs.requests import RequestsFlow
from dialogs.slow_work import SlowWork
from dialogs.state import ChatStates
from dialogs.tenants import TenantCards
from migration.application.assessments import SubscriptionAssessments
from migration.application.audit_export import AuditExports
from migration.application.customers import CustomerRegistry, RegistryError
from migration.application.decisions import RequestDecisions
from migration.application.move_plans import MovePlans
from migration.application.move_submission import MoveSubmission
from migration.application.reads import ReadAudit
from migration.application.relationship import PartnerRelationship
from migration.application.tenant_access import TenantAccess
from migration.assessment.catalog import load_catalog
from migration.azure.credentials import build_credential
from migration.azure.gateway import create_gateway
from migration.azure.graph import GraphMembership
from migration.azure.permissions import AccessIdentity
from migration.azure.ports import AzureGateway
from migration.execution.audit import AuditTrail
from migration.execution.runner import MoveRunner, RunnerConfig
from migration.execution.workflow import Workflow
from migration.model.store import DocumentStore
from migration.planning.drafts import Drafts
from migration.planning.revisions import FixDrafts
from sandbox import start_sandbox
from sandbox.tls import CA_FILE
from settings import Settings, SettingsError, load_settings
from storage import open_store
from storage.assessments import StoredAssessments
from storage.customers import StoredCustomers
from storage.reports import ReportLinks, token_hash
from telemetry import MoveCounters, configure_telemetry, traced_turns
from workers.assessment import AssessmentWorkers, WorkerSettings

log = logging.getLogger("cspbot")

STORE = web.AppKey("store", DocumentStore)
SETTINGS = web.AppKey("settings", Settings)


@dataclass(frozen=True, slots=True)
class MoveParts:
    workflow: Workflow
    notifier: Notifier
    runner: MoveRunner


GATEWAY = web.AppKey("gateway", AzureGateway)
ROUTES = web.AppKey("routes", Routes)
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


def _report_download(reports: ReportLinks, trail: AuditTrail) -> Any:
    """GET /reports/{token}.csv|.json|.md|.jsonl: an assessment export, a move report or an audit export behind
    an unguessable, expiring link. Every download is recorded on the audit chain of what it holds; the link
    carries no identity, so the entry says so."""

    async def download(request: web.Request) -> web.Response:
        token, _, fmt = request.match_info["name"].rpartition(".")
        report = await reports.resolve(token, fmt)
        if report is not None and report.chain:
            await trail.append(report.chain, "downloaded", by=None, tenant_id=None, detail={
                "report": report.filename, "link": token_hash(token)[:16], "expires_at": report.expires_at.isoformat(),
                "identity": "none: anyone with the link can download it"})
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


def _gateway_spec(settings: Settings, sandbox_dir: Path) -> dict[str, Any]:
    """Where Azure is, as create_gateway's keyword arguments: the embedded sandbox, or the settings'."""
    if settings.embedded_sandbox:
        sandbox_url = f"https://127.0.0.1:{_sandbox_port(sandbox_dir)}"
        return {"credential": "sandbox", "endpoint": sandbox_url, "ca_bundle": str(sandbox_dir / CA_FILE),
                "authority_host": sandbox_url, "polling_interval": 1.0}
    return {"credential": settings.identity, "endpoint": settings.arm_endpoint, "ca_bundle": settings.arm_ca_bundle,
            "authority_host": settings.authority_host}


def _graph(settings: Settings, spec: Mapping[str, Any]) -> GraphMembership:
    """Microsoft Graph with the bot's identity in the partner's tenant. On the sandbox (its static credential),
    the sandbox's own Graph unless GRAPH_ENDPOINT says otherwise."""
    credential = spec["credential"]
    on_sandbox = (credential if isinstance(credential, str) else credential.mode) == "sandbox"
    endpoint = spec["endpoint"] if on_sandbox and not settings.graph_endpoint_set else settings.graph_endpoint
    return GraphMembership(build_credential(credential, endpoint=endpoint), endpoint=endpoint,
                           partner_tenant_id=settings.partner_tenant_id or settings.azure_tenant_id,
                           ca_bundle=spec.get("ca_bundle"), cache_seconds=settings.group_cache_seconds)


def create_app(
    settings: Settings, *, gateway_spec: Mapping[str, Any] | None = None, runner_config: RunnerConfig | None = None
) -> web.Application:
    """The bot's web application. Long-lived clients open in `cleanup_ctx` and close on shutdown.
    `gateway_spec` (create_gateway's keyword arguments) and `runner_config` replace what settings would give
    (tests with their own sandbox): the web process and every assessment worker build their gateway from it."""
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
    spec = dict(gateway_spec) if gateway_spec is not None else _gateway_spec(settings, sandbox_dir)
    if gateway_spec is None and settings.embedded_sandbox:
        app[SANDBOX_URL] = spec["endpoint"]
    gateway = create_gateway(**spec)
    app[GATEWAY] = gateway
    # Every assessment runs in a worker process, which builds its own gateway and store from these.
    # Their reads leave the last of each subscription's bucket to the moves this process runs.
    workers = AssessmentWorkers(WorkerSettings({**spec, "read_reserve": settings.assessment_read_reserve},
                                               settings.storage_url, settings.storage_connection_string,
                                               settings.managed_identity_client_id or None),
                                processes=settings.assessment_limits.running)
    policy = AccessPolicy(
        allowed_tenant_ids=settings.allowed_tenant_ids,
        engineer_ids=settings.engineer_ids,
        approver_ids=settings.approver_ids,
        anyone_engineers=settings.local_mode,  # a registered bot with no ENGINEER_IDS has no engineers
    )
    edge = open_edge(settings)  # BOT_SDK: botbuilder or the Agents SDK
    proactive = Proactive(edge.outbox)
    workflow = Workflow(store)
    reports = ReportLinks(store)
    notifier = Notifier(proactive, workflow, reports=reports, public_base_url=settings.public_base_url)
    runner = MoveRunner(workflow, gateway, listener=notifier, alerts=notifier, resumes=notifier,
                        telemetry=MoveCounters(), config=runner_config or RunnerConfig())
    app[MOVES] = MoveParts(workflow, notifier, runner)

    # The application services, then the chat flows that call them, then the routes.
    decisions = RequestDecisions(workflow, runner=runner)
    access = TenantAccess(gateway=gateway, catalog=(catalog := load_catalog()), identity=access_identity(settings),
                          reports=reports)
    graph = _graph(settings, spec)
    registry = CustomerRegistry(store=StoredCustomers(store), membership=graph, resolver=access,
                                admins=settings.partner_admin_ids)
    scope = CustomerScope(registry=registry, tenants=access, policy=policy)
    assessments = SubscriptionAssessments(pool=workers, latest=StoredAssessments(store),
                                          limits=settings.assessment_limits)
    drafts, fix_drafts = Drafts(store), FixDrafts(store)
    plans = MovePlans(gateway=gateway, workflow=workflow, drafts=drafts, fix_drafts=fix_drafts,
                      assessments=assessments, access=access)
    submission = MoveSubmission(plans=plans, workflow=workflow, drafts=drafts, fix_drafts=fix_drafts)

    chats = ChatStates(store)
    relationship = PartnerRelationship(gateway=gateway, billing_account_id=settings.billing_account_id)
    reads = ReadAudit(workflow)
    tenants = TenantCards(access=access, chats=chats, scope=scope, reads=reads,
                          partner_tenant_id=settings.partner_tenant_id,
                          public_base_url=settings.public_base_url, relationship=relationship)
    background = BackgroundWork(store, proactive)
    slow = SlowWork(proactive=proactive, background=background, tenants=tenants)
    questions = Questions(chats=chats, tenants=tenants, store=store, sandbox=settings.embedded_sandbox)
    assess = AssessFlow(assessments=assessments, tenants=tenants, questions=questions, chats=chats,
                        slow=slow, catalog=catalog, public_base_url=settings.public_base_url)
    answers = DecisionFlow(decisions=decisions, notifier=notifier, scope=scope, reads=reads)
    requests = RequestsFlow(decisions=decisions, notifier=notifier, answers=answers, scope=scope)
    cancel = CancelFlow(chats=chats, plans=plans, submission=submission, decisions=decisions, answers=answers)
    flows = Flows(
        questions=questions,
        attach=AttachFlow(tenants=tenants, questions=questions, chats=chats),
        assess=assess,
        move=MoveFlow(plans=plans, access=access, tenants=tenants, questions=questions, assess=assess, chats=chats,
                      slow=slow),
        plan=MovePlanFlow(plans=plans, submission=submission, notifier=notifier, slow=slow),
        decisions=answers,
        requests=requests,
        cancel=cancel,
        customers=CustomersFlow(registry=registry),
        audit=AuditFlow(AuditExports(workflow, archive=reports), public_base_url=settings.public_base_url),
    )
    routes = route_table(flows, Guards(policy=policy, scope=scope, decisions=decisions, answers=answers, cancels=cancel,
                                       requests=requests), auditors=auditors(scope, decisions))
    app[ROUTES] = routes
    guests = None if settings.allow_guests else GuestCheck(strict=not settings.local_mode)
    endpoint = edge.serve(Router(routes, policy=policy, audit=RefusalAuditTrail(decisions)), guests)

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
            stack.push_async_callback(graph.close)
            await registry.load_file(settings.customers)  # a tenant Entra does not know stops the start-up
            stack.push_async_callback(workers.close)  # after the drain below: its jobs are cancelled by then
            stack.push_async_callback(answers.drain)
            stack.push_async_callback(proactive.drain)
            stack.push_async_callback(runner.stop)
            stack.push_async_callback(background.stop)
            runner.start()  # resumes every request whose lease lapsed while the bot was down
            background.start()  # cards of work a restart interrupted say so and offer to run it again
            yield

    app.cleanup_ctx.append(lifecycle)
    handler = messages_handler(endpoint, auth=inbound_auth(settings))
    app.router.add_post("/api/messages", traced_turns(handler))
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/reports/{name}", _report_download(reports, workflow.trail))
    return app


def _announce(settings: Settings) -> None:
    log.info("Teams edge: %s (BOT_SDK)", settings.bot_sdk.value)
    if settings.local_mode:
        log.warning("local mode: no MicrosoftAppId, inbound requests are not authenticated (Agents Playground)")
        if settings.allow_local_azure and not settings.embedded_sandbox:
            log.warning("ALLOW_LOCAL_MODE_ON_AZURE: local mode acts on %s with no inbound authentication: anyone on "
                        "this machine can act as any engineer or approver", settings.arm_endpoint)
    if not settings.allowed_tenant_ids:
        log.warning("ALLOWED_TENANT_IDS is empty: users of any Teams tenant may talk to the bot")
    if settings.approver_ids:
        log.info("approvers (APPROVER_IDS, Entra object ids): %s", ", ".join(sorted(settings.approver_ids)))
    else:
        log.warning("no approvers: nobody can approve a move until APPROVER_IDS names them (Entra object ids, "
                    "comma-separated)")
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
    # The Agents SDK logs its connection settings (redacted) and each request's plumbing at INFO.
    logging.getLogger("microsoft_agents").setLevel(logging.WARNING)
    try:
        settings = load_settings(force_sandbox=args.sandbox)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    _announce(settings)
    configure_telemetry(settings)
    try:
        web.run_app(create_app(settings), host=settings.host, port=settings.port, print=_printer(settings))
    except RegistryError as refused:  # CUSTOMERS_FILE names a tenant Entra does not know
        print(refused, file=sys.stderr)
        return 2
    return 0


def _printer(settings: Settings) -> Any:
    def emit(_: str) -> None:
        print(f"CSP migration bot listening on http://{settings.host}:{settings.port}/api/messages", flush=True)

    return emit


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
