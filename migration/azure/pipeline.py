"""The gateway's own ARM pipeline, for the requests no SDK operation makes as we need them: Resource Graph
pages read as plain JSON, Microsoft.Authorization's `permissions` at subscription scope, a workspace's linked
services, resources by id, and providers' POST actions (a Stream Analytics job's `stop`) with ARM's polling.

Built from public azure-core / azure-mgmt-core parts, with the policies every SDK client of the gateway has:
ARM's challenge authentication, our retry policy and, for every attempt, the pacing by Azure's throttle headers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from azure.core.configuration import Configuration
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineContext, PipelineResponse
from azure.core.pipeline import policies as core
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.polling import AsyncLROPoller
from azure.core.rest import AsyncHttpResponse, HttpRequest
from azure.mgmt.core import AsyncARMPipelineClient
from azure.mgmt.core.policies import ARMHttpLoggingPolicy, AsyncARMChallengeAuthenticationPolicy
from azure.mgmt.core.polling.async_arm_polling import AsyncARMPolling

from migration.azure.credentials import AsyncCredential
from migration.azure.operations import ArmOperation, WaitFirstPolling
from migration.azure.pacing import ArmRetryPolicy, Pacer, PacingPolicy
from migration.model import ResourceId

ARM_SCOPE = "https://management.azure.com/.default"
_USER_AGENT = "csp-migration-bot"


class ArmPipeline:
    """One tenant's pipeline client: requests by path, answered as JSON, and LROs polled the ARM way."""

    def __init__(self, credential: AsyncCredential, *, endpoint: str, transport: AioHttpTransport, pacer: Pacer,
                 polling_interval: float) -> None:
        config: Configuration[Any, Any] = Configuration()
        config.headers_policy = core.HeadersPolicy()
        config.user_agent_policy = core.UserAgentPolicy(sdk_moniker=_USER_AGENT)
        config.proxy_policy = core.ProxyPolicy()
        config.redirect_policy = core.AsyncRedirectPolicy()
        config.retry_policy = ArmRetryPolicy()
        # azure-identity's async credentials satisfy the protocol azure-core declares under another name.
        config.authentication_policy = AsyncARMChallengeAuthenticationPolicy(credential,  # type: ignore[arg-type]
                                                                              ARM_SCOPE)
        config.custom_hook_policy = core.CustomHookPolicy()
        config.logging_policy = core.NetworkTraceLoggingPolicy()
        config.http_logging_policy = ARMHttpLoggingPolicy()
        self._endpoint = endpoint
        self._polling_interval = polling_interval
        self.client: AsyncARMPipelineClient[Any, Any] = AsyncARMPipelineClient(
            base_url=endpoint, config=config, transport=transport, per_retry_policies=[PacingPolicy(pacer)])

    def polling(self, *, wait_first: bool = True) -> AsyncARMPolling:
        """ARM's LRO polling of a job started here (status links are absolute; relative ones are ARM's), the
        first poll waiting the job's Retry-After (`WaitFirstPolling`) or not, as azure-core's own."""
        kind = WaitFirstPolling if wait_first else AsyncARMPolling
        return kind(self._polling_interval, path_format_arguments={"endpoint": self._endpoint})

    async def send(self, method: str, path: str, *, api_version: str | None, body: Any = None,
                   ok: tuple[int, ...] = (200,)) -> AsyncHttpResponse:
        """One request; an answer whose status is not in `ok` raises `HttpResponseError` (mapped by the caller)."""
        # Joined, not formatted: an id read from a customer's tenant is data, and `format_url` reads braces.
        url = path if "://" in path else self._endpoint + path
        request = HttpRequest(method, url,
                              params={"api-version": api_version} if api_version else None, json=body,
                              headers={"Accept": "application/json"})
        response = await self.client.send_request(request)
        if response.status_code not in ok:
            raise HttpResponseError(response=response)
        answer: AsyncHttpResponse = response
        return answer

    async def get_json(self, path: str, *, api_version: str | None) -> dict[str, Any]:
        found: dict[str, Any] = (await self.send("GET", path, api_version=api_version)).json()
        return found

    async def pages(self, path: str, *, api_version: str) -> AsyncIterator[dict[str, Any]]:
        """Each entry of `value`, page after page by `nextLink` (absolute, carrying its own api-version)."""
        url: str | None = path
        version: str | None = api_version
        while url:
            page = await self.get_json(url, api_version=version)
            for entry in page.get("value") or ():
                yield entry
            url, version = page.get("nextLink"), None

    async def begin(self, method: str, path: str, *, api_version: str, body: Any = None,
                    about: ResourceId) -> ArmOperation[None]:
        """A long-running request (a provider's POST action): sent once, then followed by ARM's polling."""
        response = await self.send(method, path, api_version=api_version, body=body, ok=(200, 202))
        initial = PipelineResponse(response.request, response, PipelineContext(None))
        poller: AsyncLROPoller[None] = AsyncLROPoller(self.client, initial, lambda _: None, self.polling())
        return ArmOperation(poller, about)

    async def close(self) -> None:
        await self.client.close()

