"""Microsoft Graph, as far as the access model needs it: is a person of the partner's tenant a member of these
security groups, transitively (`POST /v1.0/users/{id}/checkMemberGroups`,
https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups). Asked with the bot's identity in the
partner's tenant, through azure-identity; answers kept for a short while; errors mapped once, here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import quote

from azure.core import AsyncPipelineClient
from azure.core.configuration import Configuration
from azure.core.exceptions import AzureError
from azure.core.pipeline import policies as core
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.rest import HttpRequest

from migration.azure.credentials import AsyncCredential, TenantCredential
from migration.model.errors import DirectoryUnavailable

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
CHECK_LIMIT = 20  # group ids per checkMemberGroups call (Graph's limit, same page)
_TIMEOUT = 10


class GraphMembership:
    """The application's `Membership` port over Microsoft Graph."""

    def __init__(self, credential: AsyncCredential, *, endpoint: str, partner_tenant_id: str,
                 ca_bundle: str | None, cache_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._endpoint = endpoint.rstrip("/")
        bound = TenantCredential(credential, partner_tenant_id) if partner_tenant_id else credential
        config: Configuration[Any, Any] = Configuration()
        config.headers_policy = core.HeadersPolicy()
        config.user_agent_policy = core.UserAgentPolicy(sdk_moniker="csp-migration-bot")
        config.retry_policy = core.AsyncRetryPolicy(retry_total=2, timeout=_TIMEOUT)
        # azure-identity's async credentials satisfy the protocol azure-core declares under another name.
        config.authentication_policy = core.AsyncBearerTokenCredentialPolicy(bound, GRAPH_SCOPE)  # type: ignore[arg-type]
        self._ca_bundle = ca_bundle
        self._config = config
        self._client: AsyncPipelineClient[Any, Any] | None = None
        self._cache: dict[tuple[str, frozenset[str]], tuple[float, frozenset[str]]] = {}
        self._seconds = cache_seconds
        self._clock = clock

    def _pipeline(self) -> AsyncPipelineClient[Any, Any]:
        if self._client is None:  # lazily: the transport wants a running event loop
            transport = AioHttpTransport(connection_verify=self._ca_bundle or True)
            self._client = AsyncPipelineClient(self._endpoint, config=self._config, transport=transport)
        return self._client

    async def member_of(self, user_id: str, group_ids: Collection[str]) -> frozenset[str]:
        wanted = frozenset(g.lower() for g in group_ids)
        if not wanted:
            return frozenset()
        key, now = (user_id.lower(), wanted), self._clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._seconds:
            return cached[1]
        found: set[str] = set()
        ordered = sorted(wanted)
        for start in range(0, len(ordered), CHECK_LIMIT):
            found |= await self._check(user_id.lower(), ordered[start:start + CHECK_LIMIT])
        answer = frozenset(found)
        self._cache[key] = (now, answer)
        return answer

    async def _check(self, user_id: str, group_ids: list[str]) -> set[str]:
        request = HttpRequest("POST", f"{self._endpoint}/v1.0/users/{quote(user_id, safe='')}/checkMemberGroups",
                              json={"groupIds": group_ids}, headers={"Accept": "application/json"})
        try:
            response = await self._pipeline().send_request(request)
            if response.status_code == 404:
                return set()  # Request_ResourceNotFound: no such user in the partner's tenant, in no group
            if response.status_code != 200:
                raise DirectoryUnavailable(f"Microsoft Graph answered {response.status_code} "
                                           f"({_code(response.json() if response.text() else {})})")
            return {str(v).lower() for v in response.json().get("value") or ()} & set(group_ids)
        except AzureError as error:
            raise DirectoryUnavailable(f"Microsoft Graph could not be reached ({type(error).__name__})") from None
        except ValueError:
            raise DirectoryUnavailable("Microsoft Graph's answer was not JSON") from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


def _code(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code"))[:60] if isinstance(error, dict) else "no error code"
