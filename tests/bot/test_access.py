"""Each cause of missing access, end to end: Teams-shaped `attach` to /api/messages of the real app acting
as the partner's app (or through Lighthouse), azure-identity against the sandbox's Entra, ARM deciding from
the sandbox's own consent, role and delegation facts. Each card names the cause and its own fix; once the
customer does what the card says (in the sandbox's facts), Check again attaches."""

from __future__ import annotations

import json

import aiohttp
import pytest

from sandbox import Sandbox
from sandbox.directory import Assignment, Delegation
from tests.support import teams
from tests.support.cards.cardwalk import as_read
from tests.support.cardtools import buttons, click, command_card, text_of, wait_update
from tests.support.identities import (
    APP,
    CONSENTED,
    DELEGATED,
    MI,
    MI_PRINCIPAL,
    NO_ROLE,
    NOT_CONSENTED,
    PARTNER,
    READER_CSP,
    READER_ONLY,
    SECRET,
    SUB,
    UNKNOWN_TENANT,
    scenario,
)

PARTNER_CENTER_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
async def entra(sandbox_factory) -> Sandbox:
    return await sandbox_factory(scenario())


def _azure(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {"ARM_ENDPOINT": sandbox.url, "ARM_CA_BUNDLE": str(sandbox.ca_path), "AZURE_AUTHORITY_HOST": sandbox.url,
            **extra}


def _app(sandbox: Sandbox, secret: str = SECRET, **extra: str) -> dict[str, str]:
    return _azure(sandbox, AZURE_CREDENTIAL="app", AZURE_CLIENT_ID=APP, AZURE_TENANT_ID=PARTNER,
                  AZURE_CLIENT_SECRET=secret, PARTNER_TENANT_ID=PARTNER_CENTER_ID, **extra)


def _plain(card: dict) -> str:
    """Every text on the card, as a reader sees it."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(as_read(node["text"]) if node.get("type") == "TextBlock" else node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(found)


async def _attach(bot, connector, tenant: str) -> dict:
    return await command_card(bot, connector, f"attach {tenant}")


async def test_app_not_consented_gets_the_admin_consent_link_then_attaches(start_bot, connector, entra):
    bot = await start_bot(**_app(entra))
    card = await _attach(bot, connector, NOT_CONSENTED)
    text = text_of(card)
    assert "The partner's app is not consented in this tenant" in text and "AADSTS700016" in text
    consent = buttons(card)["Open admin-consent link"]["url"]
    assert consent == f"{entra.url}/{NOT_CONSENTED}/adminconsent?client_id={APP}"
    relationship = buttons(card)["Partner Center relationship (billing)"]["url"]
    assert f"partnerId={PARTNER_CENTER_ID}" in relationship and "does not grant any access to Azure" in text

    # The customer's admin consents and grants the role the card asks for next.
    entra.world.directory.consent.setdefault(NOT_CONSENTED, set()).add(APP.lower())
    entra.world.directory.assignments.setdefault(NOT_CONSENTED, []).append(
        Assignment(APP, "Contributor", f"/subscriptions/{SUB[NOT_CONSENTED]}"))
    again = await click(bot, connector, buttons(card)["Check again"])
    assert f"Attached: {NOT_CONSENTED}" in text_of(again)


async def test_consented_without_a_role_gets_the_role_assignment_command(start_bot, connector, entra):
    bot = await start_bot(**_app(entra))
    card = await _attach(bot, connector, NO_ROLE)
    text = text_of(card)
    assert "Consented, but no Azure role" in text
    assert f"az role assignment create --assignee {APP} --role Contributor" in text


async def test_assessing_without_a_role_names_the_subscription_in_the_fix(start_bot, connector, entra):
    bot = await start_bot(**_app(entra))
    assert (await bot.post(teams.message(f"assess {NO_ROLE} {SUB[NO_ROLE]}", connector.url))).status in (200, 201)
    card = await wait_update(connector, "Consented, but no Azure role", "Assessment:")
    text = _plain(card)
    assert f"--assignee {APP} --role Contributor --scope /subscriptions/{SUB[NO_ROLE]}" in text
    assert buttons(card)["Open Access control (IAM)"]["url"].endswith(f"/subscriptions/{SUB[NO_ROLE]}/users")
    # Picking from a list, the bot sees no subscription at all there: the same cause, not an empty list.
    before = len(connector.sent)
    assert (await bot.post(teams.message(f"assess {NO_ROLE}", connector.url))).status in (200, 201)
    await connector.wait_for(before + 2)
    assert "Consented, but no Azure role" in text_of(connector.cards()[-1])


async def test_reader_only_is_attached_with_what_is_missing_and_the_exact_fix(start_bot, connector, entra):
    bot = await start_bot(**_app(entra))
    card = await _attach(bot, connector, READER_ONLY)
    text = text_of(card)
    assert f"Attached: {READER_ONLY}" in text
    rows = {r["cells"][0]["items"][0]["text"]: [c["items"][0]["text"] for c in r["cells"][1:]]
            for b in card["body"] if b.get("type") == "Table" for r in b["rows"][1:] if len(r["cells"]) == 3}
    assert rows["Read the subscription and its resources"] == ["✓", "✓"]
    assert rows["Move resources out of resource groups"] == ["✗", "–"]
    assert rows["Create resource groups"] == ["–", "✗"]
    assert (f"az role assignment create --assignee {APP} --role Contributor "
            f"--scope /subscriptions/{SUB[READER_ONLY]}") in text
    assert f"https://portal.azure.com/#@{READER_ONLY}/resource/subscriptions/{SUB[READER_ONLY]}/users" in text

    contributor = await _attach(bot, connector, CONSENTED)
    assert "Every permission a move needs is granted" not in text_of(contributor), "Contributor cannot remove locks"
    assert "User Access Administrator" in text_of(contributor)


async def test_a_move_is_checked_before_it_is_planned(start_bot, connector, entra):
    bot = await start_bot(**_app(entra))
    plan = {"verb": "move.target", "data": {"tenantId": READER_ONLY, "sourceSubscriptionId": SUB[READER_ONLY],
                                            "targetSubscriptionId": READER_CSP}}
    await click(bot, connector, plan, reply_to_id="plan-card")
    card = await wait_update(connector, "Not allowed to move yet", "Which resource groups?")
    text = _plain(card)
    assert "Not allowed to move yet" in text and "nothing was planned or changed" in text
    assert f"--role Contributor --scope /subscriptions/{SUB[READER_ONLY]}" in text
    assert f"--role Contributor --scope /subscriptions/{READER_CSP}" in text
    assert entra.world.group(READER_CSP, "rg-app") is None, "no target group was created"

    for sub in (SUB[READER_ONLY], READER_CSP):  # the customer grants what the card says
        entra.world.directory.assignments[READER_ONLY].append(Assignment(APP, "Contributor", f"/subscriptions/{sub}"))
    connector.clear()
    await click(bot, connector, buttons(card)["Check again"], reply_to_id="plan-card")
    picker = await wait_update(connector, "Which resource groups?", "Not allowed to move yet")
    assert "Which resource groups?" in text_of(picker) and "rg-app" in text_of(picker)


async def test_a_wrong_secret_is_the_partners_fix_and_never_shown(start_bot, connector, entra):
    bot = await start_bot(**_app(entra, secret="wrong-secret-value"))
    card = await _attach(bot, connector, CONSENTED)
    text = text_of(card)
    assert "Entra refused the bot's own credential" in text and "AADSTS7000215" in text
    assert "on the partner's side" in text
    assert "wrong-secret-value" not in text and SECRET not in text


async def test_an_expired_secret_is_named(start_bot, connector, entra):
    bot = await start_bot(**_app(entra, secret="old~secret.value"))
    text = text_of(await _attach(bot, connector, CONSENTED))
    assert "Entra refused the bot's own credential" in text and "AADSTS7000222" in text and "expired" in text


async def test_a_managed_identity_that_is_not_there_is_named(start_bot, connector, entra, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", entra.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", entra.identity_header)
    unassigned = "0b0b0b0b-0000-4000-8000-0000000000b0"  # not assigned to where the bot runs
    bot = await start_bot(**_azure(entra, AZURE_CREDENTIAL="app", AZURE_CLIENT_ID=APP, AZURE_TENANT_ID=PARTNER,
                                   MANAGED_IDENTITY_CLIENT_ID=unassigned))
    text = text_of(await _attach(bot, connector, CONSENTED))
    assert "The bot's Azure identity is not available" in text and "on the partner's side" in text


async def test_an_unknown_tenant_is_named(start_bot, connector, entra):
    bot = await start_bot(**_app(entra))
    card = await _attach(bot, connector, UNKNOWN_TENANT)
    assert "Microsoft Entra knows no such tenant" in text_of(card) and "AADSTS90002" in text_of(card)


async def test_lighthouse_generates_the_delegation_the_customer_deploys(start_bot, connector, entra, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", entra.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", entra.identity_header)
    bot = await start_bot(**_azure(entra, AZURE_CREDENTIAL="lighthouse", MANAGED_IDENTITY_CLIENT_ID=MI,
                                   AZURE_TENANT_ID=PARTNER, PUBLIC_BASE_URL="http://127.0.0.1:1"))
    assert bot.settings.partner_tenant_id == ""
    card = await _attach(bot, connector, CONSENTED)
    text = text_of(card)
    assert "No Azure Lighthouse delegation" in text and "cannot delegate Owner" in text
    assert "PARTNER_TENANT_ID setting is missing" in text, "no relationship link with a placeholder"
    link = buttons(card)["Download delegation template"]["url"]
    assert buttons(card)["Deploy in the customer's portal"]["url"].startswith(
        "https://portal.azure.com/#create/Microsoft.Template/uri/")
    path = link.split("/reports/", 1)[1]
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/reports/{path}") as response:
        assert response.status == 200
        template = json.loads(await response.text())
    params = template["parameters"]
    assert params["managedByTenantId"]["defaultValue"] == PARTNER
    [auth] = params["authorizations"]["defaultValue"]
    assert auth["principalId"] == MI_PRINCIPAL, "the bot's own object id, read from its token"
    assert auth["roleDefinitionId"] == "b24988ac-6180-42a0-ab88-20f7382dd24c"  # Contributor

    # The customer deploys it on their subscription: the sandbox takes the delegation as written.
    role = {"b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor"}[auth["roleDefinitionId"]]
    entra.world.directory.delegations.append(Delegation(
        CONSENTED, SUB[CONSENTED], params["managedByTenantId"]["defaultValue"],
        [Assignment(auth["principalId"], role, f"/subscriptions/{SUB[CONSENTED]}")]))
    again = await click(bot, connector, buttons(card)["Check again"])
    assert f"Attached: {CONSENTED}" in text_of(again)
    assert f"Attached: {DELEGATED}" in text_of(await _attach(bot, connector, DELEGATED))


async def test_the_contoso_scenario_can_be_tried_with_the_partners_app(start_bot, connector, sandbox_factory):
    """What sandbox/README.md tells a developer to try: the shipped scenario, app mode, its sandbox secret."""
    contoso = await sandbox_factory("contoso")
    bot = await start_bot(**_azure(contoso, AZURE_CREDENTIAL="app",
                                   AZURE_CLIENT_ID="b07b07b0-0000-4000-8000-0000000000a1",
                                   AZURE_TENANT_ID="9a47e000-0000-4000-8000-00000000000a",
                                   AZURE_CLIENT_SECRET="sandbox-app-secret"))
    attached = _plain(await _attach(bot, connector, "contoso.onmicrosoft.com"))
    assert "Attached: contoso.onmicrosoft.com" in attached and "Every permission a move needs is granted" in attached
    fabrikam = await _attach(bot, connector, "fabrikam.onmicrosoft.com")
    assert "Open admin-consent link" in buttons(fabrikam)
