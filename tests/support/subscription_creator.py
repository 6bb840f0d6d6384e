"""A process that asks for one CSP subscription through the real gateway and waits for it, so a test can kill it
with SIGKILL between Azure's "Accepted" and its "Succeeded" and run it again:

    python -m tests.support.subscription_creator --arm URL --ca PEM --request MR-1 --source SUB --scope SCOPE

prints `ASKED alias=accepted` once Azure accepted the alias, then `CREATED subscription=<id>`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from migration.azure.gateway import create_gateway
from migration.model import Workload, alias_name


async def create(args: argparse.Namespace) -> None:
    gateway = create_gateway(credential="sandbox", endpoint=args.arm, ca_bundle=args.ca, authority_host=args.arm,
                             polling_interval=0.05)
    try:
        operation = await gateway.for_partner().aliases.begin_create_subscription(
            alias_name(args.request, args.source), display_name=args.name, workload=Workload.PRODUCTION,
            billing_scope=args.scope, tags={"migratedFrom": args.source, "moveRequest": args.request})
        print("ASKED alias=accepted", flush=True)
        created = await operation.wait()
        print(f"CREATED subscription={created.subscription_id}", flush=True)
    finally:
        await gateway.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("--arm", "--ca", "--request", "--source", "--scope", "--name"):
        parser.add_argument(name, required=True)
    asyncio.run(create(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
