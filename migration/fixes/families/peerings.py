"""VNet peerings: Azure has no disabled peering, so each peering of a moved network is deleted before the
moves (where the network is once the in-subscription fixes ran) and both sides are made again once the moves
ended: at the new ids, or on the network where it stayed (never left deleted because a move failed)."""

from __future__ import annotations

from migration.azure.ports import HasNetwork
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Regrouping, StepSpec, each
from migration.model import NotFound, Peering, ResourceId
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind


def _peerings(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    """Delete each peering of the network (where it is once the in-subscription fixes ran); once the moves
    ended, make both sides again: at the new ids, or on the network where it stayed (never left deleted
    because a move failed)."""
    for rid in fix.resource_ids:
        vnet = facts.resource(rid)
        if vnet is None or vnet.type_lower != "microsoft.network/virtualnetworks":
            continue
        group = moves.moving_with(vnet.id)
        vnet_now = moves.current(vnet.id)
        for peering in vnet.properties.get("virtualNetworkPeerings") or []:
            props = peering.get("properties") or {}
            remote = str((props.get("remoteVirtualNetwork") or {}).get("id") or "")
            name = str(peering.get("name") or "")
            if not remote or not name:
                continue
            flags = {"allow_access": props.get("allowVirtualNetworkAccess", True),
                     "allow_forwarded": props.get("allowForwardedTraffic", False),
                     "allow_gateway_transit": props.get("allowGatewayTransit", False),
                     "use_remote_gateways": props.get("useRemoteGateways", False)}
            flags = {k: str(bool(v)).lower() for k, v in flags.items()}
            lift = PlanStep(f"delete_peering:{vnet_now}/{name}".lower(), StepKind.DELETE_PEERING, vnet.resource_group,
                            args(vnet=vnet_now, name=name, remote=moves.current(remote), vnet_name=vnet.name,
                                 remote_name=name_of(remote), **flags))
            add(lift)
            ended = moves.waits_for_moves(vnet.id, remote)
            sides = ((moves.relocated(vnet.id), vnet_now, moves.relocated(remote), moves.current(remote), name),
                     (moves.relocated(remote), moves.current(remote), moves.relocated(vnet.id), vnet_now,
                      _remote_side_name(facts, remote, vnet.id)))
            served = group.source_group if group else vnet.resource_group
            for here, here_now, there, there_now, side_name in sides:
                # This side with its own name; the remote side (kept name) now pointing at the moved network.
                if not side_name:
                    continue
                side, stayed = ResourceId.parse(here), ResourceId.parse(here_now)
                add(PlanStep(f"recreate_peering:{here}/{side_name}".lower(), StepKind.RECREATE_PEERING, served,
                             args(vnet=here, name=side_name, remote=there, vnet_name=side.name,
                                  remote_name=name_of(there), vnet_group=side.resource_group,
                                  vnet_subscription=side.subscription, **flags, vnet_source=here_now,
                                  remote_source=there_now, vnet_group_source=stayed.resource_group,
                                  vnet_subscription_source=stayed.subscription),
                             after=(lift.key,), ended=ended))
    return []


def _remote_side_name(facts: PlanFacts, remote_id: str, vnet_id: str) -> str:
    remote = facts.resource(remote_id)
    for peering in (remote.properties.get("virtualNetworkPeerings") or []) if remote else []:
        target = str(((peering.get("properties") or {}).get("remoteVirtualNetwork") or {}).get("id") or "")
        if target.lower() == vnet_id.lower():
            return str(peering.get("name") or "")
    return ""



def _peering(step: PlanStep) -> Peering:
    return Peering(vnet_id=step.arg("vnet"), name=step.arg("name"), remote_vnet_id=step.arg("remote"),
                   allow_virtual_network_access=step.arg("allow_access", "true") == "true",
                   allow_forwarded_traffic=step.arg("allow_forwarded") == "true",
                   allow_gateway_transit=step.arg("allow_gateway_transit") == "true",
                   use_remote_gateways=step.arg("use_remote_gateways") == "true")


async def _delete(azure: HasNetwork, step: PlanStep) -> None:
    await (await azure.network.begin_delete_peering(step.arg("vnet"), step.arg("name"))).wait()


async def _recreate(azure: HasNetwork, step: PlanStep) -> None:
    await (await azure.network.begin_create_peering(_peering(step))).wait()


async def _deleted(azure: HasNetwork, step: PlanStep) -> bool:
    try:
        await azure.network.get_peering(step.arg("vnet"), step.arg("name"))
    except NotFound:
        return True
    return False


async def _recreated(azure: HasNetwork, step: PlanStep) -> bool:
    try:
        peering = await azure.network.get_peering(step.arg("vnet"), step.arg("name"))
    except NotFound:
        return False
    return peering.remote_vnet_id.lower() == step.arg("remote").lower()


FAMILY = FixFamily(
    name="peerings",
    actions=("disable_peering",),
    plan=each(_peerings),
    steps=(StepSpec(StepKind.DELETE_PEERING, _delete, _deleted, regrouping=Regrouping.ITS_GROUP),
           StepSpec(StepKind.RECREATE_PEERING, _recreate, _recreated,
                    anchors=(("vnet", "vnet_group", "vnet_subscription"), ("remote",)))),
)
