"""The Azure gateway: the one place where the bot talks to Azure Resource Manager.

Implements `migration.azure.ports.AzureGateway` with the Azure SDK (azure-mgmt-resource 26 and friends) and
converts everything into `migration.model` types. Calls act in the customer's tenant: every client is
built for one tenant id and asks the credential for a token of that tenant. Which identity asks lives in
`migration.azure.credentials`; how Azure's errors become the domain's, in `migration.azure.errors`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.polling import AsyncLROPoller
from azure.core.rest import HttpRequest
from azure.mgmt.authorization.v2022_04_01 import models as am
from azure.mgmt.authorization.v2022_04_01.aio import AuthorizationManagementClient
from azure.mgmt.core.polling.async_arm_polling import AsyncARMPolling
from azure.mgmt.core.tools import parse_resource_id
from azure.mgmt.resource.locks import models as lm
from azure.mgmt.resource.locks.aio import ManagementLockClient
from azure.mgmt.resource.resources import models as rm
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.subscriptions.aio import SubscriptionClient
from azure.mgmt.resourcegraph.aio import ResourceGraphClient
from yarl import URL

from migration.azure.credentials import AsyncCredential, IdentityConfig, TenantCredential, build_credential
from migration.azure.errors import to_domain
from migration.azure.pacing import ArmRetryPolicy, Pacer, PacingPolicy
from migration.azure.ports import MoveOperation, ProgressCallback
from migration.model import (
    ArmError,
    ArmErrorDetail,
    Lock,
    NotFound,
    Peering,
    Permission,
    Principal,
    ProviderRegistration,
    Resource,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    Subscription,
)

_C = TypeVar("_C")

if TYPE_CHECKING:  # azure-mgmt-network costs some 45 MiB when imported: only a move with network fixes pays it
    from azure.mgmt.network.aio import NetworkManagementClient

GRAPH_PAGE = 1000  # Resource Graph's maximum page size: one call per 1000 rows
GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
INVENTORY_QUERY = (
    "Resources | project id, name, type, location, resourceGroup, subscriptionId, kind, sku, plan, "
    "properties, tags, identity, managedBy, zones | order by id asc"
)
# Site Recovery replicated items and backup items live in their own Resource Graph table.
RECOVERY_QUERY = (
    "recoveryservicesresources | where type startswith 'microsoft.recoveryservices/vaults/' | project id, name, "
    "type, location, resourceGroup, subscriptionId, properties | order by id asc"
)
LINKED_SERVICES_API = "2020-08-01"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_GUID_IN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_GROUP_IN_ID = re.compile(r"/resourceGroups/([^/]+)", re.IGNORECASE)
_SUBSCRIPTION_IN_ID = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_LOCK_SUFFIX = re.compile(r"/providers/Microsoft\.Authorization/locks/[^/]+$", re.IGNORECASE)
# Resuming a move needs a resources client; the poller follows the saved Location, not this id.
_ANY_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
# Microsoft.Authorization's permissions at subscription scope. The SDK's operation groups cover only resource
# groups and resources, so the request goes through the authorization client's own pipeline.
PERMISSIONS_API = "2022-04-01"
ARM_SCOPE = "https://management.azure.com/.default"
PERMISSIONS_PATH = "/subscriptions/{subscription}/providers/Microsoft.Authorization/permissions"
# The providers' api-versions for the resources some fixes read and change (generic calls need one).
RESOURCE_APIS = {"microsoft.streamanalytics/streamingjobs": "2020-03-01",
                 "microsoft.compute/disks": "2024-03-02",
                 "microsoft.compute/restorepointcollections": "2024-03-01",
                 # a workspace's linked services, SQL VM registrations, certificates and host name bindings
                 "microsoft.operationalinsights/workspaces": LINKED_SERVICES_API,
                 "microsoft.sqlvirtualmachine/sqlvirtualmachines": "2022-02-01",
                 "microsoft.web/certificates": "2022-09-01", "microsoft.web/sites": "2022-09-01"}
WEB_API = "2023-12-01"  # Microsoft.Web: an app's networkConfig
# The top-level type of a resource id (a child resource uses its parent's provider api-version).
_PROVIDER_TYPE = re.compile(r"/providers/([^/]+/[^/]+)/[^/]+(?:/[^/]+/[^/]+)*$", re.IGNORECASE)



# --------------------------------------------------------------------------- conversions


def _text(value: Any) -> str:
    return str(getattr(value, "value", value)) if value is not None else ""


def _plain(value: Any) -> Any:
    """SDK hybrid models -> plain JSON-like data with ARM's camelCase keys."""
    if value is None:
        return None
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return value


def _subscription(s: Any) -> Subscription:
    policies = s.subscription_policies
    return Subscription(
        id=s.subscription_id, tenant_id=s.tenant_id or "", display_name=s.display_name or "",
        state=_text(s.state), quota_id=(policies.quota_id if policies else "") or "",
        spending_limit=_text(policies.spending_limit) if policies and policies.spending_limit else None,
    )


def _group(g: Any, subscription_id: str) -> ResourceGroup:
    props = g.properties
    return ResourceGroup(
        id=g.id, subscription_id=subscription_id, name=g.name, location=g.location,
        provisioning_state=(props.provisioning_state if props else None) or "Succeeded",
        managed_by=g.managed_by, tags=dict(g.tags or {}),
    )


def _resource(row: dict[str, Any]) -> Resource:
    rid = str(row["id"])
    match = _GROUP_IN_ID.search(rid)  # keeps the group's real casing; Resource Graph lower-cases it
    return Resource(
        id=rid, name=str(row.get("name") or rid.rsplit("/", 1)[-1]), type=str(row.get("type") or ""),
        location=str(row.get("location") or ""), subscription_id=str(row.get("subscriptionId") or ""),
        resource_group=match.group(1) if match else str(row.get("resourceGroup") or ""),
        kind=row.get("kind") or None, sku=row.get("sku") or None, plan=row.get("plan") or None,
        properties=row.get("properties") or {}, tags=row.get("tags") or {}, identity=row.get("identity") or None,
        managed_by=row.get("managedBy") or None, zones=tuple(str(z) for z in row.get("zones") or ()),
    )


def _lock(lock: Any) -> Lock:
    return Lock(id=lock.id, name=lock.name, level=_text(lock.level), scope=_LOCK_SUFFIX.sub("", lock.id),
                notes=lock.notes or None)


def _assignment(a: Any) -> RoleAssignment:
    return RoleAssignment(
        id=a.id, name=a.name, scope=a.scope or "", role_definition_id=a.role_definition_id or "",
        principal_id=a.principal_id or "", principal_type=_text(a.principal_type) or "Unknown",
        condition=a.condition or None, description=a.description or None)


def _subscription_of(scope: str) -> str:
    match = _SUBSCRIPTION_IN_ID.match(scope)
    if match is None:
        raise ValueError(f"'{scope}' is not a scope inside a subscription")
    return match.group(1)


def _lock_level(scope: str) -> tuple[str, tuple[str, ...]]:
    """The level of the lock operations that address `scope` (subscription, group or resource) and the path
    values they take before the lock's name. Not the `*_by_scope` operations: azure-mgmt-resource-locks 1.0.0
    percent-encodes their scope's slashes, which the REST spec forbids (`x-ms-skip-url-encoding`) and ARM does
    not route, so every scope is sent with its slashes."""
    parts = parse_resource_id(scope)
    if "namespace" in parts:
        return "resource_level", (parts["resource_group"], parts["resource_namespace"],
                                  parts["resource_parent"].rstrip("/"), parts["resource_type"], parts["resource_name"])
    if "resource_group" in parts:
        return "resource_group_level", (parts["resource_group"],)
    return "subscription_level", ()


def _group_and_name(resource_id: str) -> tuple[str, str]:
    match = _GROUP_IN_ID.search(resource_id)
    if match is None:
        raise ValueError(f"'{resource_id}' is not a resource id")
    return match.group(1), resource_id.rstrip("/").rsplit("/", 1)[-1]


def _peering(vnet_id: str, p: Any) -> Peering:
    return Peering(
        vnet_id=vnet_id, name=p.name or "", remote_vnet_id=(p.remote_virtual_network.id if p.remote_virtual_network
                                                           else "") or "",
        allow_virtual_network_access=bool(p.allow_virtual_network_access),
        allow_forwarded_traffic=bool(p.allow_forwarded_traffic), allow_gateway_transit=bool(p.allow_gateway_transit),
        use_remote_gateways=bool(p.use_remote_gateways), state=_text(p.peering_state))


# --------------------------------------------------------------------------- moves


class _WaitFirstPolling(AsyncARMPolling):
    """ARM's LRO polling, but the first status poll also waits the job's Retry-After.

    azure-core polls once straight after the 202, before any job can have finished; honouring Retry-After
    there halves the status reads of a dry run (they count against ARM's read throttle) and changes
    nothing else: the first poll that can see the job done is the one after Retry-After either way.
    Only for jobs just started: a resumed job is polled at once, its state being unknown.
    """

    async def run(self) -> None:
        if not self.finished():
            await self._delay()  # Retry-After (or retry-after-ms) of the 202, else the polling interval
        await super().run()


@dataclass(frozen=True, slots=True)
class ArmMoveOperation:
    """A running validateMoveResources / moveResources job (wraps the SDK's LRO poller)."""

    poller: AsyncLROPoller[None]

    def continuation_token(self) -> str:
        return self.poller.continuation_token()

    async def wait(self) -> None:
        try:
            await self.poller.result()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc


# --------------------------------------------------------------------------- gateway


@dataclass(slots=True)
class _TenantClients:
    credential: TenantCredential
    pacer: Pacer  # Azure's throttle budgets are per principal, so per tenant's credential
    subscriptions: SubscriptionClient
    graph: ResourceGraphClient
    # Per (client class, subscription): resources, locks, authorization, network.
    per_subscription: dict[tuple[type, str], Any] = field(default_factory=dict)

    async def close(self) -> None:
        clients: list[Any] = [self.subscriptions, self.graph, *self.per_subscription.values()]
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


class ArmGateway:
    """`AzureGateway` over Azure Resource Manager (or the sandbox, which speaks the same protocol)."""

    def __init__(self, credential: AsyncCredential, *, endpoint: str, ca_bundle: str | None,
                 authority_host: str, polling_interval: float = 15.0) -> None:
        self._credential = credential
        self._endpoint = endpoint.rstrip("/")
        self._ca_bundle = ca_bundle
        self._authority = authority_host if "://" in authority_host else f"https://{authority_host}"
        self._authority = self._authority.rstrip("/")
        self._polling_interval = polling_interval
        self._tenants: dict[str, _TenantClients] = {}
        # One connection pool for every client of the gateway. Passing `connection_verify=<path>` to the SDK
        # instead makes azure-core build a new SSLContext per request, and aiohttp keys pooled connections by
        # context: every call would pay a full TLS handshake and leave another idle connection behind.
        self._connector: aiohttp.TCPConnector | None = None
        self._transport: AioHttpTransport | None = None
        self._sdk_http: aiohttp.ClientSession | None = None
        self._http: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ clients

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

    def _client_kwargs(self, pacer: Pacer) -> dict[str, Any]:
        # No `connection_verify` here: the shared connector carries the CA bundle (see __init__).
        # Policies are chained objects, so each client gets its own; the pacer (budgets) is shared.
        return {"base_url": self._endpoint, "polling_interval": self._polling_interval,
                "transport": self._shared_transport(), "retry_policy": ArmRetryPolicy(),
                "per_retry_policies": [PacingPolicy(pacer)]}

    def pacer(self, tenant_id: str) -> Pacer:
        """What Azure's throttle headers said is left for this tenant's identity."""
        return self._clients(tenant_id).pacer

    def _clients(self, tenant_id: str) -> _TenantClients:
        key = tenant_id.lower()
        clients = self._tenants.get(key)
        if clients is None:
            cred = TenantCredential(self._credential, tenant_id)
            pacer = Pacer()
            clients = _TenantClients(cred, pacer, SubscriptionClient(cred, **self._client_kwargs(pacer)),
                                     ResourceGraphClient(cred, **self._client_kwargs(pacer)))
            self._tenants[key] = clients
        return clients

    def _subscription_client(self, cls: type[_C], subscription_id: str, tenant_id: str) -> _C:
        """One client of `cls` per subscription and tenant, created on first use, closed with the gateway."""
        clients = self._clients(tenant_id)
        key = (cls, subscription_id.lower())
        client = clients.per_subscription.get(key)
        if client is None:
            client = clients.per_subscription[key] = cls(clients.credential, subscription_id,  # type: ignore[call-arg]
                                                         **self._client_kwargs(clients.pacer))
        return client  # type: ignore[no-any-return]

    def _resources(self, subscription_id: str, tenant_id: str) -> ResourceManagementClient:
        return self._subscription_client(ResourceManagementClient, subscription_id, tenant_id)

    def _locks(self, subscription_id: str, tenant_id: str) -> ManagementLockClient:
        return self._subscription_client(ManagementLockClient, subscription_id, tenant_id)

    def _authorization(self, subscription_id: str, tenant_id: str) -> AuthorizationManagementClient:
        return self._subscription_client(AuthorizationManagementClient, subscription_id, tenant_id)

    def _network(self, subscription_id: str, tenant_id: str) -> NetworkManagementClient:
        from azure.mgmt.network.aio import NetworkManagementClient

        return self._subscription_client(NetworkManagementClient, subscription_id, tenant_id)

    def _polling(self, client: ResourceManagementClient) -> _WaitFirstPolling:
        # What the SDK's begin_* builds by default (polling=True), with the first poll waiting too.
        return _WaitFirstPolling(self._polling_interval, path_format_arguments={"endpoint": client._config.base_url})

    async def close(self) -> None:
        tenants, self._tenants = list(self._tenants.values()), {}
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

    # ------------------------------------------------------------------ reads

    async def list_subscriptions(self, *, tenant_id: str) -> list[Subscription]:
        try:
            subs = [_subscription(s) async for s in self._clients(tenant_id).subscriptions.subscriptions.list()]
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return [s for s in subs if not s.tenant_id or s.tenant_id.lower() == tenant_id.lower()]

    async def get_subscription(self, subscription_id: str, *, tenant_id: str) -> Subscription:
        try:
            return _subscription(await self._clients(tenant_id).subscriptions.subscriptions.get(subscription_id))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc

    async def list_resource_groups(self, subscription_id: str, *, tenant_id: str) -> list[ResourceGroup]:
        client = self._resources(subscription_id, tenant_id)
        try:
            return [_group(g, subscription_id) async for g in client.resource_groups.list()]
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc

    async def list_resources(self, subscription_id: str, *, tenant_id: str,
                             on_progress: ProgressCallback | None = None) -> list[Resource]:
        return await self._graph_rows(subscription_id, tenant_id, INVENTORY_QUERY, on_progress)

    async def list_recovery_items(self, subscription_id: str, *, tenant_id: str) -> list[Resource]:
        return await self._graph_rows(subscription_id, tenant_id, RECOVERY_QUERY, None)

    async def list_linked_services(self, workspace_id: str, *, tenant_id: str) -> list[Resource]:
        subscription_id = workspace_id.split("/")[2]
        client = self._resources(subscription_id, tenant_id)
        request = HttpRequest("GET", f"{workspace_id}/linkedServices", params={"api-version": LINKED_SERVICES_API},
                              headers={"Accept": "application/json"})
        try:
            response = await client.send_request(request)
            if response.status_code == 404:
                return []
            if response.status_code != 200:
                raise HttpResponseError(response=response)
            rows = response.json().get("value") or []
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return [_resource({**row, "subscriptionId": subscription_id}) for row in rows]

    async def _graph_rows(self, subscription_id: str, tenant_id: str, query: str,
                          on_progress: ProgressCallback | None) -> list[Resource]:
        graph = self._clients(tenant_id).graph
        out: list[Resource] = []
        skip_token: str | None = None
        while True:
            options: dict[str, Any] = {"$top": GRAPH_PAGE, "resultFormat": "objectArray", "allowPartialScopes": False}
            if skip_token:
                options["$skipToken"] = skip_token
            page = await self._graph_page(graph, {"subscriptions": [subscription_id], "query": query,
                                                  "options": options})
            out.extend(_resource(row) for row in page.get("data") or [])
            if on_progress is not None:
                await on_progress(len(out), page.get("totalRecords"))
            skip_token = page.get("$skipToken")
            if not skip_token:
                break
        if not out:
            # Resource Graph leaves out subscriptions the caller may not read instead of refusing: an empty
            # answer is only believed once ARM confirms the subscription can be read (else RoleMissing), so
            # lost access never reads as "everything moved".
            await self.get_subscription(subscription_id, tenant_id=tenant_id)
        return out

    async def _graph_page(self, graph: ResourceGraphClient, body: dict[str, Any]) -> dict[str, Any]:
        """One Resource Graph page as plain JSON.

        Sent through the client's own pipeline (auth, retries, ARM policies) but not through
        `graph.resources`, whose model deserializer walks every cell of `data` (an untyped object): about
        a third of the inventory's CPU for rows that are plain JSON already.
        """
        request = HttpRequest("POST", GRAPH_PATH, params={"api-version": graph._config.api_version}, json=body,
                              headers={"Accept": "application/json"})
        # A query is a read even though it is a POST: the retry policy (migration.azure.pacing) sends it again
        # after a lost answer, and waits out a 429 by the quota's reset time when Retry-After is missing.
        try:
            response = await graph._send_request(request)
            if response.status_code != 200:
                raise HttpResponseError(response=response)
            page: dict[str, Any] = response.json()
            return page
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc

    async def list_locks(self, subscription_id: str, *, tenant_id: str) -> list[Lock]:
        client = self._locks(subscription_id, tenant_id)
        try:
            return [_lock(lock) async for lock in client.management_locks.list_at_subscription_level()]
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc

    async def list_providers(self, subscription_id: str, *, tenant_id: str) -> list[ProviderRegistration]:
        client = self._resources(subscription_id, tenant_id)
        try:
            return [
                ProviderRegistration(namespace=p.namespace, registration_state=p.registration_state or "Unknown")
                async for p in client.providers.list()
            ]
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc

    async def list_permissions(self, subscription_id: str, *, tenant_id: str) -> list[Permission]:
        client = self._authorization(subscription_id, tenant_id)
        out: list[Permission] = []
        url: str | None = PERMISSIONS_PATH.format(subscription=subscription_id)
        params: dict[str, str] | None = {"api-version": PERMISSIONS_API}
        try:
            while url:
                response = await client._send_request(
                    HttpRequest("GET", url, params=params, headers={"Accept": "application/json"}))
                if response.status_code != 200:
                    raise HttpResponseError(response=response)
                page = response.json()
                out.extend(Permission(actions=tuple(p.get("actions") or ()),
                                      not_actions=tuple(p.get("notActions") or ()))
                           for p in page.get("value") or [])
                url, params = page.get("nextLink"), None
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return out

    async def whoami(self, *, tenant_id: str) -> Principal | None:
        credential = self._clients(tenant_id).credential
        try:
            token = await credential.get_token(ARM_SCOPE)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        parts = token.token.split(".")
        if len(parts) != 3:
            return None  # the sandbox's static token
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return None
        return Principal(str(claims.get("tid", "")), str(claims.get("oid", "")), str(claims.get("appid", "")))

    # ------------------------------------------------------------------ writes

    async def register_provider(self, subscription_id: str, namespace: str, *, tenant_id: str) -> None:
        try:
            await self._resources(subscription_id, tenant_id).providers.register(namespace)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def ensure_resource_group(self, subscription_id: str, name: str, *, location: str,
                                    tenant_id: str) -> ResourceGroup:
        client = self._resources(subscription_id, tenant_id)
        try:
            try:
                # An existing group is returned unchanged (and a write to a group held by a move is avoided).
                return _group(await client.resource_groups.get(name), subscription_id)
            except ResourceNotFoundError:
                pass
            created = await client.resource_groups.create_or_update(name, rm.ResourceGroup(location=location))
            return _group(created, subscription_id)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def begin_validate_move(self, subscription_id: str, resource_group: str, *,
                                  resource_ids: Sequence[str], target_resource_group_id: str,
                                  tenant_id: str) -> MoveOperation:
        client = self._resources(subscription_id, tenant_id)
        info = rm.ResourcesMoveInfo(resources=list(resource_ids), target_resource_group=target_resource_group_id)
        try:
            poller = await client.resources.begin_validate_move_resources(
                resource_group, info, polling=self._polling(client))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        return ArmMoveOperation(poller)

    async def begin_move(self, subscription_id: str, resource_group: str, *, resource_ids: Sequence[str],
                         target_resource_group_id: str, tenant_id: str) -> MoveOperation:
        client = self._resources(subscription_id, tenant_id)
        info = rm.ResourcesMoveInfo(resources=list(resource_ids), target_resource_group=target_resource_group_id)
        try:
            # Never re-sent on a dropped connection (azure-core does not retry POSTs on connection
            # errors): a second move would be refused while the first holds the groups, or move nothing.
            poller = await client.resources.begin_move_resources(resource_group, info, polling=self._polling(client))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        return ArmMoveOperation(poller)

    async def resume_move(self, continuation_token: str, *, tenant_id: str) -> MoveOperation:
        client = self._resources(_ANY_SUBSCRIPTION, tenant_id)
        try:
            # The token carries the job's status URL; validate and move jobs are polled alike.
            poller = await client.resources.begin_move_resources(
                "", rm.ResourcesMoveInfo(resources=[]), continuation_token=continuation_token)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        except (ValueError, TypeError) as exc:
            raise ArmError(None, ArmErrorDetail(code="InvalidContinuationToken", message=str(exc))) from exc
        return ArmMoveOperation(poller)

    async def update_group_tags(self, subscription_id: str, name: str, *, tags: dict[str, str],
                                tenant_id: str) -> ResourceGroup:
        """Add `tags` to a group's tags (a tag of the same name takes the new value)."""
        client = self._resources(subscription_id, tenant_id)
        try:
            group = await client.resource_groups.get(name)
            merged = {**(group.tags or {}), **tags}
            updated = await client.resource_groups.create_or_update(
                name, rm.ResourceGroup(location=group.location, tags=merged, managed_by=group.managed_by))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        return _group(updated, subscription_id)

    # ------------------------------------------------------------------ locks and role assignments

    async def create_lock(self, scope: str, *, name: str, level: str, notes: str | None, tenant_id: str) -> Lock:
        """Create (or update) the lock `name` on a subscription, group or resource."""
        client = self._locks(_subscription_of(scope), tenant_id)
        level_name, path = _lock_level(scope)
        try:
            lock = await getattr(client.management_locks, f"create_or_update_at_{level_name}")(
                *path, name, lm.ManagementLockObject(level=level, notes=notes))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        return _lock(lock)

    async def delete_lock(self, scope: str, *, name: str, tenant_id: str) -> None:
        """Delete the lock `name` on a scope; a lock already gone is not an error."""
        client = self._locks(_subscription_of(scope), tenant_id)
        level_name, path = _lock_level(scope)
        try:
            await getattr(client.management_locks, f"delete_at_{level_name}")(*path, name)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def list_role_assignments(self, subscription_id: str, *, tenant_id: str) -> list[RoleAssignment]:
        """Every role assignment in the subscription: on it, above it, and on its groups and resources."""
        client = self._authorization(subscription_id, tenant_id)
        try:
            return [_assignment(a) async for a in client.role_assignments.list_for_subscription()]
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc

    async def create_role_assignment(self, scope: str, *, name: str, role_definition_id: str, principal_id: str,
                                     principal_type: str | None = None, condition: str | None = None,
                                     description: str | None = None, tenant_id: str) -> RoleAssignment:
        """Create the assignment `name` (a GUID) on a scope. The role definition id may name any subscription:
        only its GUID counts, so it is re-rooted in the scope's subscription."""
        subscription_id = _subscription_of(scope)
        client = self._authorization(subscription_id, tenant_id)
        guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1]
        params = am.RoleAssignmentCreateParameters(
            role_definition_id=f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
            principal_id=principal_id, principal_type=principal_type, description=description, condition=condition,
            condition_version="2.0" if condition else None)
        try:
            return _assignment(await client.role_assignments.create(scope, name, params))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def get_role_definition(self, role_definition_id: str, *, scope: str, tenant_id: str) -> RoleDefinition:
        client = self._authorization(_subscription_of(scope), tenant_id)
        guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1]
        try:
            d = await client.role_definitions.get(scope, guid)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return RoleDefinition(id=d.id, role_name=d.role_name or "", custom=_text(d.role_type) == "CustomRole",
                              assignable_scopes=tuple(d.assignable_scopes or ()))

    async def add_assignable_scope(self, role_definition_id: str, *, scope: str, tenant_id: str) -> RoleDefinition:
        """Make a custom role assignable at `scope` too (unchanged when it already is). The role is read and
        written where it is visible: the subscription its id names."""
        home = role_definition_id.split("/providers/", 1)[0] if "/providers/" in role_definition_id else scope
        client = self._authorization(_subscription_of(home), tenant_id)
        guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1]
        try:
            d = await client.role_definitions.get(home, guid)
            scopes = list(d.assignable_scopes or ())
            if not any(scope.lower() == s.lower() or scope.lower().startswith(s.lower().rstrip("/") + "/")
                       for s in scopes):
                d.assignable_scopes = [*scopes, scope]
                d = await client.role_definitions.create_or_update(home, guid, d)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        return RoleDefinition(id=d.id, role_name=d.role_name or "", custom=_text(d.role_type) == "CustomRole",
                              assignable_scopes=tuple(d.assignable_scopes or ()))

    # ------------------------------------------------------------------ network: public IPs and peerings

    async def set_public_ip(self, nic_id: str, *, ip_configuration: str, public_ip_id: str | None,
                            tenant_id: str) -> None:
        """Associate `public_ip_id` with one IP configuration of a NIC, or disassociate it (None)."""
        group, name = _group_and_name(nic_id)
        client = self._network(_subscription_of(nic_id), tenant_id)
        try:
            nic = await client.network_interfaces.get(group, name)
            config = next((c for c in nic.ip_configurations or []
                           if (c.name or "").lower() == ip_configuration.lower()), None)
            if config is None:
                raise ArmError(None, ArmErrorDetail(
                    code="IpConfigurationNotFound",
                    message=f"IP configuration '{ip_configuration}' does not exist on network interface '{name}'."))
            from azure.mgmt.network import models as nm

            config.public_ip_address = nm.PublicIPAddress(id=public_ip_id) if public_ip_id else None
            poller = await client.network_interfaces.begin_create_or_update(group, name, nic)
            await poller.result()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def get_peering(self, vnet_id: str, name: str, *, tenant_id: str) -> Peering:
        group, vnet = _group_and_name(vnet_id)
        client = self._network(_subscription_of(vnet_id), tenant_id)
        try:
            p = await client.virtual_network_peerings.get(group, vnet, name)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return _peering(vnet_id, p)

    async def create_peering(self, peering: Peering, *, tenant_id: str) -> Peering:
        """Create (or update) one side of a peering with the flags it had."""
        group, vnet = _group_and_name(peering.vnet_id)
        client = self._network(_subscription_of(peering.vnet_id), tenant_id)
        from azure.mgmt.network import models as nm

        body = nm.VirtualNetworkPeering(
            remote_virtual_network=nm.SubResource(id=peering.remote_vnet_id),
            allow_virtual_network_access=peering.allow_virtual_network_access,
            allow_forwarded_traffic=peering.allow_forwarded_traffic,
            allow_gateway_transit=peering.allow_gateway_transit, use_remote_gateways=peering.use_remote_gateways)
        try:
            poller = await client.virtual_network_peerings.begin_create_or_update(group, vnet, peering.name, body)
            return _peering(peering.vnet_id, await poller.result())
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def delete_peering(self, vnet_id: str, name: str, *, tenant_id: str) -> None:
        """Delete one side of a peering (Azure has no disabled state); one already gone is not an error."""
        group, vnet = _group_and_name(vnet_id)
        client = self._network(_subscription_of(vnet_id), tenant_id)
        try:
            poller = await client.virtual_network_peerings.begin_delete(group, vnet, name)
            await poller.result()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    # ------------------------------------------------------------------ resources some fixes read, change, delete
    # or make again by id: jobs, disks' keys, restore points, linked services, SQL VM registrations, certificates

    async def get_resource(self, resource_id: str, *, tenant_id: str) -> Resource:
        subscription_id = _subscription_of(resource_id)
        client = self._resources(subscription_id, tenant_id)
        request = HttpRequest("GET", resource_id, params={"api-version": _api_of(resource_id)},
                              headers={"Accept": "application/json"})
        try:
            response = await client.send_request(request)
            if response.status_code != 200:
                raise HttpResponseError(response=response)
            row = response.json()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return _resource({**row, "subscriptionId": subscription_id})

    async def create_resource(self, resource_id: str, *, location: str | None, properties: dict[str, Any],
                              tenant_id: str) -> Resource:
        """Create (or update) a resource by id and wait until its provider has finished."""
        client = self._resources(_subscription_of(resource_id), tenant_id)
        body: dict[str, Any] = {"properties": properties}
        if location:
            body["location"] = location
        try:
            poller = await client.resources.begin_create_or_update_by_id(
                resource_id, body, api_version=_api_of(resource_id))
            return _generic(await poller.result(), resource_id)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def delete_resource(self, resource_id: str, *, tenant_id: str) -> None:
        """Delete a resource by id and wait until it is gone; one already gone is not an error."""
        client = self._resources(_subscription_of(resource_id), tenant_id)
        try:
            poller = await client.resources.begin_delete_by_id(resource_id, api_version=_api_of(resource_id))
            await poller.result()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def begin_stop_job(self, job_id: str, *, tenant_id: str) -> MoveOperation:
        return await self._begin_action(job_id, "stop", body=None, tenant_id=tenant_id)

    async def begin_start_job(self, job_id: str, *, output_start_mode: str, tenant_id: str) -> MoveOperation:
        return await self._begin_action(job_id, "start", body={"outputStartMode": output_start_mode},
                                        tenant_id=tenant_id)

    async def begin_set_disk_encryption(self, disk_id: str, *, encryption_type: str,
                                        disk_encryption_set_id: str | None, tenant_id: str) -> MoveOperation:
        """PATCH the disk's encryption: platform-managed keys, or a customer-managed key through a set."""
        client = self._resources(_subscription_of(disk_id), tenant_id)
        encryption: dict[str, Any] = {"type": encryption_type}
        if disk_encryption_set_id:
            encryption["diskEncryptionSetId"] = disk_encryption_set_id
        try:
            poller = await client.resources.begin_update_by_id(
                disk_id, rm.GenericResource(properties={"encryption": encryption}), api_version=_api_of(disk_id),
                polling=self._polling(client))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        return ArmMoveOperation(poller)

    async def begin_delete_restore_points(self, collection_id: str, *, tenant_id: str) -> MoveOperation:
        client = self._resources(_subscription_of(collection_id), tenant_id)
        try:
            poller = await client.resources.begin_delete_by_id(collection_id, api_version=_api_of(collection_id),
                                                               polling=self._polling(client))
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        return ArmMoveOperation(poller)

    async def _begin_action(self, resource_id: str, action: str, *, body: dict[str, Any] | None,
                            tenant_id: str) -> MoveOperation:
        """A provider's POST action (`…/stop`, `…/start`): the generic resources client has none, so the
        request goes through its pipeline (auth, retry, pacing) and ARM's LRO polling follows it."""
        client = self._resources(_subscription_of(resource_id), tenant_id)
        request = HttpRequest("POST", f"{resource_id}/{action}", params={"api-version": _api_of(resource_id)},
                              json=body, headers={"Accept": "application/json"})
        request.url = client._client.format_url(request.url, endpoint=client._config.base_url)
        try:
            pipeline_response = await client._client._pipeline.run(request, stream=False)
            if pipeline_response.http_response.status_code not in (200, 202):
                raise HttpResponseError(response=pipeline_response.http_response)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc
        poller: AsyncLROPoller[None] = AsyncLROPoller(client._client, pipeline_response, lambda *_: None,
                                                      self._polling(client))
        return ArmMoveOperation(poller)

    # ------------------------------------------------------------------ an app's VNet integration, a subnet's NAT
    # The integration is Microsoft.Web's `networkConfig/virtualNetwork`, a generic resource with its api-version.

    async def get_vnet_integration(self, site_id: str, *, tenant_id: str) -> str:
        client = self._resources(_subscription_of(site_id), tenant_id)
        try:
            found = await client.resources.get_by_id(f"{site_id}/networkConfig/virtualNetwork", api_version=WEB_API)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return str((found.properties or {}).get("subnetResourceId") or "")

    async def set_vnet_integration(self, site_id: str, *, subnet_id: str,
                                   tenant_id: str) -> None:
        client = self._resources(_subscription_of(site_id), tenant_id)
        body = rm.GenericResource(properties={"subnetResourceId": subnet_id, "swiftSupported": True})
        try:
            poller = await client.resources.begin_create_or_update_by_id(
                f"{site_id}/networkConfig/virtualNetwork", body, api_version=WEB_API, polling=self._polling(client))
            await poller.result()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def remove_vnet_integration(self, site_id: str, *, tenant_id: str) -> None:
        client = self._resources(_subscription_of(site_id), tenant_id)
        try:
            poller = await client.resources.begin_delete_by_id(f"{site_id}/networkConfig/virtualNetwork",
                                                               api_version=WEB_API, polling=self._polling(client))
            await poller.result()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc

    async def get_subnet_nat_gateway(self, vnet_id: str, subnet: str, *,
                                     tenant_id: str) -> str:
        group, vnet = _group_and_name(vnet_id)
        client = self._network(_subscription_of(vnet_id), tenant_id)
        try:
            found = await client.subnets.get(group, vnet, subnet)
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc) from exc
        return str(found.nat_gateway.id if found.nat_gateway else "")

    async def remove_subnet_nat_gateway(self, vnet_id: str, subnet: str, *,
                                        tenant_id: str) -> None:
        """Read the subnet and write it back without its NAT gateway (the PUT replaces the whole subnet)."""
        group, vnet = _group_and_name(vnet_id)
        client = self._network(_subscription_of(vnet_id), tenant_id)
        try:
            found = await client.subnets.get(group, vnet, subnet)
            if found.nat_gateway is None:
                return
            found.nat_gateway = None
            poller = await client.subnets.begin_create_or_update(group, vnet, subnet, found)
            await poller.result()
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise to_domain(exc, write=True) from exc


def _generic(found: Any, resource_id: str) -> Resource:
    """What the SDK answered for a resource by id, as the domain's Resource."""
    row = _plain(found) or {}
    return _resource({**row, "id": row.get("id") or resource_id, "subscriptionId": _subscription_of(resource_id)})


def _api_of(resource_id: str) -> str:
    match = _PROVIDER_TYPE.search(resource_id)
    api = RESOURCE_APIS.get(match.group(1).lower()) if match else None
    if api is None:
        raise ValueError(f"no api-version known for '{resource_id}'")
    return api


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
                   polling_interval: float = 15.0) -> ArmGateway:
    """`credential`: how the bot acts in customers' tenants (`IdentityConfig`, or a mode name such as
    "sandbox": static tokens, loopback only)."""
    return ArmGateway(build_credential(credential, endpoint=endpoint), endpoint=endpoint, ca_bundle=ca_bundle,
                      authority_host=authority_host, polling_interval=polling_interval)
