"""The real bot application (app.create_app) with a given sandbox and a fast runner, runnable as its own
process for the restart test:

    python -m tests.support.app_factory --port N --storage sqlite:///x.db --arm URL --ca PEM [--bot-sdk agents]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from aiohttp import web

from app import MOVES, MoveParts, create_app
from migration.execution.runner import RunnerConfig
from settings import load_settings

__all__ = ["PARTS", "MoveParts", "create_app"]

PARTS = MOVES


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--storage", help="STORAGE_URL; default: the environment's (e.g. azure-table://)")
    parser.add_argument("--arm", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--approvers", default="")
    parser.add_argument("--tenants", default="")
    parser.add_argument("--lease-seconds", type=float, default=2.0)
    parser.add_argument("--bot-sdk", default="", help="BOT_SDK: the Teams edge (default: the environment's)")
    args = parser.parse_args()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(args.port), "APPROVER_IDS": args.approvers,
           "ALLOWED_TENANT_IDS": args.tenants, "AZURE_CREDENTIAL": "sandbox", "ARM_ENDPOINT": args.arm}
    if args.storage:
        env["STORAGE_URL"] = args.storage
    if args.bot_sdk:
        env["BOT_SDK"] = args.bot_sdk
    settings = load_settings(env)
    config = RunnerConfig(lease_seconds=args.lease_seconds, poll_seconds=0.2, batch_size=3, retry_seconds=0.1)

    async def serve() -> None:
        spec = {"credential": "sandbox", "endpoint": args.arm, "ca_bundle": args.ca, "authority_host": args.arm,
                "polling_interval": 0.05}
        app = create_app(settings, gateway_spec=spec, runner_config=config)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        print(f"BOT_READY pid={os.getpid()} owner={app[MOVES].runner.owner}", flush=True)
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
