"""`python -m sandbox --port N --scenario NAME [fault and throttle flags]` (see sandbox/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from sandbox.faults import FaultConfig
from sandbox.server import start_sandbox
from sandbox.state import ScenarioError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sandbox", description="Azure Resource Manager sandbox (HTTPS).")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    p.add_argument("--scenario", default="contoso", help="name in sandbox/scenarios or a JSON path")
    p.add_argument("--generate", metavar="SPEC", help="synthetic tenant instead, e.g. resources=10000,groups=500")
    p.add_argument("--state-dir", type=Path, help="persist state and CA here (survives restarts)")
    p.add_argument("--no-throttle", action="store_true", help="switch ARM/Resource Graph throttling off")
    p.add_argument("--lro-seconds", type=float, default=2.0, help="duration of validate/move jobs (default 2)")
    p.add_argument("--move-seconds", type=float, help="duration of move jobs (default: as --lro-seconds)")
    p.add_argument("--poll-interval", type=float, default=0.1, help="poll interval announced on 202s (s)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every ARM request")
    p.add_argument("--rate-429", type=float, default=0.0, help="share of requests answered 429 + Retry-After")
    p.add_argument("--rate-500", type=float, default=0.0, help="share of requests answered 500")
    p.add_argument("--rate-503", type=float, default=0.0, help="share of requests answered 503")
    p.add_argument("--rate-drop", type=float, default=0.0, help="share of requests whose connection is dropped")
    p.add_argument("--lro-failure-rate", type=float, default=0.0, help="share of move jobs that fail")
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After (s) on injected 429/503")
    p.add_argument("--seed", type=int, default=0, help="seed for fault draws and --generate")
    return p


async def _serve(args: argparse.Namespace) -> None:
    faults = FaultConfig(
        latency_ms=args.latency_ms, rate_429=args.rate_429, rate_500=args.rate_500, rate_503=args.rate_503,
        rate_drop=args.rate_drop, lro_failure_rate=args.lro_failure_rate, retry_after=args.retry_after,
    )
    async with start_sandbox(
        args.scenario, host=args.host, port=args.port, state_dir=args.state_dir, throttle=not args.no_throttle,
        faults=faults, lro_seconds=args.lro_seconds, move_seconds=args.move_seconds,
        poll_interval=args.poll_interval, seed=args.seed,
        generate=args.generate,
    ) as sb:
        print(f"SANDBOX_READY url={sb.url} ca={sb.ca_path}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except (ScenarioError, ValueError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
