"""The Azure gateway: the one place where the bot talks to Azure Resource Manager, and its wiring.

`ArmGateway` is the root: it resolves tenants and holds what every call shares (the credential, one
connection pool); `for_tenant` binds it to a customer's tenant. A `TenantClient` acts in that tenant only
(every token it asks for is that tenant's), and groups its operations by family, one module each under
`migration.azure`. Which identity asks lives in `migration.azure.credentials`; how Azure's errors become the
domain's, in `migration.azure.errors`.
"""

from __future__ import annotations

import asyncio
import re
import ssl

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from azure.core.pipeline.transport import AioHttpTransport
from yarl import URL

from migration.azure.aliases import ArmAliases
from migration.azure.authorization import ArmAuthorization
from migration.azure.billing import ArmBilling
from migration.azure.capacity import ArmCapacity
from migration.azure.clients import Connection, TenantClients
from migration.azure.compute import ArmCompute
from migration.azure.credentials import AsyncCredential, IdentityConfig, TenantCredential, build_credential
from migration.azure.features import ArmFeatures
from migration.azure.groups import ArmResourceGroups
from migration.azure.inventory import ArmInventory
from migration.azure.jobs import ArmStreamingJobs
from migration.azure.locks import ArmLocks
from migration.azure.moves import ArmMoves
from migration.azure.network import ArmNetwork
from migration.azure.pacing import Pacer
from migration.azure.providers import ArmProviders
from migration.azure.resources import ArmResources
from migration.azure.settings import ArmSettings
from migration.azure.subscriptions import ArmSubscriptions
from migration.azure.tags import ArmTags
from migration.azure.web import ArmWeb
from migration.model import ArmError, ArmErrorDetail, NotFound

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_GUID_IN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class TenantClient:
    """Azure in one customer's tenant, by family (`migration.azure.ports.TenantAzure`)."""

    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients
        self.tenant_id = clients.tenant_id
        self.subscriptions = ArmSubscriptions(clients)
        self.groups = ArmResourceGroups(clients)
        self.inventory = ArmInventory(clients, self.subscriptions)
        self.resources = ArmResources(clients)
        self.moves = ArmMoves(clients)
        self.locks = ArmLocks(clients)
        self.authorization = ArmAuthorization(clients)
        self.tags = ArmTags(clients)
        self.settings = ArmSettings(clients)
        self.providers = ArmProviders(clients)
        self.network = ArmNetwork(clients)
        self.web = ArmWeb(self.resources)
        self.jobs = ArmStreamingJobs(self.resources)
        self.compute = ArmCompute(self.resources)
        self.capacity = ArmCapacity(clients)
        self.features = ArmFeatures(clients)

    @property
    def pacer(self) -> Pacer:
        """What Azure's throttle headers said is left for this tenant's identity."""
        return self._clients.pacer

    async def close(self) -> None:
        await self._clients.close()


class PartnerClient:
    """Azure in the partner's own tenant (`migration.azure.ports.PartnerAzure`): its billing side, and the CSP
    subscriptions it creates on it."""

    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients
        self.billing = ArmBilling(clients)
        self.aliases = ArmAliases(clients)

    async def close(self) -> None:
        await self._clients.close()


class ArmGateway:
    """`AzureGateway` over Azure Resource Manager (or the sandbox, which speaks the same protocol)."""

    def __init__(self, credential: AsyncCredential, *, endpoint: str, ca_bundle: str | None,
                 authority_host: str, polling_interval: float = 15.0, partner_tenant: str | None = None,
                 read_reserve: int = 0) -> None:
        """`partner_tenant`: the tenant asked for the partner's own tokens (None: the identity's own)."""
        self._credential = credential
        self._partner_tenant = partner_tenant
        self._partner: PartnerClient | None = None
        self._endpoint = endpoint.rstrip("/")
        self._ca_bundle = ca_bundle
        self._authority = authority_host if "://" in authority_host else f"https://{authority_host}"
        self._authority = self._authority.rstrip("/")
        self._connection = Connection(self._endpoint, polling_interval, self._shared_transport, read_reserve)
        self._tenants: dict[str, TenantClient] = {}
        # One connection pool for every client of the gateway. Passing `connection_verify=<path>` to the SDK
        # instead makes azure-core build a new SSLContext per request, and aiohttp keys pooled connections by
        # context: every call would pay a full TLS handshake and leave another idle connection behind.
        self._connector: aiohttp.TCPConnector | None = None
        self._transport: AioHttpTransport | None = None
        self._sdk_http: aiohttp.ClientSession | None = None
        self._http: aiohttp.ClientSession | None = None

    def for_tenant(self, tenant_id: str) -> TenantClient:
        """The client acting in `tenant_id`: its credential, pacer and clients are made once and kept."""
        key = tenant_id.lower()
        tenant = self._tenants.get(key)
        if tenant is None:
            credential = TenantCredential(self._credential, tenant_id)
            tenant = self._tenants[key] = TenantClient(
                TenantClients(credential, tenant_id, self._connection))
        return tenant

    def for_partner(self) -> PartnerClient:
        """The client acting in the partner's own tenant (billing), made once and kept."""
        if self._partner is None:
            credential = TenantCredential(self._credential, self._partner_tenant)
            self._partner = PartnerClient(TenantClients(credential, self._partner_tenant or "", self._connection))
        return self._partner

    # ------------------------------------------------------------------ the shared connection pool

    def _shared_connector(self) -> aiohttp.TCPConnector:
        # Created lazily: aiohttp wants a running event loop, and the gateway is built before the app starts.
        if self._connector is None or self._connector.closed:
            ssl_ctx: ssl.SSLContext | bool = (
                ssl.create_default_context(cafile=self._ca_bundle) if self._ca_bundle else True)
            self._connector = aiohttp.TCPConnector(ssl=ssl_ctx)
        return self._connector

    def _shared_transport(self) -> AioHttpTransport:
        if self._transport is None:
            # What AioHttpTransport would build for itself (the SDK decompresses; no cookies), on the shared
            # pool. Not owned by the transport, so closing one SDK client leaves the others working.
            # With trust_env, aiohttp reads ~/.netrc and the proxy variables in a worker thread on every
            # request (two thread hand-offs per call). The proxy the environment names for ARM is looked up
            # once instead (every SDK call of the gateway goes to that one endpoint); only a proxy that needs
            # netrc credentials keeps the per-request lookup.
            proxy, proxy_needs_auth = _env_proxy(self._endpoint)
            self._sdk_http = aiohttp.ClientSession(
                connector=self._shared_connector(), connector_owner=False, trust_env=proxy_needs_auth,
                proxy=None if proxy_needs_auth else proxy, cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False)
            self._transport = AioHttpTransport(session=self._sdk_http, session_owner=False)
        return self._transport

    async def close(self) -> None:
        """Close every tenant's clients, the connection pool and the credential."""
        tenants: list[TenantClient | PartnerClient] = list(self._tenants.values())
        if self._partner is not None:
            tenants.append(self._partner)
        self._tenants, self._partner = {}, None
        await asyncio.gather(*(t.close() for t in tenants), return_exceptions=True)
        sessions, self._http, self._sdk_http, self._transport = [self._http, self._sdk_http], None, None, None
        for session in sessions:
            if session is not None:
                await session.close()
        if self._connector is not None:
            await self._connector.close()
            self._connector = None
        await self._credential.close()

    # ------------------------------------------------------------------ tenants

    async def resolve_tenant(self, tenant: str) -> str:
        """A tenant GUID or verified domain -> the tenant GUID (Entra's OpenID metadata for the domain)."""
        value = tenant.strip()
        if _GUID.match(value):
            return value
        if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", value):
            raise NotFound(None, ArmErrorDetail(
                code="InvalidTenant", message=f"'{tenant}' is neither a tenant id (GUID) nor a domain name."))
        if self._http is None:
            # Its own session (answers decompressed, a 30 s limit) on the shared connection pool.
            self._http = aiohttp.ClientSession(connector=self._shared_connector(), connector_owner=False,
                                               timeout=aiohttp.ClientTimeout(total=30))
        url = f"{self._authority}/{value}/v2.0/.well-known/openid-configuration"
        try:
            async with self._http.get(url) as resp:
                body = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ArmError(None, ArmErrorDetail(
                code="ConnectionLost", message=f"Could not look up the tenant of '{value}': {exc}")) from exc
        found = _GUID_IN.search(str(body.get("issuer") or body.get("token_endpoint") or "")) if status == 200 else None
        if found is None:
            raise NotFound(status, ArmErrorDetail(
                code="TenantNotFound",
                message=f"No Microsoft Entra tenant uses the domain '{value}'. Check the spelling, or use the "
                        "tenant id (a GUID) instead."))
        return found.group(0)


# --------------------------------------------------------------------------- construction


def _env_proxy(endpoint: str) -> tuple[URL | None, bool]:
    """The proxy HTTPS_PROXY / NO_PROXY (and friends) name for `endpoint`, as aiohttp's trust_env finds it,
    and whether it takes credentials from ~/.netrc."""
    try:
        proxy, auth = get_env_proxy_for_url(URL(endpoint))
    except LookupError:
        return None, False
    return proxy, auth is not None


def create_gateway(*, credential: str | IdentityConfig, endpoint: str, ca_bundle: str | None, authority_host: str,
                   polling_interval: float = 15.0, read_reserve: int = 0) -> ArmGateway:
    """`credential`: how the bot acts in customers' tenants (`IdentityConfig`, or a mode name such as
    "sandbox": static tokens, loopback only). `read_reserve`: ARM reads of a subscription's budget this
    gateway leaves to others (an assessment worker's, so a running move's calls are not starved)."""
    config = IdentityConfig(mode=credential) if isinstance(credential, str) else credential
    return ArmGateway(build_credential(config, endpoint=endpoint), endpoint=endpoint, ca_bundle=ca_bundle,
                      authority_host=authority_host, polling_interval=polling_interval,
                      partner_tenant=config.partner_token_tenant, read_reserve=read_reserve)
