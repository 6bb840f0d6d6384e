"""Pytest fixtures: an ARM sandbox on the test's event loop, and real gateways wired to it.

Register with `pytest_plugins = ["tests.support.sandbox"]`. Scenario `test-small`
(sandbox/scenarios/test-small.json) is the default; the ids below name its parts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from migration.azure.gateway import ArmGateway, create_gateway
from sandbox import Sandbox, start_sandbox

FABRIKAM = "11111111-1111-4111-8111-111111111111"  # partner access, two subscriptions
NORTHWIND = "22222222-2222-4222-8222-222222222222"  # partner access, another customer
TAILSPIN = "33333333-3333-4333-8333-333333333333"  # no partner access (no reseller relationship)
PAYG = "aaaaaaaa-0000-4000-8000-000000000001"  # Fabrikam Pay-As-You-Go, the move source
CSP = "aaaaaaaa-0000-4000-8000-000000000002"  # Fabrikam Azure plan (CSP); Microsoft.Web not registered
NORTHWIND_SUB = "bbbbbbbb-0000-4000-8000-000000000001"

SandboxFactory = Callable[..., Awaitable[Sandbox]]
GatewayFactory = Callable[..., ArmGateway]


def group_id(subscription_id: str, name: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{name}"


def arm_id(subscription_id: str, group: str, provider_path: str) -> str:
    return f"{group_id(subscription_id, group)}/providers/{provider_path}"


def gateway_spec(sb: Sandbox, *, polling_interval: float = 0.05) -> dict[str, Any]:
    """create_gateway's keyword arguments for `sb` (sandbox credential, HTTPS, the sandbox's CA): what the bot's
    app and its assessment workers build their gateways from."""
    return {"credential": "sandbox", "endpoint": sb.url, "ca_bundle": str(sb.ca_path), "authority_host": sb.url,
            "polling_interval": polling_interval}


@pytest.fixture
async def sandbox_factory() -> AsyncIterator[SandboxFactory]:
    """`await sandbox_factory(scenario="test-small", **start_sandbox_options)`; all stopped at teardown.

    Jobs take 0.3 s and announce 50 ms polls unless told otherwise, to keep tests fast.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def make(scenario: Any = "test-small", **options: Any) -> Sandbox:
            options.setdefault("lro_seconds", 0.3)
            options.setdefault("poll_interval", 0.05)
            return await stack.enter_async_context(start_sandbox(scenario, **options))

        yield make


@pytest.fixture
async def sandbox(sandbox_factory: SandboxFactory) -> Sandbox:
    return await sandbox_factory()


@pytest.fixture
async def gateway_factory() -> AsyncIterator[GatewayFactory]:
    """`gateway_factory(sandbox)` -> a real ArmGateway (sandbox credential, HTTPS, sandbox CA); closed at teardown."""
    made: list[ArmGateway] = []

    def make(sb: Sandbox, *, polling_interval: float = 0.05) -> ArmGateway:
        gw = create_gateway(**gateway_spec(sb, polling_interval=polling_interval))
        made.append(gw)
        return gw

    yield make
    for gw in made:
        await gw.close()


@pytest.fixture
def gateway(sandbox: Sandbox, gateway_factory: GatewayFactory) -> ArmGateway:
    return gateway_factory(sandbox)
