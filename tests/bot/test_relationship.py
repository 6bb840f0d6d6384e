"""Attach reads the partner's billing side, end to end: Teams-shaped `attach` to /api/messages, the real app in
each credential mode getting its partner-tenant token from the sandbox's Entra, the sandbox deciding from its own
billing facts. The card says the relationship and Azure plan are confirmed; or that the customer has no Azure plan
on the billing account yet (which does not prove there is no relationship), with the Partner Center step; or that
the billing side could not be read, and what to do. Check again reads it anew."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sandbox import Sandbox
from tests.support.cardtools import buttons, click, command_card, text_of
from tests.support.identities import (
    APP,
    CONSENTED,
    DELEGATED,
    MI,
    MI_PRINCIPAL,
    PARTNER,
    READER_ONLY,
    SECRET,
    fake_az,
    scenario,
)

ACCOUNT = "0a0a0a0a-0000-4000-8000-0000000000b1:0a0a0a0a-0000-4000-8000-0000000000b2_2019-05-31"
OTHER_ACCOUNT = "0a0a0a0a-0000-4000-8000-0000000000b3:0a0a0a0a-0000-4000-8000-0000000000b4_2019-05-31"
CONFIRMED = "✓ Reseller relationship and Azure plan confirmed"
NO_PLAN = "No Azure plan for this customer on the billing account"
UNREADABLE = "The partner's billing side could not be read"


def _account(name: str, display: str, customers: dict[str, bool], agents: list[str]) -> dict[str, Any]:
    return {"name": name, "displayName": display, "tenantId": PARTNER, "agreementType": "MicrosoftPartnerAgreement",
            "adminAgents": agents, "customers": [{"tenantId": t, "displayName": f"Customer {t[:4]}", "azurePlan": p}
                                                 for t, p in customers.items()]}


def _billing(*accounts: dict[str, Any]) -> dict[str, Any]:
    return {**scenario(), "billingAccounts": list(accounts)}


PARTNER_SIDE = _billing(_account(ACCOUNT, "Partner MPA", {CONSENTED: True, READER_ONLY: False, DELEGATED: True},
                                 [APP, MI_PRINCIPAL]))


def _azure(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {"ARM_ENDPOINT": sandbox.url, "ARM_CA_BUNDLE": str(sandbox.ca_path), "AZURE_AUTHORITY_HOST": sandbox.url,
            **extra}


def _app(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return _azure(sandbox, AZURE_CREDENTIAL="app", AZURE_CLIENT_ID=APP, AZURE_TENANT_ID=PARTNER,
                  AZURE_CLIENT_SECRET=SECRET, PARTNER_TENANT_ID=PARTNER, **extra)


async def _attach(bot, connector, tenant: str) -> dict:
    return await command_card(bot, connector, f"attach {tenant}")


async def test_a_customer_on_an_azure_plan_is_confirmed(start_bot, connector, sandbox_factory):
    sb = await sandbox_factory(PARTNER_SIDE)
    bot = await start_bot(**_app(sb))
    card = await _attach(bot, connector, CONSENTED)
    text = text_of(card)
    assert CONFIRMED in text and "Microsoft Azure Plan" in text and "Partner MPA" in text
    assert f"/providers/Microsoft.Billing/billingAccounts/{ACCOUNT}/customers/{CONSENTED}" in text
    assert NO_PLAN not in text and UNREADABLE not in text


async def test_no_azure_plan_says_what_it_does_not_prove_and_the_step_then_check_again(start_bot, connector,
                                                                                      sandbox_factory):
    sb = await sandbox_factory(PARTNER_SIDE)
    bot = await start_bot(**_app(sb))
    card = await _attach(bot, connector, READER_ONLY)
    text = text_of(card)
    assert NO_PLAN in text and "does not prove there is no reseller relationship" in text
    assert "Add products" in text and "Azure plan" in text
    assert f"partnerId={PARTNER}" in text, "the invitation, should there be no relationship yet"
    assert CONFIRMED not in text

    sb.world.partner.account(ACCOUNT).customers[READER_ONLY.lower()].azure_plan = True  # done in Partner Center
    again = await click(bot, connector, buttons(card)["Check again"])
    assert CONFIRMED in text_of(again)


async def test_without_the_admin_agent_role_the_billing_side_could_not_be_read(start_bot, connector,
                                                                              sandbox_factory):
    sb = await sandbox_factory(_billing(_account(ACCOUNT, "Partner MPA", {CONSENTED: True}, [])))
    bot = await start_bot(**_app(sb))
    text = text_of(card := await _attach(bot, connector, CONSENTED))
    assert UNREADABLE in text and "sees no Microsoft Partner Agreement billing account" in text
    assert "Admin Agent" in text and "BILLING_ACCOUNT_ID" in text
    assert CONFIRMED not in text and NO_PLAN not in text, "an unreadable billing side proves nothing"
    assert "Attached:" in text, "the customer's own access is still shown"

    named = await start_bot(**_app(sb, BILLING_ACCOUNT_ID=ACCOUNT))  # the account named: Azure's refusal shows
    text = text_of(await _attach(named, connector, CONSENTED))
    assert UNREADABLE in text and "AuthorizationFailed" in text

    sb.world.partner.account(ACCOUNT).admin_agents.add(APP.lower())  # the role granted in Partner Center
    assert CONFIRMED in text_of(await click(bot, connector, buttons(card)["Check again"]))


async def test_billing_account_id_chooses_the_account(start_bot, connector, sandbox_factory):
    sb = await sandbox_factory(_billing(_account(ACCOUNT, "Partner MPA", {}, [APP]),
                                        _account(OTHER_ACCOUNT, "Second MPA", {CONSENTED: True}, [APP])))
    text = text_of(await _attach(await start_bot(**_app(sb)), connector, CONSENTED))
    assert CONFIRMED in text and "Second MPA" in text
    text = text_of(await _attach(await start_bot(**_app(sb, BILLING_ACCOUNT_ID=ACCOUNT)), connector, CONSENTED))
    assert NO_PLAN in text and "Partner MPA" in text


async def test_lighthouse_reads_billing_with_its_partner_tenant_token(start_bot, connector, sandbox_factory,
                                                                      monkeypatch):
    sb = await sandbox_factory(PARTNER_SIDE)
    monkeypatch.setenv("IDENTITY_ENDPOINT", sb.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", sb.identity_header)
    bot = await start_bot(**_azure(sb, AZURE_CREDENTIAL="lighthouse", MANAGED_IDENTITY_CLIENT_ID=MI,
                                   AZURE_TENANT_ID=PARTNER))
    assert CONFIRMED in text_of(await _attach(bot, connector, DELEGATED))


async def test_azure_cli_asks_the_partner_tenant(start_bot, connector, sandbox_factory, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch):
    sb = await sandbox_factory(PARTNER_SIDE)
    bin_dir = fake_az(tmp_path, authority=sb.url, ca=str(sb.ca_path))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    bot = await start_bot(**_azure(sb, AZURE_CREDENTIAL="cli", PARTNER_TENANT_ID=PARTNER))
    assert CONFIRMED in text_of(await _attach(bot, connector, CONSENTED))


async def test_the_sandbox_credential_reads_the_contoso_partner(start_bot, connector, sandbox_factory):
    sb = await sandbox_factory("contoso")
    bot = await start_bot(**_azure(sb, AZURE_CREDENTIAL="sandbox"))
    assert CONFIRMED in text_of(await _attach(bot, connector, "contoso.onmicrosoft.com"))
