"""The bot application with move requests wired in, built the way app.py is asked to build it (see
the wiring note in bot/approvals.py's report). Also runnable as its own process for the restart test:

    python -m tests.workflow.app_factory --port N --storage sqlite:///x.db --arm URL --ca PEM
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from botbuilder.core import ConversationState

from bot.access import AccessPolicy
from bot.adapter import create_adapter, messages_handler
from bot.approvals import Approvals
from bot.handler import MigrationBot, Routes
from bot.notifier import Notifier
from bot.state_storage import DocumentBotStorage
from migration.arm import create_gateway
from migration.ports import AzureGateway
from migration.runner import MoveRunner, RunnerConfig
from migration.workflow import Workflow
from settings import Settings, load_settings
from storage import open_store


@dataclass(frozen=True, slots=True)
class MoveParts:
    workflow: Workflow
    notifier: Notifier
    runner: MoveRunner
    approvals: Approvals


PARTS = web.AppKey("move_parts", MoveParts)


def create_app(settings: Settings, gateway: AzureGateway, *, runner_config: RunnerConfig) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    store = open_store(settings.storage_url, connection_string=settings.storage_connection_string)
    policy = AccessPolicy(allowed_tenant_ids=settings.allowed_tenant_ids, engineer_ids=settings.engineer_ids,
                          approver_ids=settings.approver_ids)
    adapter = create_adapter(settings)
    # --- move requests: the part app.py gains -------------------------------------------------
    workflow = Workflow(store)
    notifier = Notifier(adapter, workflow, bot_app_id=settings.app_id)
    runner = MoveRunner(workflow, gateway, listener=notifier, config=runner_config)
    approvals = Approvals(workflow, notifier, policy, on_approved=runner.wake)
    routes = Routes(commands=approvals.commands, verbs=approvals.verbs)
    # -------------------------------------------------------------------------------------------
    bot = MigrationBot(conversation_state=ConversationState(DocumentBotStorage(store)), policy=policy,
                       sandbox=settings.embedded_sandbox, routes=routes)
    app[PARTS] = MoveParts(workflow, notifier, runner, approvals)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runner.start()  # resumes every request whose lease lapsed while the bot was down
        yield
        await runner.stop()  # hands leases back so the next start resumes at once
        await approvals.drain()
        await gateway.close()
        await store.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/api/messages", messages_handler(adapter, bot))
    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--storage", required=True)
    parser.add_argument("--arm", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--approvers", default="")
    parser.add_argument("--tenants", default="")
    parser.add_argument("--lease-seconds", type=float, default=2.0)
    args = parser.parse_args()
    env = {"STORAGE_URL": args.storage, "HOST": "127.0.0.1", "PORT": str(args.port), "APPROVER_IDS": args.approvers,
           "ALLOWED_TENANT_IDS": args.tenants, "AZURE_CREDENTIAL": "sandbox", "ARM_ENDPOINT": args.arm}
    settings = load_settings(env)
    config = RunnerConfig(lease_seconds=args.lease_seconds, poll_seconds=0.2, batch_size=3, retry_seconds=0.1)

    async def serve() -> None:
        gateway = create_gateway(credential="sandbox", endpoint=args.arm, ca_bundle=args.ca,
                                 authority_host=args.arm, polling_interval=0.05)
        runner = web.AppRunner(create_app(settings, gateway, runner_config=config), handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        print(f"BOT_READY pid={os.getpid()}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
