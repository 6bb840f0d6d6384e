"""Planned steps for what Azure refuses to move: a workspace's Automation link, a SQL IaaS Agent registration
and a free managed certificate are removed before the moves (recording what is needed to make them again)
and created again once the moves they depend on ended: at the new ids of what they point at, or where it
still is when a move did not happen."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from migration.fixes.facts import PlanFacts, Relocation, args
from migration.model import Resource, ResourceId
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind

SERVICE_BEFORE = (StepKind.UNLINK_WORKSPACE, StepKind.DELETE_SQL_REGISTRATION, StepKind.DELETE_MANAGED_CERTIFICATE)
SERVICE_AFTER = (StepKind.RELINK_WORKSPACE, StepKind.REGISTER_SQL_VM, StepKind.RECREATE_MANAGED_CERTIFICATE)
SQL_KEPT = ("sqlServerLicenseType", "sqlManagement", "sqlImageSku", "sqlImageOffer", "leastPrivilegeMode")


def deleted_id(step: PlanStep) -> str:
    """What a step before the moves deletes (or a step after them makes again)."""
    return step.arg("link") or step.arg("registration") or step.arg("certificate")


def deleted_before(steps: Iterable[PlanStep]) -> frozenset[str]:
    """The resources (lower-case ids) that steps before the moves delete: they leave the moves' requests."""
    return frozenset(s.arg("registration" if s.kind is StepKind.DELETE_SQL_REGISTRATION else "certificate").lower()
                     for s in steps
                     if s.kind in (StepKind.DELETE_SQL_REGISTRATION, StepKind.DELETE_MANAGED_CERTIFICATE))


def _workspace_links(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    wanted = {i.lower() for i in fix.resource_ids}
    links = [r for r in facts.linked_services if r.id.lower() in wanted]
    for link in links:
        link_id = ResourceId.parse(link.id)
        workspace_id = str(link_id.parent)
        automation = str(link.properties.get("resourceId") or link.properties.get("writeAccessResourceId") or "")
        unlink = PlanStep(f"unlink_workspace:{link.id}".lower(), StepKind.UNLINK_WORKSPACE, link.resource_group,
                          args(link=link.id, link_name=link_id.name, workspace_name=name_of(workspace_id),
                               automation=automation, automation_name=name_of(automation),
                               group=link.resource_group, subscription=facts.source_subscription_id))
        add(unlink)
        new_workspace = ResourceId.parse(moves.relocated(workspace_id))
        new_link = f"{new_workspace}/linkedServices/{link_id.name}"
        add(PlanStep(f"relink_workspace:{new_link}".lower(), StepKind.RELINK_WORKSPACE, link.resource_group,
                     args(link=new_link, link_name=link_id.name, workspace_name=name_of(workspace_id),
                          automation=moves.relocated(automation), automation_name=name_of(automation),
                          group=new_workspace.resource_group, subscription=new_workspace.subscription,
                          scope=new_workspace, link_source=link.id, automation_source=moves.current(automation),
                          source_scope=workspace_id),
                     after=(unlink.key,), ended=moves.waits_for_moves(workspace_id, automation)))
    return [] if links else [fix]  # not what the bot read at plan time: left to the engineer


def _sql_registrations(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    found = [r for rid in fix.resource_ids if (r := facts.resource(rid)) is not None
             and r.type_lower == "microsoft.sqlvirtualmachine/sqlvirtualmachines"]
    found = [r for r in found if r.properties.get("virtualMachineResourceId")]
    for reg in found:
        vm = str(reg.properties["virtualMachineResourceId"])
        kept = {k: reg.properties[k] for k in SQL_KEPT if reg.properties.get(k) not in (None, "")}
        license_type = str(kept.get("sqlServerLicenseType") or "PAYG")
        management = str(kept.get("sqlManagement") or "LightWeight")
        delete = PlanStep(f"delete_sql_registration:{reg.id}".lower(), StepKind.DELETE_SQL_REGISTRATION,
                          reg.resource_group,
                          args(registration=reg.id, name=reg.name, vm=vm, vm_name=name_of(vm), license=license_type,
                               management=management, group=reg.resource_group,
                               subscription=facts.source_subscription_id))
        add(delete)
        new_vm = moves.relocated(vm)
        new_group = ResourceId.parse(new_vm).group_scope
        new_reg = str(new_group.child("sqlVirtualMachines", name_of(vm), namespace="Microsoft.SqlVirtualMachine"))
        sku = str(kept.get("sqlImageSku") or "")
        in_source = ResourceId.parse(reg.id).in_group(ResourceId.parse(moves.current(vm)).group_scope)
        add(PlanStep(f"register_sql_vm:{new_reg}".lower(), StepKind.REGISTER_SQL_VM, reg.resource_group,
                     args(registration=new_reg, vm=new_vm, vm_name=name_of(vm), location=reg.location,
                          properties=json.dumps({**kept, "virtualMachineResourceId": new_vm}, sort_keys=True),
                          license=license_type, management=management, group=new_group.resource_group,
                          subscription=new_group.subscription, sku=sku,
                          scope=new_reg, registration_source=in_source, vm_source=moves.current(vm),
                          source_scope=reg.id),
                     after=(delete.key,), ended=moves.waits_for_moves(vm, reg.id)))
    return [] if found else [fix]


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


def _managed_certificates(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
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


PLANNERS = {"unlink_automation_workspace": _workspace_links,
            "delete_sql_iaas_registration": _sql_registrations,
            "recreate_managed_certificate": _managed_certificates}
