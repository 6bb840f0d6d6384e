"""Two customers of the partner, each with its engineers and approvers, and the partner's own tenant with its
users and security groups (Microsoft Graph's facts in the sandbox): the scenario and the bot the customer
tests talk to."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from migration.model import GroupMove, Person
from migration.model.records import ChecklistEntry, StoredRequest
from settings import load_settings
from tests.support.app_factory import create_app
from tests.support.bot_http import Connector
from tests.support.moves import HTTP_RUNNER, MoveBot, serve_move_bot
from tests.support.sandbox import gateway_spec
from tests.support.teams import APPROVER, ENGINEER, PARTNER_TENANT

ALPHA = "a1a1a1a1-0000-4000-8000-0000000000a1"  # customer A
BETA = "b2b2b2b2-0000-4000-8000-0000000000b2"  # customer B
UNREGISTERED = "c3c3c3c3-0000-4000-8000-0000000000c3"  # the bot reaches it, the partner never registered it
SUBS = {t: (f"{t[:8]}-0000-4000-8000-000000000501", f"{t[:8]}-0000-4000-8000-000000000502")
        for t in (ALPHA, BETA, UNREGISTERED)}

# The partner's people. ENGINEER (Alex) works for A, APPROVER (Megan) approves for A.
ENGINEER_B = {"id": "29:engineer-b", "name": "Diego Siciliani", "aadObjectId": "00000000-0000-0000-0000-00000000b001"}
APPROVER_B = {"id": "29:approver-b", "name": "Lidia Holloway", "aadObjectId": "00000000-0000-0000-0000-00000000b002"}
ADMIN = {"id": "29:admin", "name": "Nestor Wilke", "aadObjectId": "00000000-0000-0000-0000-00000000ad01"}
# Customer B's engineers are a group; Diego is in it through a nested group.
B_ENGINEERS = "9e000000-0000-4000-8000-0000000000b1"
B_CORE = "9e000000-0000-4000-8000-0000000000b2"
ADMINS_GROUP = "9e000000-0000-4000-8000-0000000000ad"


def _user(who: dict[str, str]) -> dict[str, str]:
    return {"id": who["aadObjectId"], "type": "User", "displayName": who["name"]}


def _customer(tenant: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    source, target = SUBS[tenant]
    groups = [{"name": "rg-app", "location": "westeurope",
               "resources": [{"name": f"st{tenant[:4]}{i}", "type": "Microsoft.Storage/storageAccounts"}
                             for i in range(2)]}]
    return ({"id": tenant, "displayName": name, "domains": [f"{name.lower()}.onmicrosoft.com"], "partnerAccess": True},
            [{"id": source, "tenantId": tenant, "displayName": f"{name} PAYG", "quotaId": "PayAsYouGo_2014-09-01",
              "resourceGroups": groups},
             {"id": target, "tenantId": tenant, "displayName": f"{name} CSP", "quotaId": "CSP_2015-05-01",
              "resourceGroups": []}])


def scenario() -> dict[str, Any]:
    tenants, subscriptions = [], []
    for tenant, name in ((ALPHA, "Alpha"), (BETA, "Beta"), (UNREGISTERED, "Gamma")):
        entry, subs = _customer(tenant, name)
        tenants.append(entry)
        subscriptions += subs
    partner = {"id": PARTNER_TENANT, "displayName": "Partner", "domains": ["partner.onmicrosoft.com"],
               "partnerAccess": False,
               "principals": [_user(w) for w in (ENGINEER, APPROVER, ENGINEER_B, APPROVER_B, ADMIN)],
               "groups": [{"id": B_ENGINEERS, "displayName": "Beta engineers", "members": [B_CORE]},
                          {"id": B_CORE, "displayName": "Beta core team", "members": [ENGINEER_B["aadObjectId"]]},
                          {"id": ADMINS_GROUP, "displayName": "Partner admins", "members": [ADMIN["aadObjectId"]]}]}
    return {"description": "Two customers of one partner, and the partner's users and groups.",
            "tenants": [partner, *tenants], "subscriptions": subscriptions}


def registry_file(path: Path) -> Path:
    path.write_text(json.dumps({"customers": [
        {"tenant": ALPHA, "name": "Alpha Ltd", "engineers": [ENGINEER["aadObjectId"]],
         "approvers": [APPROVER["aadObjectId"]]},
        {"tenant": "beta.onmicrosoft.com", "name": "Beta GmbH", "engineers": [B_ENGINEERS],
         "approvers": [APPROVER_B["aadObjectId"]]},
    ]}), encoding="utf-8")
    return path


async def submit_for(bot: MoveBot, tenant: str, requester: dict[str, str]) -> StoredRequest:
    """A move request of `tenant`'s, asked for by `requester` (what the move flow would have submitted)."""
    source, target = SUBS[tenant]
    group = GroupMove("rg-app", f"/subscriptions/{target}/resourceGroups/rg-app", "westeurope",
                      tuple(f"/subscriptions/{source}/resourceGroups/rg-app/providers/Microsoft.Storage/"
                            f"storageAccounts/st{tenant[:4]}{i}" for i in range(2)))
    return await bot.parts.workflow.submit(
        customer_tenant_id=tenant, source_subscription_id=source, target_subscription_id=target, groups=(group,),
        requester=Person(requester["aadObjectId"], requester["name"], requester["id"]),
        requester_tenant_id=PARTNER_TENANT, checklist=(ChecklistEntry("Roles", "Recreate them."),),
        source_name="PAYG", target_name="CSP")


CustomersBot = Callable[..., Awaitable[MoveBot]]


@pytest.fixture
async def customers_bot(tmp_path: Path, sandbox_factory: Any, connector: Connector) -> AsyncIterator[CustomersBot]:
    """`await customers_bot(registry=True, **env)`: the real app on the two-customer sandbox, its registry loaded
    from CUSTOMERS_FILE (or empty), partner admins the admins' group."""
    sandbox = await sandbox_factory(scenario(), lro_seconds=0.1)
    started: list[Any] = []

    async def start(*, registry: bool = True, **env: str) -> MoveBot:
        values = {"STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "HOST": "127.0.0.1", "PORT": "0",
                  "ALLOWED_TENANT_IDS": PARTNER_TENANT, "PARTNER_TENANT_ID": PARTNER_TENANT,
                  "AZURE_CREDENTIAL": "sandbox", "ARM_ENDPOINT": sandbox.url, "ARM_CA_BUNDLE": str(sandbox.ca_path),
                  "PARTNER_ADMIN_IDS": ADMINS_GROUP, **env}
        if registry:
            values["CUSTOMERS_FILE"] = str(registry_file(tmp_path / "customers.json"))
        app = create_app(load_settings(values), gateway_spec=gateway_spec(sandbox), runner_config=HTTP_RUNNER)
        context = serve_move_bot(app, sandbox, connector)
        started.append(context)
        return await context.__aenter__()

    yield start
    for context in reversed(started):
        await context.__aexit__(None, None, None)
