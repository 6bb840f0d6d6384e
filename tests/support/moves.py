"""Fixtures for move requests: a real SQLite store, a workflow over it, sample requests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from migration.execution.runner import RunnerConfig
from migration.execution.workflow import Workflow
from migration.model import GroupMove, Person
from migration.model.records import Actor, ChecklistEntry, StoredRequest
from sandbox import Sandbox
from settings import load_settings
from storage import SqliteDocumentStore
from tests.support import teams
from tests.support.app_factory import PARTS, MoveParts, create_app
from tests.support.bot_http import Connector, _serve
from tests.support.sandbox import gateway_spec
from tests.support.teams import APPROVER, ENGINEER, PARTNER_TENANT

REQUESTER = Person(ENGINEER["aadObjectId"], ENGINEER["name"], ENGINEER["id"])
APPROVER_PERSON = Person(APPROVER["aadObjectId"], APPROVER["name"], APPROVER["id"])
OTHER_APPROVER = Person("00000000-0000-0000-0000-00000000a003", "Lee Gu", "29:approver2")

requester_actor = Actor(REQUESTER, PARTNER_TENANT)
approver_actor = Actor(APPROVER_PERSON, PARTNER_TENANT, may_approve=True)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteDocumentStore]:
    s = SqliteDocumentStore(tmp_path / "bot.db")
    yield s
    await s.close()


@pytest.fixture
def workflow(store: SqliteDocumentStore) -> Workflow:
    return Workflow(store)


def sample_groups(count: int = 2, per_group: int = 3) -> tuple[GroupMove, ...]:
    sub, target = "src-sub", "dst-sub"
    return tuple(
        GroupMove(
            f"rg-{g}",
            f"/subscriptions/{target}/resourceGroups/rg-{g}",
            "westeurope",
            tuple(
                f"/subscriptions/{sub}/resourceGroups/rg-{g}/providers/Microsoft.Storage/storageAccounts/st{g}{i}"
                for i in range(per_group)
            ),
        )
        for g in range(count)
    )


async def submit_sample(workflow: Workflow, **overrides: object) -> StoredRequest:
    args: dict[str, object] = {
        "customer_tenant_id": "11111111-1111-4111-8111-111111111111",
        "source_subscription_id": "src-sub",
        "target_subscription_id": "dst-sub",
        "groups": sample_groups(),
        "requester": REQUESTER,
        "requester_tenant_id": PARTNER_TENANT,
        "checklist": (ChecklistEntry("Role assignments", "Recreate them on the moved resources."),),
        "source_name": "Fabrikam PAYG",
        "target_name": "Fabrikam CSP",
    }
    args.update(overrides)
    return await workflow.submit(**args)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- sandbox scenario

CUSTOMER = "44444444-4444-4444-8444-444444444444"
SOURCE = "dddddddd-0000-4000-8000-000000000001"
TARGET = "dddddddd-0000-4000-8000-000000000002"
STORAGE = "Microsoft.Storage/storageAccounts"


def _storage(name: str, outcome: dict[str, object] | None = None) -> dict[str, object]:
    res: dict[str, object] = {"name": name, "type": STORAGE}
    if outcome:
        res["outcome"] = outcome
    return res


def move_scenario() -> dict[str, object]:
    """rg-app: 7 clean accounts; rg-web: 2; rg-bad: 4, the last fails while moving (its batch fails,
    the others move); rg-blocked: Azure's dry run refuses it."""
    failing = {"move": {"code": "ResourceMoveFailed", "message": "The resource provider failed to move it."}}
    refused = {"validate": {"code": "RequestDisallowedByPolicy", "message": "Policy 'no-moves' forbids it."}}
    groups = [
        {"name": "rg-app", "location": "westeurope", "resources": [_storage(f"stapp{i}") for i in range(7)]},
        {"name": "rg-web", "location": "westeurope", "resources": [_storage(f"stweb{i}") for i in range(2)]},
        {"name": "rg-bad", "location": "westeurope",
         "resources": [_storage(f"stbad{i}", failing if i == 3 else None) for i in range(4)]},
        {"name": "rg-blocked", "location": "northeurope", "resources": [_storage("stblocked0", refused)]},
        {"name": "rg-stays", "location": "westeurope", "resources": [_storage("ststays0")]},
    ]
    return {
        "description": "Move-runner tests: one customer, a PAYG source and a CSP target.",
        "tenants": [{"id": CUSTOMER, "displayName": "Contoso Test", "domains": ["contosotest.onmicrosoft.com"],
                     "partnerAccess": True}],
        "subscriptions": [
            {"id": SOURCE, "tenantId": CUSTOMER, "displayName": "Contoso PAYG", "quotaId": "PayAsYouGo_2014-09-01",
             "resourceGroups": groups},
            {"id": TARGET, "tenantId": CUSTOMER, "displayName": "Contoso CSP", "quotaId": "CSP_2015-05-01",
             "resourceGroups": []},
        ],
    }


def scenario_group(name: str) -> GroupMove:
    scenario = move_scenario()
    subs = scenario["subscriptions"]  # type: ignore[index]
    [group] = [g for g in subs[0]["resourceGroups"] if g["name"] == name]  # type: ignore[index]
    ids = tuple(
        f"/subscriptions/{SOURCE}/resourceGroups/{name}/providers/{STORAGE}/{r['name']}" for r in group["resources"]
    )
    return GroupMove(name, f"/subscriptions/{TARGET}/resourceGroups/{name}-csp", group["location"], ids)


async def submit_move(workflow: Workflow, *names: str) -> StoredRequest:
    return await workflow.submit(
        customer_tenant_id=CUSTOMER,
        source_subscription_id=SOURCE,
        target_subscription_id=TARGET,
        groups=tuple(scenario_group(n) for n in names),
        requester=REQUESTER,
        requester_tenant_id=PARTNER_TENANT,
        checklist=(ChecklistEntry("Role assignments", "Recreate them on the moved resources."),),
        source_name="Contoso PAYG",
        target_name="Contoso CSP",
    )


# --------------------------------------------------------------------------- the bot over HTTP


APPROVALS_CHAT = "19:approvals@thread.v2"


@dataclass
class MoveBot:
    """The real app (move requests wired in) on a free port, talking to the sandbox and the connector."""

    url: str
    session: aiohttp.ClientSession
    parts: MoveParts
    sandbox: Sandbox
    connector: Connector

    async def say(self, text: str, *, user: dict[str, str] = ENGINEER, conversation: str = "a:conv-personal",
                  kind: str = "personal") -> int:
        activity = teams.message(text, self.connector.url, conversation_id=conversation, user=user)
        activity["conversation"]["conversationType"] = kind
        async with self.session.post(f"{self.url}/api/messages", json=activity) as response:
            await response.read()
            return response.status

    async def click(self, verb: str, data: dict[str, Any], *, user: dict[str, str] = APPROVER,
                    conversation: str = APPROVALS_CHAT, reply_to_id: str = "card-1",
                    tenant: str = PARTNER_TENANT) -> dict[str, Any]:
        """A card button click; returns the card Teams shows the clicker."""
        activity = teams.card_action(verb, data, self.connector.url, reply_to_id=reply_to_id,
                                     conversation_id=conversation, user=user, tenant=tenant)
        async with self.session.post(f"{self.url}/api/messages", json=activity) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        return body["value"]

    async def request(self, *groups: str) -> StoredRequest:
        """What the `move` flow does: submit, then announce from the requester's chat."""
        stored = await submit_move(self.parts.workflow, *groups)
        record = await self.parts.workflow.store.get("conversations", "a:conv-personal")
        assert record is not None, "the requester must have talked to the bot first"
        return await self.parts.notifier.announce(stored.id, record.value)

    async def until(self, request_id: str, done: Any, timeout: float = 20.0) -> StoredRequest:
        async def poll() -> StoredRequest:
            while True:
                stored = await self.parts.workflow.get(request_id)
                if stored is not None and done(stored):
                    return stored
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(poll(), timeout)

OUTSIDER = {"id": "29:outsider", "name": "Pat Outsider", "aadObjectId": "00000000-0000-0000-0000-00000000a009"}
HTTP_RUNNER = RunnerConfig(lease_seconds=2.0, poll_seconds=0.2, batch_size=3, retry_seconds=0.1)


@pytest.fixture
async def move_bot(tmp_path: Path, sandbox_factory: Any, connector: Connector, edge: str,
                   request: pytest.FixtureRequest) -> AsyncIterator[MoveBot]:
    """The bot on a move scenario, on the `edge` fixture's Teams edge."""
    approvers = getattr(request, "param", APPROVER["aadObjectId"])
    sandbox = await sandbox_factory(move_scenario(), lro_seconds=0.1)
    settings = load_settings({
        "STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "HOST": "127.0.0.1", "PORT": "0",
        "APPROVER_IDS": approvers, "ALLOWED_TENANT_IDS": PARTNER_TENANT,
        "AZURE_CREDENTIAL": "sandbox", "ARM_ENDPOINT": sandbox.url, "BOT_SDK": edge,
    })
    app = create_app(settings, gateway_spec=gateway_spec(sandbox), runner_config=HTTP_RUNNER)
    async with serve_move_bot(app, sandbox, connector) as bot:
        yield bot


@contextlib.asynccontextmanager
async def serve_move_bot(app: Any, sandbox: Sandbox, connector: Connector) -> AsyncIterator[MoveBot]:
    """The bot app on a loopback port, with a client session to talk to it; both closed afterwards."""
    runner, url = await _serve(app)
    session = aiohttp.ClientSession()
    try:
        yield MoveBot(url, session, app[PARTS], sandbox, connector)
    finally:
        await session.close()
        await runner.cleanup()
