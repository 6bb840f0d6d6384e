"""Settings: defaults for a fresh clone, and every wrong value named at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
GUID = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def test_a_fresh_clone_runs_locally_on_the_embedded_sandbox() -> None:
    settings = load_settings({})
    assert settings.local_mode and settings.embedded_sandbox
    assert settings.azure_credential == "sandbox"
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.storage_url == "sqlite:///data/bot.db"
    assert settings.public_base_url == "http://127.0.0.1:3978"


def test_azure_identity_settings_switch_to_real_azure() -> None:
    settings = load_settings({"AZURE_CLIENT_ID": GUID})
    assert settings.azure_credential == "default" and not settings.embedded_sandbox
    assert settings.arm_endpoint == "https://management.azure.com"


def test_lists_of_ids_accept_commas_spaces_and_case() -> None:
    settings = load_settings({"APPROVER_IDS": f"{GUID.upper()}, 00000000-0000-0000-0000-00000000a002"})
    assert settings.approver_ids == {GUID, "00000000-0000-0000-0000-00000000a002"}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId"),
        ({"MicrosoftAppId": GUID}, "MicrosoftAppPassword"),
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
    settings = load_settings({"MicrosoftAppId": GUID, "MicrosoftAppPassword": "s3cr3t-value"})
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
    settings = load_settings({"STORAGE_URL": "azure-table://stbotfabrikam", "MANAGED_IDENTITY_CLIENT_ID": GUID})
    assert settings.storage_url == "azure-table://stbotfabrikam"
    assert settings.storage_connection_string is None
    assert settings.managed_identity_client_id == GUID.lower()


def test_table_storage_at_an_address_of_its_own_keeps_the_bot_address() -> None:
    settings = load_settings({"HOST": "0.0.0.0", "STORAGE_URL": "azure-table://127.0.0.1:10002/devstoreaccount1"})
    assert settings.host == "0.0.0.0"
    assert settings.storage_url == "azure-table://127.0.0.1:10002/devstoreaccount1"
