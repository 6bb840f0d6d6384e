"""Settings from the environment (and an optional `.env`), validated once at start-up.

The names are a contract (the README's settings table, the deployment template); a wrong value stops
the bot with a message naming the variable and what is wrong, instead of failing later in the middle
of a conversation.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlparse

from dialogs.inputs import DOMAIN
from migration.application.assessment_queue import QueueLimits
from migration.application.customers import FileEntry
from migration.azure.credentials import MODES, IdentityConfig, is_loopback_url

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
CREDENTIALS = MODES  # app, lighthouse, cli, sandbox (migration.azure.credentials)
# Any of these means the operator set up an Azure identity: then AZURE_CREDENTIAL must say how to use it.
AZURE_IDENTITY_VARS = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "MANAGED_IDENTITY_CLIENT_ID",
)

# What a deployment to Azure must set: infra/resources.bicep sets each one, and tests/infra checks the
# template against this list and against the names load_settings reads.
PRODUCTION_SETTINGS = (
    "HOST",
    "PORT",
    "BOT_SDK",
    "MicrosoftAppId",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "ALLOWED_TENANT_IDS",
    "APPROVER_IDS",
    "PARTNER_ADMIN_IDS",
    "PARTNER_TENANT_ID",
    "PUBLIC_BASE_URL",
    "AZURE_CREDENTIAL",
    "MANAGED_IDENTITY_CLIENT_ID",
    "STORAGE_URL",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
)
# An Azure Storage account name (https://learn.microsoft.com/azure/storage/common/storage-account-overview).
STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
# A billing account's name: a Microsoft Partner Agreement's is "{guid}:{guid}_2019-05-31" (Microsoft.Billing).
BILLING_ACCOUNT = re.compile(r"^[0-9A-Za-z][0-9A-Za-z:_.-]{0,199}$")

# botframework.connector.auth.AuthenticationConstants and botbuilder.schema.CallerIdConstants (4.17.1).
BOT_FRAMEWORK_API = "https://api.botframework.com"
BOT_FRAMEWORK_LOGIN_PREFIX = "https://login.microsoftonline.com/"
EMULATOR_OPENID_METADATA_URL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
PUBLIC_AZURE_CALLER_ID = "urn:botframework:azure"


class BotSdk(StrEnum):
    """The Teams SDK the bot's edge runs on (BOT_SDK); docs/TEAMS_EDGE.md compares them."""

    BOTBUILDER = "botbuilder"  # Bot Framework SDK 4.17 (archived, no more fixes)
    AGENTS = "agents"  # Microsoft 365 Agents SDK 1.9, its supported successor


class SettingsError(ValueError):
    """One or more settings are wrong; the message lists each variable and the problem."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    bot_sdk: BotSdk = BotSdk.BOTBUILDER
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allowed_tenant_ids: frozenset[str] = frozenset()
    approver_ids: frozenset[str] = frozenset()
    engineer_ids: frozenset[str] = frozenset()
    azure_credential: str = "sandbox"
    azure_client_id: str = ""
    azure_tenant_id: str = ""
    azure_client_secret: str = field(default="", repr=False)
    azure_client_certificate_path: str = ""
    managed_identity_client_id: str = ""
    arm_endpoint: str = "https://management.azure.com"
    arm_ca_bundle: str | None = None
    storage_url: str = "sqlite:///data/bot.db"
    storage_connection_string: str | None = field(default=None, repr=False)
    # Telemetry goes to Application Insights only when this is set (telemetry.py).
    applicationinsights_connection_string: str = field(default="", repr=False)
    partner_tenant_id: str = ""
    billing_account_id: str = ""  # the partner's MPA billing account, when the bot should not pick it
    public_base_url: str = "http://127.0.0.1:3978"
    authority_host: str = "https://login.microsoftonline.com"
    # True when the bot starts its own sandbox ARM in-process (fresh clone, or `app.py --sandbox`).
    embedded_sandbox: bool = True
    # Where the keys that sign the Bot Connector's tokens are published (empty: the public cloud's).
    to_bot_from_channel_openid_metadata_url: str = ""
    # Who manages the customer registry in chat: Entra object ids of users or security groups.
    partner_admin_ids: frozenset[str] = frozenset()
    customers: tuple[FileEntry, ...] = ()  # CUSTOMERS_FILE, read at start-up
    customers_file: str = ""
    graph_endpoint: str = "https://graph.microsoft.com"
    graph_endpoint_set: bool = False  # GRAPH_ENDPOINT given (else the sandbox's own, on the sandbox)
    group_cache_seconds: float = 300.0
    allow_guests: bool = False  # B2B guests of the partner's tenant (the Teams roster says guest)
    # Local mode (no inbound authentication) against a non-loopback Azure: only when this says so.
    allow_local_azure: bool = False
    assessment_limits: QueueLimits = field(default_factory=QueueLimits)  # ASSESSMENT_WORKERS and the queue's bounds
    assessment_read_reserve: int = 100  # ARM reads of a subscription's bucket the workers leave to moves

    @property
    def identity(self) -> IdentityConfig:
        """How the bot acts in customers' tenants (migration.azure.credentials)."""
        return IdentityConfig(
            mode=self.azure_credential, client_id=self.azure_client_id, tenant_id=self.azure_tenant_id,
            client_secret=self.azure_client_secret, certificate_path=self.azure_client_certificate_path,
            managed_identity_client_id=self.managed_identity_client_id, authority_host=self.authority_host,
            ca_bundle=self.arm_ca_bundle, partner_tenant_id=self.partner_tenant_id)

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


def customers_file(path: str) -> tuple[FileEntry, ...]:
    """CUSTOMERS_FILE: `{"customers": [{"tenant", "name", "engineers", "approvers", "subscriptions"?}]}`;
    SettingsError naming the entry and what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"CUSTOMERS_FILE: cannot read {path} ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise SettingsError(f"CUSTOMERS_FILE: {path} is not JSON (line {error.lineno}: {error.msg})") from None
    entries = data.get("customers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SettingsError('CUSTOMERS_FILE: expected {"customers": [{"tenant": ..., "name": ..., "engineers": [...], '
                            '"approvers": [...]}]}')
    found: list[FileEntry] = []
    problems: list[str] = []
    for n, entry in enumerate(entries, 1):
        where = f"CUSTOMERS_FILE: customer {n}"
        if not isinstance(entry, dict):
            problems.append(f"{where} is not an object")
            continue
        unknown = set(entry) - {"tenant", "name", "engineers", "approvers", "subscriptions"}
        tenant, name = entry.get("tenant"), entry.get("name")
        if unknown:
            problems.append(f"{where}: unknown field {sorted(unknown)[0]!r}")
        if not isinstance(tenant, str) or not (GUID.match(tenant) or DOMAIN.match(tenant)):
            problems.append(f"{where}: 'tenant' must be a tenant id (GUID) or a verified domain")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: 'name' is missing")
            continue
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("engineers", "approvers", "subscriptions"):
            values = entry.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and GUID.match(v) for v in values):
                problems.append(f"{where} ({tenant}): {key!r} must be a list of Entra object ids (GUIDs)")
                values = []
            lists[key] = tuple(sorted({v.lower() for v in values}))
        found.append(FileEntry(tenant.lower(), " ".join(name.split())[:120], lists["engineers"], lists["approvers"],
                               lists["subscriptions"]))
    tenants = [e.tenant for e in found]
    problems += [f"CUSTOMERS_FILE: {t} is listed twice" for t in sorted({t for t in tenants if tenants.count(t) > 1})]
    if problems:
        raise SettingsError("\n".join(problems))
    return tuple(found)


def _flag(env: Mapping[str, str], name: str, errors: list[str]) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in ("", "true", "false"):
        errors.append(f"{name}: {raw!r} is not true or false")
    return raw == "true"


def _count(env: Mapping[str, str], name: str, default: int, top: int, errors: list[str], *, low: int = 1) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit() or not low <= int(raw) <= top:
        errors.append(f"{name}: {raw!r} is not a whole number from {low} to {top}")
        return default
    return int(raw)


def _url(env: Mapping[str, str], name: str, default: str, errors: list[str]) -> str:
    value = env.get(name, "").strip() or default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        errors.append(f"{name}: {value!r} is not an http(s) URL")
    return value.rstrip("/")


def _loopback_host(host: str) -> bool:
    return is_loopback_url(f"http://{host if ':' not in host else f'[{host}]'}/")


def _identity(env: Mapping[str, str], mode: str, errors: list[str]) -> dict[str, str]:
    """The Azure identity settings (azure-identity's names), checked for the chosen mode."""
    values = {name: env.get(name, "").strip() for name in AZURE_IDENTITY_VARS}
    values["AZURE_CLIENT_SECRET"] = env.get("AZURE_CLIENT_SECRET", "")  # as given: a secret is never trimmed
    client, tenant = values["AZURE_CLIENT_ID"], values["AZURE_TENANT_ID"]
    secret, cert, mi = values["AZURE_CLIENT_SECRET"], values["AZURE_CLIENT_CERTIFICATE_PATH"], \
        values["MANAGED_IDENTITY_CLIENT_ID"]
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "MANAGED_IDENTITY_CLIENT_ID"):
        if values[name] and not GUID.match(values[name]):
            errors.append(f"{name}: must be a GUID")
    if cert and not Path(cert).is_file():
        errors.append(f"AZURE_CLIENT_CERTIFICATE_PATH: no file at {cert}")
    if mode == "app":
        for name, value in (("AZURE_CLIENT_ID", client), ("AZURE_TENANT_ID", tenant)):
            if not value:
                errors.append(f"{name}: required when AZURE_CREDENTIAL=app (the partner's multi-tenant app and "
                              "its home tenant)")
        given = [n for n, v in (("AZURE_CLIENT_SECRET", secret), ("AZURE_CLIENT_CERTIFICATE_PATH", cert),
                                ("MANAGED_IDENTITY_CLIENT_ID", mi)) if v]
        if len(given) != 1:
            errors.append("AZURE_CLIENT_SECRET: AZURE_CREDENTIAL=app needs exactly one of AZURE_CLIENT_SECRET, "
                          "AZURE_CLIENT_CERTIFICATE_PATH or MANAGED_IDENTITY_CLIENT_ID (secretless, in Azure)"
                          + (f"; got {', '.join(given)}" if given else ""))
    elif mode == "lighthouse":
        if not mi and not (client and tenant and (secret or cert)):
            errors.append("MANAGED_IDENTITY_CLIENT_ID: AZURE_CREDENTIAL=lighthouse needs the partner-tenant "
                          "identity: MANAGED_IDENTITY_CLIENT_ID, or AZURE_CLIENT_ID and AZURE_TENANT_ID with "
                          "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH")
        if secret and cert:
            errors.append("AZURE_CLIENT_SECRET: give a secret or a certificate, not both")
    return values


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

    sdk_raw = env.get("BOT_SDK", "").strip().lower() or BotSdk.BOTBUILDER.value
    bot_sdk = BotSdk.BOTBUILDER
    if sdk_raw not in {sdk.value for sdk in BotSdk}:
        errors.append(f"BOT_SDK: {sdk_raw[:40]!r} is not one of {', '.join(sdk.value for sdk in BotSdk)}")
    else:
        bot_sdk = BotSdk(sdk_raw)

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

    if not app_id and not _loopback_host(host):
        # Without inbound authentication anyone who reaches the port can claim any tenant and approver id.
        errors.append(f"HOST: {host!r} is not a loopback address, and without MicrosoftAppId inbound requests are "
                      "not authenticated (tenant and approver ids could be forged). Set MicrosoftAppId and "
                      "MicrosoftAppPassword, or listen on 127.0.0.1")

    explicit_endpoint = env.get("ARM_ENDPOINT", "").strip()
    arm_endpoint = _url(env, "ARM_ENDPOINT", "https://management.azure.com", errors)
    credential = env.get("AZURE_CREDENTIAL", "").strip().lower()
    identity = _identity(env, credential, errors)
    if credential and credential not in CREDENTIALS:
        hint = (" (DefaultAzureCredential is no longer used: its managed identity cannot get a token for a "
                "customer's tenant)") if credential == "default" else ""
        errors.append(f"AZURE_CREDENTIAL: {credential!r} is not one of {', '.join(CREDENTIALS)}{hint}")
    if not credential and not force_sandbox:
        configured = [v for v in AZURE_IDENTITY_VARS if env.get(v, "").strip()]
        if configured:
            errors.append(f"AZURE_CREDENTIAL: {', '.join(configured)} is set; say how to use it: app (the partner's "
                          "multi-tenant app), lighthouse (Azure Lighthouse delegations) or cli (Azure CLI login)")
        elif app_id:
            # A registered bot serves real people: it never falls back to the sandbox by itself.
            errors.append("AZURE_CREDENTIAL: required when MicrosoftAppId is set: app, lighthouse or cli for "
                          "customers' tenants, or sandbox to run on the sandbox on purpose")
        credential = "sandbox"
    if force_sandbox:
        credential = "sandbox"
    embedded = force_sandbox or (credential == "sandbox" and not explicit_endpoint)
    if credential == "sandbox" and not embedded and not is_loopback_url(arm_endpoint):
        errors.append(
            "ARM_ENDPOINT: the sandbox credential only talks to a loopback endpoint "
            f"(got {arm_endpoint}); set AZURE_CREDENTIAL to app, lighthouse or cli for real Azure"
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
            elif not STORAGE_ACCOUNT.match(name := account or address):  # <account>, or <host[:port]>/<account>
                errors.append(f"STORAGE_URL: {name!r} is not a storage account name (3-24 lowercase letters, digits)")
    else:
        errors.append(f"STORAGE_URL: {storage_url!r} must start with sqlite:/// or azure-table://")

    insights = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip()
    if insights and "InstrumentationKey=" not in insights:
        errors.append("APPLICATIONINSIGHTS_CONNECTION_STRING: not an Application Insights connection string")

    partner = env.get("PARTNER_TENANT_ID", "").strip()
    if partner and not GUID.match(partner):
        errors.append("PARTNER_TENANT_ID: must be the partner's Entra tenant id (a GUID)")

    billing_account = env.get("BILLING_ACCOUNT_ID", "").strip()
    if billing_account and not BILLING_ACCOUNT.match(billing_account):
        errors.append("BILLING_ACCOUNT_ID: must be a billing account's name, as Azure lists it "
                      "(for a Microsoft Partner Agreement: <guid>:<guid>_2019-05-31)")

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

    admins = _guid_set(env, "PARTNER_ADMIN_IDS", errors)
    graph_set = bool(env.get("GRAPH_ENDPOINT", "").strip())
    graph = _url(env, "GRAPH_ENDPOINT", "https://graph.microsoft.com", errors)
    cache_raw = env.get("GROUP_CACHE_SECONDS", "").strip() or "300"
    cache_seconds = 300.0
    if not cache_raw.isdigit() or int(cache_raw) > 3600:
        errors.append(f"GROUP_CACHE_SECONDS: {cache_raw!r} is not a number of seconds (0-3600)")
    else:
        cache_seconds = float(cache_raw)
    customers_path = env.get("CUSTOMERS_FILE", "").strip()
    customers: tuple[FileEntry, ...] = ()
    if customers_path:
        try:
            customers = customers_file(customers_path)
        except SettingsError as error:
            errors.extend(str(error).splitlines())

    allow_guests = _flag(env, "ALLOW_GUESTS", errors)
    bounds = QueueLimits()
    limits = QueueLimits(
        running=_count(env, "ASSESSMENT_WORKERS", bounds.running, 16, errors),
        queued=_count(env, "ASSESSMENT_QUEUE_LIMIT", bounds.queued, 10_000, errors),
        per_customer=_count(env, "ASSESSMENTS_PER_CUSTOMER", bounds.per_customer, 10_000, errors),
        per_user=_count(env, "ASSESSMENTS_PER_USER", bounds.per_user, 10_000, errors),
    )
    read_reserve = _count(env, "ASSESSMENT_READ_RESERVE", 100, 249, errors, low=0)  # of ARM's 250-read bucket
    allow_local_azure = _flag(env, "ALLOW_LOCAL_MODE_ON_AZURE", errors)
    if app_id:
        # A registered bot serves a whole partner: it never answers every tenant, nor makes everyone an engineer.
        if not allowed:
            errors.append("ALLOWED_TENANT_IDS: required when MicrosoftAppId is set: the partner's own Teams tenant "
                          "(a bot registered in Azure would otherwise answer any organisation)")
        if not engineers and not customers_path and not admins:
            errors.append("ENGINEER_IDS: required when MicrosoftAppId is set, unless CUSTOMERS_FILE or "
                          "PARTNER_ADMIN_IDS gives a customer registry: who may act in customers' tenants")
    elif not embedded and not is_loopback_url(arm_endpoint) and not allow_local_azure:
        # Without inbound authentication anyone on this machine can claim to be anyone: not against real Azure.
        errors.append(f"ARM_ENDPOINT: local mode (no MicrosoftAppId) runs only on the sandbox, not {arm_endpoint}; "
                      "register the bot, or set ALLOW_LOCAL_MODE_ON_AZURE=true to accept the risk on this machine")

    if errors:
        raise SettingsError("Invalid settings:\n" + "\n".join(f"  - {e}" for e in errors))
    return Settings(
        host=host,
        port=port,
        bot_sdk=bot_sdk,
        app_id=app_id,
        app_password=app_password,
        app_type=app_type,
        app_tenant_id=app_tenant_id,
        allowed_tenant_ids=allowed,
        approver_ids=approvers,
        engineer_ids=engineers,
        azure_credential=credential,
        azure_client_id=identity["AZURE_CLIENT_ID"],
        azure_tenant_id=identity["AZURE_TENANT_ID"].lower(),
        azure_client_secret=identity["AZURE_CLIENT_SECRET"],
        azure_client_certificate_path=identity["AZURE_CLIENT_CERTIFICATE_PATH"],
        managed_identity_client_id=identity["MANAGED_IDENTITY_CLIENT_ID"],
        arm_endpoint=arm_endpoint,
        arm_ca_bundle=ca_bundle,
        storage_url=storage_url,
        storage_connection_string=connection_string,
        applicationinsights_connection_string=insights,
        partner_tenant_id=partner.lower(),
        billing_account_id=billing_account,
        public_base_url=public_base,
        authority_host=authority,
        embedded_sandbox=embedded,
        to_bot_from_channel_openid_metadata_url=metadata_url,
        partner_admin_ids=admins,
        customers=customers,
        customers_file=customers_path,
        graph_endpoint=graph,
        graph_endpoint_set=graph_set,
        group_cache_seconds=cache_seconds,
        allow_guests=allow_guests,
        allow_local_azure=allow_local_azure,
        assessment_limits=limits,
        assessment_read_reserve=read_reserve,
    )
