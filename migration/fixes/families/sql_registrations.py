"""SQL IaaS Agent registrations: Azure refuses to move one, so it is deleted before the moves (its license,
management mode and image SKU recorded; it leaves the moves' requests) and the VM is registered again once
its move ended: at its new id, or where it stayed."""

from __future__ import annotations

import json
from typing import Protocol

from migration.azure.ports import HasInventory, HasResources
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Regrouping, StepSpec, each
from migration.fixes.lookups import delete, get, put, side_of
from migration.model import ResourceId
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind

SQL_KEPT = ("sqlServerLicenseType", "sqlManagement", "sqlImageSku", "sqlImageOffer", "leastPrivilegeMode")


class ServiceAzure(HasResources, HasInventory, Protocol):
    """What these steps use: resources by id, and the inventory to see what moved."""


def _sql_registrations(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
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



async def _delete_registration(azure: ServiceAzure, step: PlanStep) -> None:
    await delete(azure, step.arg("registration"))


async def _registration_deleted(azure: ServiceAzure, step: PlanStep) -> bool:
    return await get(azure, step.arg("registration")) is None


async def _register(azure: ServiceAzure, step: PlanStep) -> None:
    side = await side_of(azure, step, "vm")
    properties = {**json.loads(step.arg("properties") or "{}"), "virtualMachineResourceId": step.arg("vm" + side)}
    await put(azure, step.arg("registration" + side), location=step.arg("location"), properties=properties)


async def _registered(azure: ServiceAzure, step: PlanStep) -> bool:
    side = await side_of(azure, step, "vm")
    reg = await get(azure, step.arg("registration" + side))
    return reg is not None and str(reg.properties.get("virtualMachineResourceId") or "").lower() == \
        step.arg("vm" + side).lower()



FAMILY = FixFamily(
    name="sql_registrations",
    actions=("delete_sql_iaas_registration",),
    plan=each(_sql_registrations),
    steps=(StepSpec(StepKind.DELETE_SQL_REGISTRATION, _delete_registration, _registration_deleted,
                    deletes="registration", leaves_moves=True, regrouping=Regrouping.ALL),
           StepSpec(StepKind.REGISTER_SQL_VM, _register, _registered, remakes="registration")),
)
