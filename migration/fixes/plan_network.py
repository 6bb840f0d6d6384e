"""Planned steps for networking: Standard public IPs disassociated and associated again, peerings deleted and
made again (both sides), an app's VNet integration removed and added again, and a NAT gateway taken off its
subnets (a new one in the target is the engineer's, as is a Bastion host)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from migration.fixes.facts import PlanFacts, Relocation, args
from migration.model import ResourceId
from migration.model.commands import Command, Data, Script
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind, message

_SITES = ("microsoft.web/sites", "microsoft.web/sites/slots")


def _public_ips(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
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


def _peerings(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
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


def _vnet_name(subnet_id: str) -> str:
    """The network a subnet id names ("" for an id that is no subnet's)."""
    subnet = ResourceId.parse(subnet_id) if ResourceId.is_valid(subnet_id) else None
    return subnet.parent.name if subnet is not None and subnet.parent and len(subnet.levels) > 1 else ""


def _app_networking(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
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


def _subnet_attachments(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Any) -> list[ChosenFix]:
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
        add(PlanStep(f"detach_nat_gateway:{vnet.id}/{name}".lower(), StepKind.DETACH_NAT_GATEWAY, fix.group,
                     args(vnet=vnet.id, vnet_name=vnet.name, subnet=name, nat=nat, nat_name=name_of(nat),
                          resource_group=vnet.resource_group, subscription=vnet.subscription_id
                          or facts.source_subscription_id)))
        if group is None:
            continue
        command = Script.of(
            Command.of("az", "network", "nat", "gateway", "create", "-g", Data(target.resource_group), "-n",
                       Data(name_of(nat)), "--subscription", Data(target.subscription), "--public-ip-addresses",
                       "<new public IP>"),
            Command.of("az", "network", "vnet", "subnet", "update", "-g", Data(target.resource_group),
                       "--vnet-name", Data(vnet.name), "-n", Data(name), "--subscription", Data(target.subscription),
                       "--nat-gateway", Data(name_of(nat))))
        manual.append(ChosenFix(fix.group, fix.action, (f"{new_vnet}/subnets/{name}",), command,
                                reason=message("nat_gateway_after", nat_name=name_of(nat), subnet=name,
                                               vnet_name=vnet.name)))
    return manual


PLANNERS = {"disassociate_public_ip": _public_ips, "disable_peering": _peerings,
            "remove_app_networking": _app_networking, "detach_subnet_resource": _subnet_attachments}
