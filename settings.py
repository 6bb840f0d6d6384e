"""Settings from the environment (and an optional `.env`), validated once at start-up.

The names are a contract (DESIGN.md); a wrong value stops the bot with a message naming the
variable and what is wrong, instead of failing later in the middle of a conversation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from migration.credentials import is_loopback_url

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
CREDENTIALS = ("default", "sandbox")
# Any of these means the operator configured a real Azure identity for DefaultAzureCredential.
AZURE_IDENTITY_VARS = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_USERNAME",
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
)

# What a deployment to Azure must set: infra/resources.bicep sets each one, and tests/infra checks the
# template against this list and against the names load_settings reads.
PRODUCTION_SETTINGS = (
    "HOST",
    "PORT",
    "MicrosoftAppId",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "ALLOWED_TENANT_IDS",
    "APPROVER_IDS",
    "PARTNER_TENANT_ID",
    "PUBLIC_BASE_URL",
    "AZURE_CREDENTIAL",
    "MANAGED_IDENTITY_CLIENT_ID",
    "STORAGE_URL",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
)
# An Azure Storage account name (https://learn.microsoft.com/azure/storage/common/storage-account-overview).
STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")

# botframework.connector.auth.AuthenticationConstants and botbuilder.schema.CallerIdConstants (4.17.1).
BOT_FRAMEWORK_API = "https://api.botframework.com"
BOT_FRAMEWORK_LOGIN_PREFIX = "https://login.microsoftonline.com/"
EMULATOR_OPENID_METADATA_URL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
PUBLIC_AZURE_CALLER_ID = "urn:botframework:azure"


class SettingsError(ValueError):
    """One or more settings are wrong; the message lists each variable and the problem."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allowed_tenant_ids: frozenset[str] = frozenset()
    approver_ids: frozenset[str] = frozenset()
    engineer_ids: frozenset[str] = frozenset()
    azure_credential: str = "sandbox"
    arm_endpoint: str = "https://management.azure.com"
    arm_ca_bundle: str | None = None
    storage_url: str = "sqlite:///data/bot.db"
    storage_connection_string: str | None = field(default=None, repr=False)
    # Client id of the user-assigned managed identity the bot runs as in Azure (Table Storage, telemetry).
    managed_identity_client_id: str = ""
    # Telemetry goes to Application Insights only when this is set (telemetry.py).
    applicationinsights_connection_string: str = field(default="", repr=False)
    partner_tenant_id: str = ""
    public_base_url: str = "http://127.0.0.1:3978"
    authority_host: str = "https://login.microsoftonline.com"
    # True when the bot starts its own sandbox ARM in-process (fresh clone, or `app.py --sandbox`).
    embedded_sandbox: bool = True
    # Where the keys that sign the Bot Connector's tokens are published (empty: the public cloud's).
    to_bot_from_channel_openid_metadata_url: str = ""

    @property
    def local_mode(self) -> bool:
        """No Bot registration: inbound requests are not authenticated (Agents Playground)."""
        return not self.app_id

    # Aliases with the Bot Framework's names, read by ConfigurationBotFrameworkAuthentication.
    @property
    def APP_ID(self) -> str:  # noqa: N802
        return self.app_id

    @property
    def APP_PASSWORD(self) -> str:  # noqa: N802
        return self.app_password

    @property
    def APP_TYPE(self) -> str:  # noqa: N802
        return self.app_type

    @property
    def APP_TENANTID(self) -> str:  # noqa: N802
        return self.app_tenant_id

    # With an OpenID metadata URL of its own, botbuilder switches to its "parameterized" authentication,
    # which takes every endpoint from the configuration: the public cloud's are given (those botbuilder's
    # built-in public-cloud authentication uses), with the metadata URL replaced. None: built-in behaviour.
    @property
    def TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL(self) -> str | None:  # noqa: N802
        return self.to_bot_from_channel_openid_metadata_url or None

    def _public_cloud(self, value: str) -> str | None:
        return value if self.to_bot_from_channel_openid_metadata_url else None

    @property
    def TO_BOT_FROM_CHANNEL_TOKEN_ISSUER(self) -> str | None:  # noqa: N802
        return self._public_cloud(BOT_FRAMEWORK_API)

    @property
    def TO_CHANNEL_FROM_BOT_OAUTH_SCOPE(self) -> str | None:  # noqa: N802
        return self._public_cloud(BOT_FRAMEWORK_API)

    @property
    def TO_CHANNEL_FROM_BOT_LOGIN_URL(self) -> str | None:  # noqa: N802
        return self._public_cloud(BOT_FRAMEWORK_LOGIN_PREFIX)

    @property
    def OAUTH_URL(self) -> str | None:  # noqa: N802
        return self._public_cloud(BOT_FRAMEWORK_API)

    @property
    def TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL(self) -> str | None:  # noqa: N802
        return self._public_cloud(EMULATOR_OPENID_METADATA_URL)

    @property
    def CALLER_ID(self) -> str | None:  # noqa: N802
        return self._public_cloud(PUBLIC_AZURE_CALLER_ID)


def _guid_set(env: Mapping[str, str], name: str, errors: list[str]) -> frozenset[str]:
    raw = env.get(name, "")
    values = [v.strip() for v in re.split(r"[,;\s]+", raw) if v.strip()]
    bad = [v for v in values if not GUID.match(v)]
    if bad:
        errors.append(f"{name}: {', '.join(bad[:3])} is not a GUID (expected comma-separated GUIDs)")
    return frozenset(v.lower() for v in values if GUID.match(v))


def _url(env: Mapping[str, str], name: str, default: str, errors: list[str]) -> str:
    value = env.get(name, "").strip() or default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        errors.append(f"{name}: {value!r} is not an http(s) URL")
    return value.rstrip("/")


def load_settings(env: Mapping[str, str] | None = None, *, force_sandbox: bool = False) -> Settings:
    """Read and validate. `env=None` reads os.environ after loading `.env` (never overriding)."""
    if env is None:
        try:
            from dotenv import load_dotenv

            load_dotenv(Path.cwd() / ".env", override=False)
        except ImportError:  # pragma: no cover - python-dotenv is a pinned dependency
            pass
        env = os.environ
    errors: list[str] = []

    host = env.get("HOST", "").strip() or "127.0.0.1"
    port_raw = env.get("PORT", "").strip() or "3978"
    port = 3978
    if not port_raw.isdigit() or not 0 <= int(port_raw) <= 65535:
        errors.append(f"PORT: {port_raw!r} is not a port number (0-65535)")
    else:
        port = int(port_raw)

    app_id = env.get("MicrosoftAppId", "").strip()
    app_password = env.get("MicrosoftAppPassword", "")
    app_type = env.get("MicrosoftAppType", "").strip() or "MultiTenant"
    app_tenant_id = env.get("MicrosoftAppTenantId", "").strip()
    if app_id and not GUID.match(app_id):
        errors.append("MicrosoftAppId: must be the Bot registration's application id (a GUID)")
    if app_type not in APP_TYPES:
        errors.append(f"MicrosoftAppType: {app_type!r} is not one of {', '.join(APP_TYPES)}")
    if app_id and app_type == "MultiTenant" and not app_password:
        errors.append("MicrosoftAppPassword: required when MicrosoftAppId is set (MultiTenant)")
    if app_id and app_type == "SingleTenant" and not app_password:
        errors.append("MicrosoftAppPassword: required when MicrosoftAppId is set (SingleTenant)")
    if app_tenant_id and not GUID.match(app_tenant_id):
        errors.append("MicrosoftAppTenantId: must be a GUID")
    if app_id and app_type in ("SingleTenant", "UserAssignedMSI") and not app_tenant_id:
        errors.append(f"MicrosoftAppTenantId: required when MicrosoftAppType is {app_type}")

    allowed = _guid_set(env, "ALLOWED_TENANT_IDS", errors)
    approvers = _guid_set(env, "APPROVER_IDS", errors)
    engineers = _guid_set(env, "ENGINEER_IDS", errors)

    explicit_endpoint = env.get("ARM_ENDPOINT", "").strip()
    arm_endpoint = _url(env, "ARM_ENDPOINT", "https://management.azure.com", errors)
    credential = env.get("AZURE_CREDENTIAL", "").strip().lower()
    if credential and credential not in CREDENTIALS:
        errors.append(f"AZURE_CREDENTIAL: {credential!r} is not one of {', '.join(CREDENTIALS)}")
    if not credential:
        has_azure = any(env.get(v) for v in AZURE_IDENTITY_VARS)
        credential = "default" if has_azure else "sandbox"
    if force_sandbox:
        credential = "sandbox"
    embedded = force_sandbox or (credential == "sandbox" and not explicit_endpoint)
    if credential == "sandbox" and not embedded and not is_loopback_url(arm_endpoint):
        errors.append(
            "ARM_ENDPOINT: the sandbox credential only talks to a loopback endpoint "
            f"(got {arm_endpoint}); set AZURE_CREDENTIAL=default for real Azure"
        )

    ca_bundle = env.get("ARM_CA_BUNDLE", "").strip() or None
    if ca_bundle and not Path(ca_bundle).is_file():
        errors.append(f"ARM_CA_BUNDLE: no file at {ca_bundle}")

    storage_url = env.get("STORAGE_URL", "").strip() or "sqlite:///data/bot.db"
    connection_string = env.get("AZURE_STORAGE_CONNECTION_STRING", "").strip() or None
    if storage_url.startswith("sqlite:///"):
        if not storage_url.removeprefix("sqlite:///"):
            errors.append("STORAGE_URL: sqlite:/// needs a file path, e.g. sqlite:///data/bot.db")
    elif storage_url.startswith("azure-table://"):
        # With a connection string the rest is a table prefix; without, it names the account, reached
        # with an Entra ID token (the managed identity in Azure).
        if not connection_string:
            target = storage_url.removeprefix("azure-table://")
            address, _, account = target.partition("/")
            if not target:
                errors.append(
                    "STORAGE_URL: azure-table:// needs the storage account (azure-table://<account>) "
                    "or AZURE_STORAGE_CONNECTION_STRING"
                )
            name = account or address  # azure-table://<account>, or azure-table://<host[:port]>/<account>
            if not STORAGE_ACCOUNT.match(name):
                errors.append(f"STORAGE_URL: {name!r} is not a storage account name (3-24 lowercase letters, digits)")
    else:
        errors.append(f"STORAGE_URL: {storage_url!r} must start with sqlite:/// or azure-table://")

    identity_client_id = env.get("MANAGED_IDENTITY_CLIENT_ID", "").strip()
    if identity_client_id and not GUID.match(identity_client_id):
        errors.append("MANAGED_IDENTITY_CLIENT_ID: must be the managed identity's client id (a GUID)")
    insights = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip()
    if insights and "InstrumentationKey=" not in insights:
        errors.append("APPLICATIONINSIGHTS_CONNECTION_STRING: not an Application Insights connection string")

    partner = env.get("PARTNER_TENANT_ID", "").strip()
    if partner and not GUID.match(partner):
        errors.append("PARTNER_TENANT_ID: must be the partner's Entra tenant id (a GUID)")

    public_base = _url(env, "PUBLIC_BASE_URL", f"http://{host}:{port}", errors)
    authority = _url(env, "AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com", errors)

    metadata_url = env.get("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL", "").strip()
    if metadata_url:
        parsed = urlparse(metadata_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors.append(f"TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: {metadata_url!r} is not an http(s) URL")
        elif parsed.scheme == "http" and not is_loopback_url(metadata_url):
            # The document names the keys every inbound token is checked against: never over plain HTTP.
            errors.append("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: must be https (http only on a loopback address)")

    if errors:
        raise SettingsError("Invalid settings:\n" + "\n".join(f"  - {e}" for e in errors))
    return Settings(
        host=host,
        port=port,
        app_id=app_id,
        app_password=app_password,
        app_type=app_type,
        app_tenant_id=app_tenant_id,
        allowed_tenant_ids=allowed,
        approver_ids=approvers,
        engineer_ids=engineers,
        azure_credential=credential,
        arm_endpoint=arm_endpoint,
        arm_ca_bundle=ca_bundle,
        storage_url=storage_url,
        storage_connection_string=connection_string,
        managed_identity_client_id=identity_client_id.lower(),
        applicationinsights_connection_string=insights,
        partner_tenant_id=partner.lower(),
        public_base_url=public_base,
        authority_host=authority,
        embedded_sandbox=embedded,
        to_bot_from_channel_openid_metadata_url=metadata_url,
    )
