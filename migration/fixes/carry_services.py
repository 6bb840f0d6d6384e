"""Carrying out what Azure refuses to move: a workspace's Automation link, a SQL IaaS Agent registration and
a free managed certificate (with its host name bindings). Each is removed before the moves and created again
once they ended: where what it belongs to landed, or where that still is when its move did not happen.
Whether a step took effect is read back by id.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from migration.azure.ports import HasInventory, HasResources
from migration.model import ArmError, NotFound, Resource, ResourceId
from migration.model.plan import PlanStep, StepKind


class ServiceAzure(HasResources, HasInventory, Protocol):
    """What these steps use: resources by id, and the inventory to see what moved."""


async def _get(azure: HasResources, resource_id: str) -> Resource | None:
    try:
        return await azure.resources.get_resource(resource_id)
    except NotFound:
        return None


async def _put(azure: HasResources, resource_id: str, *, location: str | None, properties: dict[str, str]) -> Resource:
    return await (await azure.resources.begin_create_or_update(resource_id, location=location,
                                                               properties=properties)).wait()


async def _delete(azure: HasResources, resource_id: str) -> None:
    await (await azure.resources.begin_delete(resource_id)).wait()


def _bindings(step: PlanStep, side: str = "") -> list[tuple[str, str, str]]:
    """(site id, host name, SSL state) recorded in the step (`side` "_source": where they were)."""
    recorded = step.arg("bindings" + side) or step.arg("bindings")
    return [(site, host, state) for site, host, state in (b.split("|") for b in recorded.split() if b)]


async def exists(azure: HasInventory, resource_id: str) -> bool:
    """Whether the inventory holds the resource (by id, case-insensitively)."""
    rid = ResourceId.parse(resource_id)
    return any(r.id.lower() == rid.key for r in await azure.inventory.list_resources(rid.subscription))


async def _side(azure: HasInventory, step: PlanStep, anchor: str) -> str:
    """Where a follow-through step makes its resource again: "" at the moved `anchor` (the workspace, VM or
    plan it belongs to) when that exists, "_source" where it was when the move did not happen."""
    moved, stayed = step.arg(anchor), step.arg(anchor + "_source")
    if not stayed or await exists(azure, moved):
        return ""
    return "_source" if await exists(azure, stayed) else ""


async def _link_place(azure: HasInventory, step: PlanStep) -> tuple[str, str]:
    """(link id, Automation account id) as things stand: each moved, or not."""
    moved = await exists(azure, str(ResourceId.parse(step.arg("link")).parent))
    link = step.arg("link") if moved or not step.arg("link_source") else step.arg("link_source")
    account = step.arg("automation")
    if step.arg("automation_source") and not await exists(azure, account):
        account = step.arg("automation_source")
    return link, account


async def _unlink(azure: ServiceAzure, step: PlanStep) -> None:
    await _delete(azure, step.arg("link"))


async def _unlinked(azure: ServiceAzure, step: PlanStep) -> bool:
    return await _get(azure, step.arg("link")) is None


async def _relink(azure: ServiceAzure, step: PlanStep) -> None:
    link, account = await _link_place(azure, step)
    await _put(azure, link, location=None, properties={"resourceId": account})


async def _relinked(azure: ServiceAzure, step: PlanStep) -> bool:
    link_id, account = await _link_place(azure, step)
    link = await _get(azure, link_id)
    return link is not None and str(link.properties.get("resourceId") or "").lower() == account.lower()


async def _delete_registration(azure: ServiceAzure, step: PlanStep) -> None:
    await _delete(azure, step.arg("registration"))


async def _registration_deleted(azure: ServiceAzure, step: PlanStep) -> bool:
    return await _get(azure, step.arg("registration")) is None


async def _register(azure: ServiceAzure, step: PlanStep) -> None:
    side = await _side(azure, step, "vm")
    properties = {**json.loads(step.arg("properties") or "{}"), "virtualMachineResourceId": step.arg("vm" + side)}
    await _put(azure, step.arg("registration" + side), location=step.arg("location"), properties=properties)


async def _registered(azure: ServiceAzure, step: PlanStep) -> bool:
    side = await _side(azure, step, "vm")
    reg = await _get(azure, step.arg("registration" + side))
    return reg is not None and str(reg.properties.get("virtualMachineResourceId") or "").lower() == \
        step.arg("vm" + side).lower()


async def _delete_certificate(azure: ServiceAzure, step: PlanStep) -> None:
    """A bound certificate cannot be deleted: its host names go back to plain HTTP first. When Azure then
    refuses the deletion, they get the certificate back, so the step fails without breaking HTTPS."""
    for site, host, _ in _bindings(step):
        binding = await _get(azure, f"{site}/hostNameBindings/{host}")
        if binding is not None and str(binding.properties.get("thumbprint") or "").upper() == \
                step.arg("thumbprint").upper():
            await _put(azure, f"{site}/hostNameBindings/{host}", location=None, properties={"sslState": "Disabled"})
    try:
        await _delete(azure, step.arg("certificate"))
    except ArmError:
        # Every recorded host name left without a certificate (now, or by a run a crash cut short).
        for site, host, state in _bindings(step):
            binding = await _get(azure, f"{site}/hostNameBindings/{host}")
            if binding is not None and not binding.properties.get("thumbprint"):
                await _put(azure, f"{site}/hostNameBindings/{host}", location=None, properties={
                    "sslState": state, "thumbprint": step.arg("thumbprint")})
        raise


async def _certificate_deleted(azure: ServiceAzure, step: PlanStep) -> bool:
    return await _get(azure, step.arg("certificate")) is None


async def _recreate_certificate(azure: ServiceAzure, step: PlanStep) -> None:
    """Issue the certificate again, then bind its new thumbprint where the old one was bound. A run cut
    short by a crash goes on from what it finds: a certificate issued is not issued twice."""
    side = await _side(azure, step, "plan")
    cert = await _get(azure, step.arg("certificate" + side))
    if cert is None or str(cert.properties.get("canonicalName") or "").lower() != step.arg("host").lower():
        cert = await _put(azure, step.arg("certificate" + side), location=step.arg("location"),
                          properties={"canonicalName": step.arg("host"), "serverFarmId": step.arg("plan" + side)})
    thumbprint = str(cert.properties.get("thumbprint") or "")
    for site, host, state in _bindings(step, side):
        binding = await _get(azure, f"{site}/hostNameBindings/{host}")
        if binding is None or str(binding.properties.get("thumbprint") or "").upper() != thumbprint.upper():
            await _put(azure, f"{site}/hostNameBindings/{host}", location=None,
                       properties={"sslState": state, "thumbprint": thumbprint})


async def _certificate_recreated(azure: ServiceAzure, step: PlanStep) -> bool:
    side = await _side(azure, step, "plan")
    cert = await _get(azure, step.arg("certificate" + side))
    if cert is None or str(cert.properties.get("canonicalName") or "").lower() != step.arg("host").lower():
        return False
    thumbprint = str(cert.properties.get("thumbprint") or "").upper()
    for site, host, _ in _bindings(step, side):
        binding = await _get(azure, f"{site}/hostNameBindings/{host}")
        if binding is None or str(binding.properties.get("thumbprint") or "").upper() != thumbprint:
            return False
    return True


# kind -> (carry it out, did it take effect)
STEPS: dict[StepKind, tuple[Callable[[Any, PlanStep], Awaitable[None]],
                             Callable[[Any, PlanStep], Awaitable[bool]]]] = {
    StepKind.UNLINK_WORKSPACE: (_unlink, _unlinked),
    StepKind.RELINK_WORKSPACE: (_relink, _relinked),
    StepKind.DELETE_SQL_REGISTRATION: (_delete_registration, _registration_deleted),
    StepKind.REGISTER_SQL_VM: (_register, _registered),
    StepKind.DELETE_MANAGED_CERTIFICATE: (_delete_certificate, _certificate_deleted),
    StepKind.RECREATE_MANAGED_CERTIFICATE: (_recreate_certificate, _certificate_recreated),
}
