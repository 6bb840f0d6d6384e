"""An app's VNet integration and a subnet's NAT gateway: the integration is removed before the moves and
added again after them, on the app where it then is and the subnet where that is (its network usually moves
with it; Azure integrates an app with a network of another subscription of the tenant too); a NAT gateway
comes off its subnets (it cannot change subscription). A new NAT gateway in the target, a private endpoint
and a Bastion host stay with the engineer, with the reason and the command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from migration.azure.ports import HasNetwork, HasWeb
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Regrouping, StepSpec
from migration.model import NotFound, ResourceId
from migration.model.commands import Command, Data, Script
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind, message

_SITES = ("microsoft.web/sites", "microsoft.web/sites/slots")


def _vnet_name(subnet_id: str) -> str:
    """The network a subnet id names ("" for an id that is no subnet's)."""
    subnet = ResourceId.parse(subnet_id) if ResourceId.is_valid(subnet_id) else None
    return subnet.parent.name if subnet is not None and subnet.parent and len(subnet.levels) > 1 else ""


def _app_networking(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    """Remove an app's VNet integration before the move; add it again after, on the app where it then is
    and the subnet where that is (its network usually moves with it; Azure integrates an app with a network
    of another subscription of the tenant too). A private endpoint stays with the engineer (below)."""
    if any("private-endpoint" in c.argv for c in fix.command):
        # Deleting one cuts private access to the app; its re-creation gets a new private IP, and DNS records
        # outside Azure's private zones and clients that use the IP must follow: the engineer's call.
        return [replace(fix, reason=message("private_endpoint_manual"), holds=True)]
    for rid in fix.resource_ids:
        site = facts.resource(rid)
        subnet = str(site.properties.get("virtualNetworkSubnetId") or "") if site is not None else ""
        if site is None or site.type_lower not in _SITES or not subnet:
            continue  # integration removed since the assessment: nothing to do
        old = ResourceId.parse(site.id)
        remove = PlanStep(f"remove_vnet_integration:{site.id}".lower(), StepKind.REMOVE_VNET_INTEGRATION, fix.group,
                          args(site=site.id, name=site.name, subnet=subnet, subnet_name=name_of(subnet),
                               vnet_name=_vnet_name(subnet), resource_group=old.resource_group,
                               subscription=old.subscription))
        add(remove)
        group, vnet_group = moves.group_for(site.id), moves.group_for(subnet)
        new_site, new_subnet = moves.new_id(site.id), moves.new_id(subnet)
        new = ResourceId.parse(new_site)
        # Back on, wherever the moves left the app and the network (a failed move leaves them in place).
        ended = tuple(dict.fromkeys(f"move:{g.source_group}" for g in (group, vnet_group) if g is not None))
        add(PlanStep(f"add_vnet_integration:{new_site}".lower(), StepKind.ADD_VNET_INTEGRATION,
                     group.source_group if group else fix.group,
                     args(site=new_site, old_site=site.id, name=site.name, subnet=new_subnet, old_subnet=subnet,
                          subnet_name=name_of(subnet), vnet_id=ResourceId.parse(new_subnet).parent,
                          vnet_name=_vnet_name(new_subnet), resource_group=new.resource_group,
                          subscription=new.subscription),
                     after=(remove.key,), ended=ended))
    return []


def _subnet_attachments(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    """A NAT gateway comes off its subnet before the move (it cannot change subscription); a new one in the
    target, with its own public IP (a new outbound address), is the engineer's. A Bastion host is too: it
    cannot move, and deleting it ends every Bastion session until one is created in the target."""
    manual: list[ChosenFix] = []
    vnet = next((r for i in fix.resource_ids for r in [facts.resource(i)]
                 if r is not None and r.type_lower == "microsoft.network/virtualnetworks"), None)
    others = [i for i in fix.resource_ids if vnet is None or i.lower() != vnet.id.lower()]
    if vnet is None or not others:
        return [fix]
    if "/microsoft.network/natgateways/" not in others[0].lower():
        return [replace(fix, reason=message("bastion_manual", bastion=name_of(others[0])), holds=True)]
    nat = others[0]
    group = moves.group_for(vnet.id)
    new_vnet = moves.new_id(vnet.id)
    target = ResourceId.parse(new_vnet)
    for subnet in vnet.properties.get("subnets") or []:
        attached = str(((subnet.get("properties") or {}).get("natGateway") or {}).get("id") or "")
        if attached.lower() != nat.lower():
            continue
        name = str(subnet.get("name") or "")
        where = args(vnet=vnet.id, vnet_name=vnet.name, subnet=name, nat=nat, nat_name=name_of(nat),
                     resource_group=vnet.resource_group, subscription=vnet.subscription_id
                     or facts.source_subscription_id)
        detach = PlanStep(f"detach_nat_gateway:{vnet.id}/{name}".lower(), StepKind.DETACH_NAT_GATEWAY, fix.group,
                          where)
        add(detach)
        # Back on the subnet where the network stayed when its move did not happen (it cannot follow it).
        waits = (f"move:{group.source_group}",) if group else tuple(f"move:{g.source_group}" for g in facts.groups)
        add(PlanStep(f"reattach_nat_gateway:{vnet.id}/{name}".lower(), StepKind.REATTACH_NAT_GATEWAY,
                     group.source_group if group else fix.group, where, after=(detach.key,), ended=waits))
        if group is None:
            continue
        command = Script.of(
            Command.of("az", "network", "nat", "gateway", "create", "-g", Data(target.resource_group), "-n",
                       Data(name_of(nat)), "--subscription", Data(target.subscription), "--public-ip-addresses",
                       "<new public IP>"),
            Command.of("az", "network", "vnet", "subnet", "update", "-g", Data(target.resource_group),
                       "--vnet-name", Data(vnet.name), "-n", Data(name), "--subscription", Data(target.subscription),
                       "--nat-gateway", Data(name_of(nat))))
        # Moot when the network's move did not happen: the NAT gateway went back on the subnet there.
        manual.append(ChosenFix(fix.group, fix.action, (f"{new_vnet}/subnets/{name}",), command,
                                reason=message("nat_gateway_after", nat_name=name_of(nat), subnet=name,
                                               vnet_name=vnet.name), follows=group.source_group))
    return manual



def _plan(facts: PlanFacts, moves: Relocation, fixes: Sequence[ChosenFix], add: Add) -> list[ChosenFix]:
    planner = {"remove_app_networking": _app_networking, "detach_subnet_resource": _subnet_attachments}
    return [left for fix in fixes for left in planner[fix.action](facts, moves, fix, add)]


class AppNetworkAzure(HasWeb, HasNetwork, Protocol):
    """What the VNet integration and NAT gateway steps use."""


async def _integration_now(azure: AppNetworkAzure, step: PlanStep) -> tuple[str, str, str]:
    """(the app's id, the subnet it should be integrated with, the subnet it is integrated with now): the
    new ids when the moves took them, the old ones when a move failed and left them in place."""
    site = step.arg("site")
    try:
        current = await azure.web.get_vnet_integration(site)
    except NotFound:
        site = step.arg("old_site") or site
        current = await azure.web.get_vnet_integration(site)
    subnet = step.arg("subnet")
    if subnet.lower() != step.arg("old_subnet", subnet).lower():
        new_subnet = ResourceId.parse(subnet)
        try:
            await azure.network.get_subnet_nat_gateway(str(new_subnet.parent), new_subnet.name)
        except NotFound:
            subnet = step.arg("old_subnet")
    return site, subnet, current


async def _remove_integration(azure: AppNetworkAzure, step: PlanStep) -> None:
    await (await azure.web.begin_remove_vnet_integration(step.arg("site"))).wait()


async def _integration_removed(azure: AppNetworkAzure, step: PlanStep) -> bool:
    return not await azure.web.get_vnet_integration(step.arg("site"))


async def _add_integration(azure: AppNetworkAzure, step: PlanStep) -> None:
    site, subnet, _ = await _integration_now(azure, step)
    await (await azure.web.begin_set_vnet_integration(site, subnet_id=subnet)).wait()


async def _integration_added(azure: AppNetworkAzure, step: PlanStep) -> bool:
    _, subnet, current = await _integration_now(azure, step)
    return current.lower() == subnet.lower()


async def _detach_nat_gateway(azure: AppNetworkAzure, step: PlanStep) -> None:
    await (await azure.network.begin_remove_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"))).wait()


async def _nat_gateway_detached(azure: AppNetworkAzure, step: PlanStep) -> bool:
    return not await azure.network.get_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"))


async def _nat_gateway_now(azure: AppNetworkAzure, step: PlanStep) -> str | None:
    """The NAT gateway on the subnet where the network stayed; None when the network moved (a NAT gateway
    cannot follow it: the target's is the engineer's)."""
    try:
        return await azure.network.get_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"))
    except NotFound:
        return None


async def _reattach_nat_gateway(azure: AppNetworkAzure, step: PlanStep) -> None:
    if await _nat_gateway_now(azure, step) is None:
        return  # the network moved: nothing stayed to put it back on
    await (await azure.network.begin_attach_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"),
                                                               nat_gateway_id=step.arg("nat"))).wait()


async def _nat_gateway_back(azure: AppNetworkAzure, step: PlanStep) -> bool:
    now = await _nat_gateway_now(azure, step)
    return now is None or now.lower() == step.arg("nat").lower()



FAMILY = FixFamily(
    name="app_networking",
    actions=("remove_app_networking", "detach_subnet_resource"),
    plan=_plan,
    steps=(StepSpec(StepKind.REMOVE_VNET_INTEGRATION, _remove_integration, _integration_removed,
                    regrouping=Regrouping.ITS_GROUP),
           StepSpec(StepKind.ADD_VNET_INTEGRATION, _add_integration, _integration_added),
           StepSpec(StepKind.DETACH_NAT_GATEWAY, _detach_nat_gateway, _nat_gateway_detached,
                    regrouping=Regrouping.ITS_GROUP),
           StepSpec(StepKind.REATTACH_NAT_GATEWAY, _reattach_nat_gateway, _nat_gateway_back)),
)
