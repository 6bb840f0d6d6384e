"""Reads of a customer's data, recorded: who looked at a move request (its card refreshed, its status) and who
read a customer tenant (its subscriptions and permissions on attach or the assess picker, an assessment).
A request's reads go on its audit chain, a tenant's on the tenant's (migration.execution.audit)."""

from __future__ import annotations

from migration.execution.audit import tenant_chain
from migration.execution.workflow import Workflow
from migration.model import Person
from migration.model.records import StoredRequest


class ReadAudit:
    def __init__(self, workflow: Workflow) -> None:
        self._workflow = workflow

    async def request_viewed(self, stored: StoredRequest, *, by: Person, tenant_id: str | None, view: str) -> None:
        await self._workflow.audit(stored.id, "viewed", by=by, tenant_id=tenant_id,
                                   detail={"view": view, "state": stored.state.value})

    async def tenant_read(self, customer_tenant_id: str, *, by: Person, tenant_id: str | None, what: str,
                          subscription_id: str | None = None) -> None:
        detail = {"read": what, **({"subscription": subscription_id} if subscription_id else {})}
        await self._workflow.trail.append(tenant_chain(customer_tenant_id), "read", by=by, tenant_id=tenant_id,
                                          detail=detail)
