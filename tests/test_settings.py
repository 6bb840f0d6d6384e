"""Settings: defaults for a fresh clone, and every wrong value named at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings import BotSdk, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]
GUID = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def test_a_fresh_clone_runs_locally_on_the_embedded_sandbox() -> None:
    settings = load_settings({})
    assert settings.local_mode and settings.embedded_sandbox
    assert settings.azure_credential == "sandbox"
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.storage_url == "sqlite:///data/bot.db"
    assert settings.public_base_url == "http://127.0.0.1:3978"


PARTNER = "0a0a0a0a-0000-4000-8000-00000000000a"
MI = "e1e1e1e1-0000-4000-8000-0000000000e1"
# Local mode on real Azure only when told (tests/bot/test_fail_closed.py): these read how the bot acts there.
ON_AZURE = {"ALLOW_LOCAL_MODE_ON_AZURE": "true"}
APP_SECRET = {"AZURE_CREDENTIAL": "app", "AZURE_CLIENT_ID": GUID, "AZURE_TENANT_ID": PARTNER,
              "AZURE_CLIENT_SECRET": "s3cr3t-app-value", **ON_AZURE}


def test_the_partners_app_switches_to_real_azure() -> None:
    settings = load_settings(APP_SECRET)
    assert settings.azure_credential == "app" and not settings.embedded_sandbox
    assert settings.arm_endpoint == "https://management.azure.com"
    identity = settings.identity
    assert (identity.client_id, identity.tenant_id, identity.kind) == (GUID, PARTNER, "client secret")
    assert "s3cr3t-app-value" not in repr(settings) and "s3cr3t-app-value" not in repr(identity)


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"AZURE_CREDENTIAL": "app", "AZURE_CLIENT_ID": GUID, "AZURE_TENANT_ID": PARTNER,
          "MANAGED_IDENTITY_CLIENT_ID": MI, **ON_AZURE}, "federated credential (managed identity)"),
        ({"AZURE_CREDENTIAL": "lighthouse", "MANAGED_IDENTITY_CLIENT_ID": MI, **ON_AZURE}, "managed identity"),
        ({"AZURE_CREDENTIAL": "cli", **ON_AZURE}, "Azure CLI login"),
    ],
)
def test_each_way_of_acting_is_accepted(env: dict[str, str], kind: str) -> None:
    settings = load_settings(env)
    assert settings.identity.kind == kind and not settings.embedded_sandbox


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"AZURE_CREDENTIAL": "app", "AZURE_CLIENT_ID": GUID, "AZURE_CLIENT_SECRET": "x"}, "AZURE_TENANT_ID"),
        ({"AZURE_CREDENTIAL": "app", "AZURE_CLIENT_ID": GUID, "AZURE_TENANT_ID": PARTNER}, "AZURE_CLIENT_SECRET"),
        ({**APP_SECRET, "MANAGED_IDENTITY_CLIENT_ID": MI}, "AZURE_CLIENT_SECRET"),
        ({"AZURE_CREDENTIAL": "lighthouse", "AZURE_CLIENT_ID": GUID}, "MANAGED_IDENTITY_CLIENT_ID"),
        ({"AZURE_CREDENTIAL": "app", "AZURE_CLIENT_ID": GUID, "AZURE_TENANT_ID": PARTNER,
          "AZURE_CLIENT_CERTIFICATE_PATH": "/nowhere/cert.pem"}, "AZURE_CLIENT_CERTIFICATE_PATH"),
        ({"AZURE_CLIENT_ID": GUID}, "AZURE_CREDENTIAL"),
        ({"AZURE_CREDENTIAL": "default"}, "AZURE_CREDENTIAL"),
    ],
)
def test_each_way_of_acting_is_validated_at_start(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert f"{named}:" in str(raised.value)


def test_without_inbound_authentication_the_bot_listens_on_loopback_only() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"HOST": "0.0.0.0"})
    assert "HOST:" in str(raised.value) and "forged" in str(raised.value)
    assert load_settings({"HOST": "::1"}).host == "::1"
    registered = {"MicrosoftAppId": GUID, "MicrosoftAppPassword": "x", "AZURE_CREDENTIAL": "sandbox",
                  "ALLOWED_TENANT_IDS": GUID, "ENGINEER_IDS": GUID}
    assert load_settings({**registered, "HOST": "0.0.0.0"}).host == "0.0.0.0"


def test_a_registered_bot_never_falls_back_to_the_sandbox_by_itself() -> None:
    registered = {"MicrosoftAppId": GUID, "MicrosoftAppPassword": "x", "ALLOWED_TENANT_IDS": GUID,
                  "ENGINEER_IDS": GUID}
    with pytest.raises(SettingsError) as raised:
        load_settings(registered)
    assert "AZURE_CREDENTIAL: required when MicrosoftAppId is set" in str(raised.value)
    assert load_settings({**registered, "AZURE_CREDENTIAL": "sandbox"}).embedded_sandbox
    assert load_settings(registered, force_sandbox=True).embedded_sandbox


def test_lists_of_ids_accept_commas_spaces_and_case() -> None:
    settings = load_settings({"APPROVER_IDS": f"{GUID.upper()}, 00000000-0000-0000-0000-00000000a002"})
    assert settings.approver_ids == {GUID, "00000000-0000-0000-0000-00000000a002"}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"BOT_SDK": "teams-ai"}, "BOT_SDK"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId"),
        ({"MicrosoftAppId": GUID, "AZURE_CREDENTIAL": "sandbox"}, "MicrosoftAppPassword"),
        ({"MicrosoftAppType": "Anything"}, "MicrosoftAppType"),
        (
            {"MicrosoftAppId": GUID, "MicrosoftAppType": "SingleTenant", "MicrosoftAppPassword": "x"},
            "MicrosoftAppTenantId",
        ),
        ({"ALLOWED_TENANT_IDS": "contoso.com"}, "ALLOWED_TENANT_IDS"),
        ({"APPROVER_IDS": "megan@contoso.com"}, "APPROVER_IDS"),
        ({"AZURE_CREDENTIAL": "password"}, "AZURE_CREDENTIAL"),
        ({"AZURE_CREDENTIAL": "sandbox", "ARM_ENDPOINT": "https://management.azure.com"}, "ARM_ENDPOINT"),
        ({"ARM_CA_BUNDLE": "/nowhere/ca.pem"}, "ARM_CA_BUNDLE"),
        ({"STORAGE_URL": "postgres://db"}, "STORAGE_URL"),
        ({"STORAGE_URL": "azure-table://"}, "STORAGE_URL"),
        ({"STORAGE_URL": "azure-table://Bot_State"}, "STORAGE_URL"),
        ({"STORAGE_URL": "azure-table://127.0.0.1:10002/Dev_Account"}, "STORAGE_URL"),
        ({"MANAGED_IDENTITY_CLIENT_ID": "bot-identity"}, "MANAGED_IDENTITY_CLIENT_ID"),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "https://dc.services"}, "APPLICATIONINSIGHTS_CONNECTION_STRING"),
        ({"PARTNER_TENANT_ID": "fabrikam"}, "PARTNER_TENANT_ID"),
        ({"PUBLIC_BASE_URL": "bot.example.com"}, "PUBLIC_BASE_URL"),
    ],
)
def test_each_wrong_value_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert f"{named}:" in str(raised.value)


def test_secrets_never_appear_in_the_settings_repr() -> None:
    settings = load_settings({"MicrosoftAppId": GUID, "MicrosoftAppPassword": "s3cr3t-value",
                              "AZURE_CREDENTIAL": "sandbox", "ALLOWED_TENANT_IDS": GUID, "ENGINEER_IDS": GUID})
    assert "s3cr3t-value" not in repr(settings)


def test_the_bot_refuses_to_start_and_says_which_setting_is_wrong(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft"))}
    env.update({"PORT": "eighty", "APPROVER_IDS": "megan@contoso.com"})
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "PORT: 'eighty' is not a port number" in done.stderr
    assert "APPROVER_IDS:" in done.stderr
    assert not (tmp_path / "data").exists(), "nothing was started or written"


def test_table_storage_on_entra_id_needs_only_the_account() -> None:
    settings = load_settings({"STORAGE_URL": "azure-table://stbotfabrikam", "MANAGED_IDENTITY_CLIENT_ID": GUID,
                              "AZURE_CREDENTIAL": "lighthouse", **ON_AZURE})
    assert settings.storage_url == "azure-table://stbotfabrikam"
    assert settings.storage_connection_string is None
    assert settings.managed_identity_client_id.lower() == GUID.lower()


def test_table_storage_at_an_address_of_its_own_keeps_the_bot_address() -> None:
    settings = load_settings({"HOST": "localhost", "STORAGE_URL": "azure-table://127.0.0.1:10002/devstoreaccount1"})
    assert settings.host == "localhost"
    assert settings.storage_url == "azure-table://127.0.0.1:10002/devstoreaccount1"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"HOST": "0.0.0.0"}, "HOST: '0.0.0.0' is not a loopback address"),
        ({"MicrosoftAppId": GUID, "MicrosoftAppPassword": "x"}, "AZURE_CREDENTIAL: required when MicrosoftAppId"),
    ],
    ids=["exposed-without-inbound-auth", "registered-without-azure-identity"],
)
def test_unsafe_set_ups_do_not_start(tmp_path: Path, env: dict[str, str], said: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft", "HOST"))}
    done = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and said in done.stderr
    assert not (tmp_path / "data").exists(), "nothing was started or written"


@pytest.mark.parametrize(("value", "sdk"), [("", BotSdk.BOTBUILDER), ("botbuilder", BotSdk.BOTBUILDER),
                                            ("agents", BotSdk.AGENTS), (" Agents ", BotSdk.AGENTS)])
def test_the_teams_edge_is_botbuilder_unless_agents_is_asked_for(value: str, sdk: BotSdk) -> None:
    assert load_settings({"BOT_SDK": value}).bot_sdk is sdk
