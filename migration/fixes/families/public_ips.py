"""Standard public IPs: each disassociated from its NIC before the moves (where the NIC is once the
in-subscription fixes ran) and associated again once the moves ended, at the new ids, or where NIC and IP
stayed when a move did not happen (`anchors`)."""

from __future__ import annotations

from migration.azure.ports import HasInventory, HasNetwork
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Regrouping, StepSpec, each
from migration.model import ResourceId
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind


def _public_ips(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    """Disassociate each Standard public IP from its NIC (where the NIC is once the in-subscription fixes
    ran); associate it again once the moves ended: at the new ids, or where NIC and IP stayed."""
    for rid in fix.resource_ids:
        nic = facts.resource(rid)
        if nic is None or nic.type_lower != "microsoft.network/networkinterfaces":
            continue
        for config in nic.properties.get("ipConfigurations") or []:
            ip = str(((config.get("properties") or {}).get("publicIPAddress") or {}).get("id") or "")
            if not ip:
                continue
            name = str(config.get("name") or "")
            nic_now, ip_now = moves.current(nic.id), moves.current(ip)
            lift = PlanStep(f"disassociate_ip:{nic_now}/{name}".lower(), StepKind.DISASSOCIATE_IP, nic.resource_group,
                            args(nic=nic_now, ipconfig=name, ip=ip_now, nic_name=nic.name, ip_name=name_of(ip)))
            add(lift)
            group = moves.moving_with(nic.id)
            new_nic, new_ip = moves.relocated(nic.id), moves.relocated(ip)
            add(PlanStep(f"reassociate_ip:{new_nic}/{name}".lower(), StepKind.REASSOCIATE_IP,
                         group.source_group if group else nic.resource_group,
                         args(nic=new_nic, ipconfig=name, ip=new_ip, nic_name=nic.name, ip_name=name_of(ip),
                              nic_source=nic_now, ip_source=ip_now),
                         after=(lift.key,), ended=moves.waits_for_moves(nic.id, ip)))
    return []



async def _set_ip(azure: HasNetwork, step: PlanStep) -> None:
    ip = step.arg("ip") if step.kind is StepKind.REASSOCIATE_IP else None
    await (await azure.network.begin_set_public_ip(step.arg("nic"), ip_configuration=step.arg("ipconfig"),
                                                   public_ip_id=ip)).wait()


async def _ip_as_wanted(azure: HasInventory, step: PlanStep) -> bool:
    nic_id = ResourceId.parse(step.arg("nic"))
    nic = next((r for r in await azure.inventory.list_resources(nic_id.subscription)
                if r.id.lower() == nic_id.key), None)
    if nic is None:
        return False
    configs = {str(c.get("name", "")).lower(): c for c in nic.properties.get("ipConfigurations") or []}
    config = configs.get(step.arg("ipconfig").lower()) or {}
    ip = str(((config.get("properties") or {}).get("publicIPAddress") or {}).get("id") or "")
    return not ip if step.kind is StepKind.DISASSOCIATE_IP else ip.lower() == step.arg("ip").lower()


FAMILY = FixFamily(
    name="public_ips",
    actions=("disassociate_public_ip",),
    plan=each(_public_ips),
    steps=(StepSpec(StepKind.DISASSOCIATE_IP, _set_ip, _ip_as_wanted, regrouping=Regrouping.ITS_GROUP),
           StepSpec(StepKind.REASSOCIATE_IP, _set_ip, _ip_as_wanted, anchors=(("nic",), ("ip",)))),
)
