"""Defaults that fail closed: a registered bot needs its tenant allow-list and its engineers (or a customer
registry) to start; guests of the partner's tenant are refused; local mode (no inbound authentication) runs
only on the sandbox and answers only a local, non-browser client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.access import AccessPolicy, Caller
from settings import SettingsError, load_settings
from tests.support import teams

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
REGISTERED = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "x", "AZURE_CREDENTIAL": "sandbox"}
GUEST = {"id": "29:guest", "name": "Guest User", "aadObjectId": "00000000-0000-0000-0000-00000000e001"}


@pytest.mark.parametrize(("env", "said"), [
    ({}, "ALLOWED_TENANT_IDS: required when MicrosoftAppId is set"),
    ({"ALLOWED_TENANT_IDS": teams.PARTNER_TENANT}, "ENGINEER_IDS: required when MicrosoftAppId is set"),
])
def test_a_registered_bot_refuses_to_start_open_to_everyone(tmp_path: Path, env: dict[str, str], said: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft", "ARM_", "ALLOWED_",
                                                                       "ENGINEER_", "PARTNER_", "CUSTOMERS_"))}
    started = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60, env={**clean, **REGISTERED, **env,
                                              "STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})
    assert started.returncode == 2
    assert said in started.stderr


def test_a_registered_bot_starts_with_engineers_a_registry_file_or_partner_admins(tmp_path: Path) -> None:
    allowed = {**REGISTERED, "ALLOWED_TENANT_IDS": teams.PARTNER_TENANT}
    assert load_settings({**allowed, "ENGINEER_IDS": teams.ENGINEER["aadObjectId"]}).engineer_ids
    assert load_settings({**allowed, "PARTNER_ADMIN_IDS": teams.APPROVER["aadObjectId"]}).partner_admin_ids
    registry = tmp_path / "customers.json"
    registry.write_text('{"customers": []}', encoding="utf-8")
    assert load_settings({**allowed, "CUSTOMERS_FILE": str(registry)}).customers_file


def test_without_engineer_ids_a_registered_bot_has_no_engineers() -> None:
    caller = Caller(teams.PARTNER_TENANT, teams.ENGINEER["aadObjectId"], "Alex", "29:engineer")
    registered = AccessPolicy(frozenset({teams.PARTNER_TENANT}), frozenset(), frozenset(), anyone_engineers=False)
    local = AccessPolicy(frozenset({teams.PARTNER_TENANT}), frozenset(), frozenset())
    assert not registered.may_engineer(caller) and local.may_engineer(caller)


def test_local_mode_runs_only_on_the_sandbox_unless_told() -> None:
    azure = {"AZURE_CREDENTIAL": "cli", "ARM_ENDPOINT": "https://management.azure.com"}
    with pytest.raises(SettingsError, match="local mode .* runs only on the sandbox"):
        load_settings(azure)
    assert load_settings({**azure, "ALLOW_LOCAL_MODE_ON_AZURE": "true"}).allow_local_azure
    with pytest.raises(SettingsError, match="ALLOW_GUESTS"):
        load_settings({"ALLOW_GUESTS": "yes"})


async def test_a_guest_is_refused_unless_guests_are_allowed(start_bot, connector):
    bot = await start_bot()
    said_guest = {**GUEST, "userRole": "guest"}  # what Teams puts on the activity
    assert (await bot.post(teams.message("help", connector.url, user=said_guest))).status in (200, 201)
    assert connector.texts()[-1].startswith("Sorry, guests of the partner's organisation may not use this bot.")
    connector.guests.add(GUEST["id"])  # or only the roster says so
    connector.clear()
    assert (await bot.post(teams.message("help", connector.url, user=GUEST))).status in (200, 201)
    assert connector.texts() == ["Sorry, guests of the partner's organisation may not use this bot. Nothing was done."]
    assert GUEST["id"] in connector.roster_asked
    response = await bot.post(teams.card_action("assess.start", {}, connector.url, user=GUEST))
    assert "may not use this bot" in str(await response.json())
    connector.clear()
    assert (await bot.post(teams.message("help", connector.url, user=teams.ENGINEER))).status in (200, 201)
    assert "may not use this bot" not in " ".join(connector.texts())


async def test_guests_are_let_in_when_the_setting_says_so(start_bot, connector):
    bot = await start_bot(ALLOW_GUESTS="true")
    connector.guests.add(GUEST["id"])
    assert (await bot.post(teams.message("help", connector.url, user=GUEST))).status in (200, 201)
    assert "may not use this bot" not in " ".join(connector.texts()) and connector.sent


@pytest.mark.parametrize(("headers", "status"), [
    ({"Origin": "https://evil.example"}, 403),
    ({"Host": "bot.example.com"}, 403),
    ({"Content-Type": "text/plain; x=application/json"}, 415),
    ({"Content-Type": "application/json-seq"}, 415),
], ids=["origin", "foreign-host", "not-json-type", "json-like-type"])
async def test_local_mode_answers_only_a_local_client_that_is_not_a_web_page(start_bot, connector, headers, status):
    bot = await start_bot()
    url = f"{bot.url}/api/messages"
    body = teams.message("help", connector.url)
    response = await bot.session.post(url, data=json.dumps(body), headers={"Content-Type": "application/json",
                                                                          **headers})
    assert response.status == status
    assert connector.sent == []
    ok = await bot.session.post(url, data=json.dumps(body),
                                headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok.status in (200, 201)


def test_a_customers_file_naming_an_unknown_tenant_stops_the_start(tmp_path: Path) -> None:
    registry = tmp_path / "customers.json"
    registry.write_text('{"customers": [{"tenant": "nosuch.onmicrosoft.com", "name": "Nobody"}]}', encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft", "ARM_"))}
    started = subprocess.run([sys.executable, str(ROOT / "app.py"), "--sandbox"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60, env={**clean, "CUSTOMERS_FILE": str(registry), "PORT": "0",
                                                         "STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})
    assert started.returncode == 2
    assert "CUSTOMERS_FILE: Entra knows no tenant nosuch.onmicrosoft.com" in started.stderr
