"""Microsoft.Subscription's alias API (api-version 2021-10-01): a CSP subscription created in the customer's
tenant on the partner's billing scope `/providers/Microsoft.Billing/billingAccounts/{a}/customers/{c}`
(learn.microsoft.com/azure/cost-management-billing/manage/programmatically-create-subscription-microsoft-partner-
agreement; spec `Alias_Create`). Called in the partner's own tenant.

A long-running PUT: Azure answers `Accepted`, then the same URL says `Succeeded`. The alias name is the request's
own name: asking again with the same name answers the subscription first asked for, whatever the body says, so
the answer is checked against what was asked (its billing scope and name) and refused when it is another one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from azure.core.pipeline import PipelineContext, PipelineResponse
from azure.core.polling import AsyncLROPoller

from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.azure.operations import ArmOperation, done
from migration.model import ArmError, ArmErrorDetail, CreatedSubscription, Workload

ALIAS_API = "2021-10-01"
ALIASES = "/providers/Microsoft.Subscription/aliases"


def _created(body: dict[str, Any]) -> CreatedSubscription:
    properties = body.get("properties") or {}
    tags = properties.get("tags") or {}
    return CreatedSubscription(
        alias=str(body.get("name") or ""), subscription_id=str(properties.get("subscriptionId") or ""),
        display_name=str(properties.get("displayName") or ""), billing_scope=str(properties.get("billingScope") or ""),
        workload=str(properties.get("workload") or ""), state=str(properties.get("provisioningState") or ""),
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {})


def _scope(value: str) -> str:
    """A billing scope compared as Azure reads it (with or without its `/providers/Microsoft.Billing` head)."""
    lowered = value.lower().rstrip("/")
    return lowered.removeprefix("/providers/microsoft.billing")


class ArmAliases:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(write=True)
    async def begin_create_subscription(self, name: str, *, display_name: str, workload: Workload,
                                        billing_scope: str, tags: Mapping[str, str],
                                        owner_id: str | None = None) -> ArmOperation[CreatedSubscription]:
        """Ask for the subscription of alias `name` (asking again is safe: Azure answers the one first asked for);
        `wait()` returns it once Azure created it. An alias of that name for another subscription is refused."""
        additional: dict[str, Any] = {"tags": dict(tags)}
        if owner_id:
            additional["subscriptionOwnerId"] = owner_id
        body = {"properties": {"displayName": display_name, "workload": workload.value, "billingScope": billing_scope,
                               "additionalProperties": additional}}
        pipeline = self._clients.pipeline()
        response = await pipeline.send("PUT", f"{ALIASES}/{quote(name, safe='')}", api_version=ALIAS_API, body=body,
                                       ok=(200, 201))
        answered = _created(response.json())
        if _scope(answered.billing_scope) != _scope(billing_scope) or answered.display_name != display_name:
            raise ArmError(409, ArmErrorDetail(
                code="AliasNameTaken",
                message=f"The subscription alias '{name}' already asked for another subscription "
                        f"('{answered.display_name}' on '{answered.billing_scope}'); nothing was created."))
        if answered.succeeded:
            return done(answered)
        initial = PipelineResponse(response.request, response, PipelineContext(None))
        poller: AsyncLROPoller[CreatedSubscription] = AsyncLROPoller(
            pipeline.client, initial, lambda final: _created(final.http_response.json()), pipeline.polling())
        return ArmOperation(poller, convert=lambda created: created)

    @maps_errors()
    async def get_alias(self, name: str) -> CreatedSubscription:
        """The subscription alias `name` (NotFound: never asked for)."""
        return _created(await self._clients.pipeline().get_json(f"{ALIASES}/{quote(name, safe='')}",
                                                                api_version=ALIAS_API))
