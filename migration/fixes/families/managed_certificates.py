"""Free App Service managed certificates: Azure refuses to move one, and a bound one cannot be deleted. So
its host names go back to plain HTTP, it is deleted before the moves (it leaves the moves' requests), and
once the moves ended it is issued again for its host name and moved plan and bound where the old one was
bound: at the new ids of what it points at, or where they stayed. HTTPS on those names breaks meanwhile."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from migration.azure.ports import HasInventory, HasResources
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Regrouping, StepSpec, each
from migration.fixes.lookups import delete, get, put, side_of
from migration.model import ArmError, Resource, ResourceId
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind


class ServiceAzure(HasResources, HasInventory, Protocol):
    """What these steps use: resources by id, and the inventory to see what moved."""


def _ssl_bindings(facts: PlanFacts, thumbprint: str) -> list[tuple[Resource, str, str]]:
    """(site, host name, SSL state) of every binding that uses the certificate."""
    out = []
    for site in facts.resources:
        if site.type_lower not in ("microsoft.web/sites", "microsoft.web/sites/slots") or not thumbprint:
            continue
        for state in site.properties.get("hostNameSslStates") or []:
            if isinstance(state, dict) and str(state.get("thumbprint") or "").upper() == thumbprint.upper():
                out.append((site, str(state.get("name") or ""), str(state.get("sslState") or "SniEnabled")))
    return out


def _managed_certificates(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    found = [r for rid in fix.resource_ids if (r := facts.resource(rid)) is not None
             and r.type_lower == "microsoft.web/certificates" and r.properties.get("canonicalName")]
    found = [r for r in found if r.properties.get("serverFarmId")]
    for cert in found:
        host = str(cert.properties["canonicalName"])
        plan = str(cert.properties["serverFarmId"])
        thumbprint = str(cert.properties.get("thumbprint") or "")
        bindings = _ssl_bindings(facts, thumbprint)
        # The apps as they stand when the step runs: after an App Service app went back to its plan's group.
        now = [(moves.current(site.id), name, state) for site, name, state in bindings]
        old = " ".join(f"{site}|{name}|{state}" for site, name, state in now)
        delete = PlanStep(f"delete_managed_certificate:{cert.id}".lower(), StepKind.DELETE_MANAGED_CERTIFICATE,
                          cert.resource_group,
                          args(certificate=cert.id, name=cert.name, host=host, thumbprint=thumbprint, bindings=old,
                               group=cert.resource_group,
                               subscription=facts.source_subscription_id))
        add(delete)
        new_cert = ResourceId.parse(moves.relocated(cert.id))
        new_bindings = [(moves.relocated(site.id), name, state) for site, name, state in bindings]
        sites = sorted({name_of(s) for s, _, _ in new_bindings})
        add(PlanStep(f"recreate_managed_certificate:{new_cert}".lower(), StepKind.RECREATE_MANAGED_CERTIFICATE,
                     cert.resource_group,
                     args(certificate=new_cert, host=host, plan=moves.relocated(plan), location=cert.location,
                          bindings=" ".join(f"{s}|{n}|{st}" for s, n, st in new_bindings),
                          bound_to=f" and bind it to {', '.join(sites)}" if sites else "",
                          group=new_cert.resource_group,
                          subscription=new_cert.subscription, scope=new_cert, certificate_source=cert.id,
                          plan_source=moves.current(plan), bindings_source=old, source_scope=cert.id),
                     after=(delete.key,),
                     ended=moves.waits_for_moves(cert.id, plan, *(s.id for s, _, _ in bindings))))
    return [] if found else [fix]



def _bindings(step: PlanStep, side: str = "") -> list[tuple[str, str, str]]:
    """(site id, host name, SSL state) recorded in the step (`side` "_source": where they were)."""
    recorded = step.arg("bindings" + side) or step.arg("bindings")
    return [(site, host, state) for site, host, state in (b.split("|") for b in recorded.split() if b)]


async def _delete_certificate(azure: ServiceAzure, step: PlanStep) -> None:
    """A bound certificate cannot be deleted: its host names go back to plain HTTP first. When Azure then
    refuses the deletion, they get the certificate back, so the step fails without breaking HTTPS."""
    for site, host, _ in _bindings(step):
        binding = await get(azure, f"{site}/hostNameBindings/{host}")
        if binding is not None and str(binding.properties.get("thumbprint") or "").upper() == \
                step.arg("thumbprint").upper():
            await put(azure, f"{site}/hostNameBindings/{host}", location=None, properties={"sslState": "Disabled"})
    try:
        await delete(azure, step.arg("certificate"))
    except ArmError:
        # Every recorded host name left without a certificate (now, or by a run a crash cut short).
        for site, host, state in _bindings(step):
            binding = await get(azure, f"{site}/hostNameBindings/{host}")
            if binding is not None and not binding.properties.get("thumbprint"):
                await put(azure, f"{site}/hostNameBindings/{host}", location=None, properties={
                    "sslState": state, "thumbprint": step.arg("thumbprint")})
        raise


async def _certificate_deleted(azure: ServiceAzure, step: PlanStep) -> bool:
    return await get(azure, step.arg("certificate")) is None


async def _recreate_certificate(azure: ServiceAzure, step: PlanStep) -> None:
    """Issue the certificate again, then bind its new thumbprint where the old one was bound. A run cut
    short by a crash goes on from what it finds: a certificate issued is not issued twice."""
    side = await side_of(azure, step, "plan")
    cert = await get(azure, step.arg("certificate" + side))
    if cert is None or str(cert.properties.get("canonicalName") or "").lower() != step.arg("host").lower():
        cert = await put(azure, step.arg("certificate" + side), location=step.arg("location"),
                          properties={"canonicalName": step.arg("host"), "serverFarmId": step.arg("plan" + side)})
    thumbprint = str(cert.properties.get("thumbprint") or "")
    for site, host, state in _bindings(step, side):
        binding = await get(azure, f"{site}/hostNameBindings/{host}")
        if binding is None or str(binding.properties.get("thumbprint") or "").upper() != thumbprint.upper():
            await put(azure, f"{site}/hostNameBindings/{host}", location=None,
                       properties={"sslState": state, "thumbprint": thumbprint})


async def _certificate_recreated(azure: ServiceAzure, step: PlanStep) -> bool:
    side = await side_of(azure, step, "plan")
    cert = await get(azure, step.arg("certificate" + side))
    if cert is None or str(cert.properties.get("canonicalName") or "").lower() != step.arg("host").lower():
        return False
    thumbprint = str(cert.properties.get("thumbprint") or "").upper()
    for site, host, _ in _bindings(step, side):
        binding = await get(azure, f"{site}/hostNameBindings/{host}")
        if binding is None or str(binding.properties.get("thumbprint") or "").upper() != thumbprint:
            return False
    return True



def _command_values(step: PlanStep) -> Mapping[str, Any]:
    """The lists its command templates iterate over: the sites the certificate is bound to ("site|host|state"
    items) and their new bindings; to issue it again, the first site's names, or its properties for a PUT."""
    bindings = [b.split("|") for b in step.arg("bindings").split()]
    values: dict[str, Any] = {
        "bound_sites": list(dict.fromkeys(site for site, *_ in bindings)),
        "new_bindings": [{"site": site, "ssl_type": "IP" if rest[-1:] and rest[-1].lower() == "ipbasedenabled"
                          else "SNI"} for site, *rest in bindings]}
    if step.kind is StepKind.RECREATE_MANAGED_CERTIFICATE:
        if bindings:
            site = ResourceId.parse(bindings[0][0])
            values.update(create_site=site.name, create_group=site.resource_group,
                          create_subscription=site.subscription)
        values["properties"] = json.dumps({"canonicalName": step.arg("host"), "serverFarmId": step.arg("plan")})
    return values


FAMILY = FixFamily(
    name="managed_certificates",
    actions=("recreate_managed_certificate",),
    plan=each(_managed_certificates),
    steps=(StepSpec(StepKind.DELETE_MANAGED_CERTIFICATE, _delete_certificate, _certificate_deleted,
                    deletes="certificate", leaves_moves=True, regrouping=Regrouping.ALL,
                    command_values=_command_values),
           StepSpec(StepKind.RECREATE_MANAGED_CERTIFICATE, _recreate_certificate, _certificate_recreated,
                    remakes="certificate", command_values=_command_values)),
)
