"""A move plan's fixes and follow-through as steps (pure: no I/O).

From the fixes the engineer chose (each finding's machine-readable `Fix`) and what the bot read at plan
time (inventory, locks, role assignments, custom roles), this builds the steps that run before the moves
(lift ReadOnly locks, register providers, bring split dependencies together, move App Service resources
back, disassociate Standard public IPs, remove peerings, remove apps' VNet integration, take NAT gateways off
subnets) and after them (put the locks back on the source and the new scopes, associate the IPs again,
re-create peerings, add the VNet integration again, copy group tags, re-create role assignments). Fixes the
bot cannot do are returned as they are, for the checklist.

Ordering is data: a step names the steps that must succeed first (`after`) and those that must merely have
ended (`ended`: a lock goes back on the source even when the move failed).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from migration.model import GroupMove, Lock, Resource, RoleAssignment, RoleDefinition
from migration.model.commands import Command, Data, Script
from migration.model.plan import AUTOMATIC_ACTIONS, ChosenFix, FixPlan, PlanStep, StepKind, message

_NAMESPACE = re.compile(r"/providers/([^/]+)/", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What the bot read at plan time."""

    source_subscription_id: str
    target_subscription_id: str
    groups: tuple[GroupMove, ...]
    group_tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # source group -> tags
    resources: tuple[Resource, ...] = ()  # the source inventory
    locks: tuple[Lock, ...] = ()  # of both subscriptions
    assignments: tuple[RoleAssignment, ...] = ()  # of the source subscription
    definitions: Mapping[str, RoleDefinition] = field(default_factory=dict)  # lower-case role GUID -> custom role
    plan_id: str = ""  # seeds the names of re-created role assignments (stable across restarts)
    linked_services: tuple[Resource, ...] = ()  # of the workspaces whose Automation link a fix removes
    target_resources: tuple[Resource, ...] = ()  # the target inventory, read when a fix needs it (encryption sets)


def _name(arm_id: str) -> str:
    return arm_id.rstrip("/").rsplit("/", 1)[-1]


def _group_of(arm_id: str) -> str:
    parts = arm_id.strip("/").split("/")
    return parts[3] if len(parts) >= 4 and parts[2].lower() == "resourcegroups" else ""


def _args(**values: Any) -> tuple[tuple[str, str], ...]:
    return tuple((k, "" if v is None else str(v)) for k, v in values.items())


class _Moves:
    """Where each moved resource (and its children) lands."""

    def __init__(self, facts: PlanFacts) -> None:
        self.source = facts.source_subscription_id
        self.target = facts.target_subscription_id
        self.by_prefix: dict[str, GroupMove] = {}
        for g in facts.groups:
            for rid in g.resource_ids:
                self.by_prefix[rid.lower()] = g
        self.groups = {g.source_group.lower(): g for g in facts.groups}

    def group_for(self, arm_id: str) -> GroupMove | None:
        low = arm_id.lower()
        for prefix, g in self.by_prefix.items():
            if low == prefix or low.startswith(prefix + "/"):
                return g
        return None

    def new_id(self, arm_id: str) -> str:
        g = self.group_for(arm_id)
        if g is None:
            return arm_id
        parts = arm_id.strip("/").split("/")
        target = g.target_group_id.strip("/").split("/")
        parts[1], parts[3] = target[1], target[3]
        return "/" + "/".join(parts)

    def group_target(self, source_group_id: str) -> GroupMove | None:
        parts = source_group_id.strip("/").split("/")
        if len(parts) != 4 or parts[1].lower() != self.source.lower():
            return None
        return self.groups.get(parts[3].lower())


def plan_fixes(facts: PlanFacts, chosen: Sequence[ChosenFix]) -> FixPlan:
    """The fix steps (before), then the follow-through (after), for the groups of `facts`."""
    moves = _Moves(facts)
    steps: dict[str, PlanStep] = {}
    manual: list[ChosenFix] = []

    def add(step: PlanStep) -> None:
        steps.setdefault(step.key, step)

    for fix in chosen:
        if fix.action == "disable_disk_encryption":  # Azure Disk Encryption stays with the engineer: say why
            manual.append(replace(fix, reason=message("ade_manual")))
        elif fix.action not in AUTOMATIC_ACTIONS:
            manual.append(fix)
        elif fix.action == "lift_read_only_lock":
            _locks(facts, moves, fix, add)
        elif fix.action == "register_provider":
            for ns in sorted({m.group(1) for rid in fix.resource_ids for m in [_NAMESPACE.search(rid)] if m}
                             or {fix.command.option("--namespace") or ""} - {""}):
                add(PlanStep(f"register_provider:{ns.lower()}", StepKind.REGISTER_PROVIDER, "",
                             _args(namespace=ns, subscription=facts.target_subscription_id)))
        elif fix.action in ("consolidate_dependencies", "move_app_service_back"):
            destination = fix.command.option("--destination-group")
            if not destination or not fix.resource_ids:
                manual.append(fix)
                continue
            kind = StepKind.CONSOLIDATE if fix.action == "consolidate_dependencies" else StepKind.MOVE_APP_BACK
            ids = tuple(sorted(set(fix.resource_ids)))
            for source_group in sorted({_group_of(i) for i in ids}):
                part = tuple(i for i in ids if _group_of(i) == source_group)
                add(PlanStep(f"{kind.value}:{source_group}->{destination}".lower(), kind,
                             destination, _args(destination=destination, source_group=source_group,
                                                         ids=" ".join(part), count=len(part),
                                                         subscription=facts.source_subscription_id)))
        elif fix.action == "disassociate_public_ip":
            _public_ips(facts, moves, fix, add)
        elif fix.action == "disable_peering":
            _peerings(facts, moves, fix, add)
        elif fix.action in SERVICE_ACTIONS:
            if not SERVICE_ACTIONS[fix.action](facts, moves, fix, add):
                manual.append(fix)  # not what the bot read at plan time: left to the engineer
        elif fix.action == "stop_job":
            _jobs(facts, moves, fix, add)
        elif fix.action == "disable_customer_managed_key":
            manual += _disk_keys(facts, moves, fix, add)
        elif fix.action == "remove_restore_points":
            manual += _restore_points(facts, moves, fix, add)
        elif fix.action == "remove_app_networking":
            manual += _app_networking(facts, moves, fix, add)
        elif fix.action == "detach_subnet_resource":
            manual += _subnet_attachments(facts, moves, fix, add)
    regrouped = _regrouped(list(steps.values()))
    # Assignments on what an in-subscription fix moves follow it to its final scope (below); the others as usual.
    _follow_through(replace(facts, assignments=tuple(a for a in facts.assignments
                                                     if _regrouped_from(regrouped, a.scope) is None)), moves, add)
    _follow_regrouped(facts, moves, regrouped, add)
    _lift_delete_protection(facts, steps)
    before = [s for s in steps.values() if s.phase == "before"]
    # An in-subscription move changes the groups its resources live in: later fixes of those groups wait.
    ordered = _order_before(before) + _order_after([s for s in steps.values() if s.phase == "after"])
    return FixPlan(tuple(ordered), tuple(manual))


# The arguments naming what a step writes (or makes again in place when a move did not happen); the others
# (a role, a remote network, an IP, a plan, an encryption set) only point at something.
_WRITES = ("scope", "group", "nic", "vnet", "job", "old_job", "disk", "collection", "link", "registration",
           "certificate", "site", "old_site", "subnet", "old_subnet")


def _written(step: PlanStep) -> list[str]:
    """The ids a step writes under, lower-case."""
    if step.kind is StepKind.ADD_ASSIGNABLE_SCOPE:
        return []  # it writes the role definition, not the scope it adds
    return [v.lower().rstrip("/") for k, v in step.args if k in _WRITES and v.startswith("/subscriptions/")]


def _order_after(after: list[PlanStep]) -> list[PlanStep]:
    """A ReadOnly lock goes back on a scope last: every step that writes under that scope comes first (tags,
    role assignments, IPs, peerings, jobs, disks, links, and what is made again in place when a move did
    not happen)."""
    out = []
    for s in after:
        if s.kind is StepKind.RESTORE_LOCK:
            scope = s.arg("scope").lower().rstrip("/")
            first = tuple(x.key for x in after if x.kind is not StepKind.RESTORE_LOCK and s.key not in x.after
                          and s.key not in x.ended
                          and (any(i == scope or i.startswith(scope + "/") for i in _written(x))
                               or _falls_back_under(x, s)))
            s = replace(s, ended=tuple(dict.fromkeys((*s.ended, *first))))
        out.append(s)
    return out


def _order_before(before: list[PlanStep]) -> list[PlanStep]:
    regroup = [s for s in before if s.kind in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK)]
    lifts = [x for x in before if x.kind is StepKind.LIFT_LOCK]
    out = []
    for s in before:
        after = list(s.after)
        if s.kind not in (StepKind.LIFT_LOCK, StepKind.REGISTER_PROVIDER):
            # Every write in a group (a NIC, a peering, a job, a disk, a move...) waits for the ReadOnly lock on
            # it, or on the subscription, to be lifted: Azure refuses writes and actions under a ReadOnly lock.
            mine = {s.group.lower(), s.arg("source_group").lower(), s.arg("resource_group").lower(), ""}
            after += [x.key for x in lifts if x.group.lower() in mine]
        if s.kind in (StepKind.DISASSOCIATE_IP, StepKind.DELETE_PEERING, StepKind.REMOVE_VNET_INTEGRATION,
                      StepKind.DETACH_NAT_GATEWAY):
            after += [r.key for r in regroup if r.group.lower() == s.group.lower()
                      or r.arg("source_group").lower() == s.group.lower()]
        if s.kind in SERVICE_BEFORE:  # the ids it records are those after the in-subscription moves
            after += [r.key for r in regroup]
        out.append(replace(s, after=tuple(dict.fromkeys(after))))
    return out


def _scope_name(scope: str, facts: PlanFacts) -> str:
    """A scope as people read it; source and target groups often share a name, so say which subscription."""
    parts = scope.strip("/").split("/")
    where = {facts.source_subscription_id.lower(): "the source subscription",
             facts.target_subscription_id.lower(): "the CSP subscription"}.get(parts[1].lower(), "") \
        if len(parts) >= 2 else ""
    if len(parts) == 2:
        return f"subscription {parts[1]}" + (f" ({where})" if where else "")
    name = f"group {parts[3]}" if len(parts) == 4 else _name(scope)
    return f"{name} in {where}" if where else name


def _locks(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> None:
    wanted = {i.lower() for i in fix.resource_ids}
    for lock in facts.locks:
        if lock.level.lower() != "readonly":
            continue
        if wanted and lock.id.lower() not in wanted and lock.scope.lower() not in wanted:
            continue
        scope_parts = lock.scope.strip("/").split("/")
        served = scope_parts[3] if len(scope_parts) >= 4 else ""
        if served and served.lower() not in moves.groups and not moves.group_for(lock.scope):
            served = fix.group  # a lock on a target group serves the group moving into it
        lift = PlanStep(f"lift_lock:{lock.scope}/{lock.name}".lower(), StepKind.LIFT_LOCK, served,
                        _args(scope=lock.scope, name=lock.name, level=lock.level, notes=lock.notes or "",
                              scope_name=_scope_name(lock.scope, facts)))
        add(lift)
        moves_of = [g for g in facts.groups if not served or g.source_group.lower() == served.lower()]
        ended = tuple(f"move:{g.source_group}" for g in moves_of)
        # Back on the scope it was on, once the moves it was lifted for have ended (moved or not).
        add(PlanStep(f"restore_lock:{lock.scope}/{lock.name}".lower(), StepKind.RESTORE_LOCK, served,
                     _args(scope=lock.scope, name=lock.name, level=lock.level, notes=lock.notes or "",
                           scope_name=_scope_name(lock.scope, facts)), after=(lift.key,), ended=ended))
        # And on the new scope, for a source group's lock (its target group) or a moved resource's.
        new_scope = None
        target = moves.group_target(lock.scope)
        if target is not None:
            new_scope = target.target_group_id
        elif moves.group_for(lock.scope) is not None:
            new_scope = moves.new_id(lock.scope)
        if new_scope is not None:
            group = (target or moves.group_for(lock.scope))
            assert group is not None
            add(PlanStep(f"restore_lock:{new_scope}/{lock.name}".lower(), StepKind.RESTORE_LOCK, group.source_group,
                         _args(scope=new_scope, name=lock.name, level=lock.level, notes=lock.notes or "",
                               scope_name=_scope_name(new_scope, facts)), after=(f"move:{group.source_group}",)))


def _resource(facts: PlanFacts, arm_id: str) -> Resource | None:
    low = arm_id.lower()
    return next((r for r in facts.resources if r.id.lower() == low), None)


def _public_ips(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> None:
    for rid in fix.resource_ids:
        nic = _resource(facts, rid)
        if nic is None or nic.type_lower != "microsoft.network/networkinterfaces":
            continue
        for config in nic.properties.get("ipConfigurations") or []:
            ip = str(((config.get("properties") or {}).get("publicIPAddress") or {}).get("id") or "")
            if not ip:
                continue
            name = str(config.get("name") or "")
            lift = PlanStep(f"disassociate_ip:{nic.id}/{name}".lower(), StepKind.DISASSOCIATE_IP, nic.resource_group,
                            _args(nic=nic.id, ipconfig=name, ip=ip, nic_name=nic.name, ip_name=_name(ip)))
            add(lift)
            group = moves.group_for(nic.id)
            new_nic, new_ip = moves.new_id(nic.id), moves.new_id(ip)
            after = (lift.key, *((f"move:{group.source_group}",) if group else ()))
            ip_group = moves.group_for(ip)
            if ip_group is not None and ip_group is not group:
                after = (*after, f"move:{ip_group.source_group}")
            add(PlanStep(f"reassociate_ip:{new_nic}/{name}".lower(), StepKind.REASSOCIATE_IP,
                         group.source_group if group else nic.resource_group,
                         _args(nic=new_nic, ipconfig=name, ip=new_ip, nic_name=nic.name, ip_name=_name(ip)),
                         after=after))


def _peerings(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> None:
    for rid in fix.resource_ids:
        vnet = _resource(facts, rid)
        if vnet is None or vnet.type_lower != "microsoft.network/virtualnetworks":
            continue
        group = moves.group_for(vnet.id)
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
            lift = PlanStep(f"delete_peering:{vnet.id}/{name}".lower(), StepKind.DELETE_PEERING, vnet.resource_group,
                            _args(vnet=vnet.id, name=name, remote=remote, vnet_name=vnet.name,
                                  remote_name=_name(remote), **flags))
            add(lift)
            waits = (lift.key, *((f"move:{group.source_group}",) if group else ()))
            remote_group = moves.group_for(remote)
            if remote_group is not None and remote_group is not group:
                waits = (*waits, f"move:{remote_group.source_group}")
            new_vnet, new_remote = moves.new_id(vnet.id), moves.new_id(remote)
            served = group.source_group if group else vnet.resource_group
            for here, there in ((new_vnet, new_remote), (new_remote, new_vnet)):
                # This side with its own name; the remote side (kept name) now pointing at the moved network.
                side_name = name if here == new_vnet else _remote_side_name(facts, remote, vnet.id)
                if not side_name:
                    continue
                parts = here.strip("/").split("/")
                add(PlanStep(f"recreate_peering:{here}/{side_name}".lower(), StepKind.RECREATE_PEERING, served,
                             _args(vnet=here, name=side_name, remote=there, vnet_name=_name(here),
                                   remote_name=_name(there), vnet_group=parts[3], vnet_subscription=parts[1],
                                   **flags), after=waits))


def _remote_side_name(facts: PlanFacts, remote_id: str, vnet_id: str) -> str:
    remote = _resource(facts, remote_id)
    for peering in (remote.properties.get("virtualNetworkPeerings") or []) if remote else []:
        target = str(((peering.get("properties") or {}).get("remoteVirtualNetwork") or {}).get("id") or "")
        if target.lower() == vnet_id.lower():
            return str(peering.get("name") or "")
    return ""


def _follow_through(facts: PlanFacts, moves: _Moves, add: Any) -> None:
    for g in facts.groups:
        tags = dict(facts.group_tags.get(g.source_group, {}))
        if tags:
            parts = g.target_group_id.strip("/").split("/")
            add(PlanStep(f"tag_group:{g.target_group_id}".lower(), StepKind.TAG_GROUP, g.source_group,
                         _args(group=g.target_group_id, tags=json.dumps(tags, sort_keys=True),
                               source_name=g.source_group, target_name=parts[3], subscription=parts[1]),
                         after=(f"move:{g.source_group}",)))
    for a in snapshot(facts.assignments, facts.groups, facts.source_subscription_id):
        target = moves.group_target(a.scope)
        new_scope = target.target_group_id if target is not None else moves.new_id(a.scope)
        group = target or moves.group_for(a.scope)
        if group is None:
            continue
        _recreate(facts, a, new_scope, group.source_group, (f"move:{group.source_group}",), add)


def _recreate(facts: PlanFacts, a: RoleAssignment, new_scope: str, served: str, after: tuple[str, ...],
              add: Any) -> None:
    """Re-create `a` on `new_scope` once `after` succeeded (a custom role first made assignable there)."""
    custom = facts.definitions.get(a.role_guid.lower())
    role_name = custom.role_name if custom else a.role_guid
    if custom is not None and custom.custom and not _covers_any(custom.assignable_scopes, new_scope):
        widen = PlanStep(f"add_assignable_scope:{a.role_guid}".lower(), StepKind.ADD_ASSIGNABLE_SCOPE, "",
                         _args(role=a.role_definition_id, role_name=custom.role_name,
                               scope=f"/subscriptions/{_subscription(new_scope)}"))
        add(widen)
        after = (*after, widen.key)
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"recreate/{facts.plan_id}/{a.id}".lower()))
    add(PlanStep(f"recreate_assignment:{new_scope}/{a.name}".lower(), StepKind.RECREATE_ASSIGNMENT, served,
                 _args(scope=new_scope, name=name, role=a.role_definition_id, role_name=role_name,
                       principal=a.principal_id, principal_type=a.principal_type, condition=a.condition,
                       description=a.description, source_scope=a.scope, scope_name=_scope_name(new_scope, facts)),
                 after=after))


def _subscription(arm_id: str) -> str:
    return arm_id.strip("/").split("/")[1]


def _covers_any(scopes: Iterable[str], scope: str) -> bool:
    low = scope.lower()
    return any(low == s.lower().rstrip("/") or low.startswith(s.lower().rstrip("/") + "/") for s in scopes)


def snapshot(assignments: Iterable[RoleAssignment], groups: Sequence[GroupMove],
             source_subscription_id: str) -> list[RoleAssignment]:
    """The role assignments made directly on each moved group or on a moved resource (or below it): the
    ones that do not travel. Inherited ones (subscription, management group) stay where they are."""
    group_ids = {f"/subscriptions/{source_subscription_id}/resourcegroups/{g.source_group}".lower() for g in groups}
    prefixes = [rid.lower() for g in groups for rid in g.resource_ids]
    out = []
    for a in assignments:
        low = a.scope.lower().rstrip("/")
        if low in group_ids or any(low == p or low.startswith(p + "/") for p in prefixes):
            out.append(a)
    return out


# --------------------------------------------------------------------------- what Azure refuses to move
# A workspace's Automation link, a SQL IaaS Agent registration and a free managed certificate are removed
# before the moves (recording what is needed to make them again) and created again once the moves they
# depend on ended: at the new ids of what they point at, or where it still is when a move did not happen.

SERVICE_BEFORE = (StepKind.UNLINK_WORKSPACE, StepKind.DELETE_SQL_REGISTRATION, StepKind.DELETE_MANAGED_CERTIFICATE)
SERVICE_AFTER = (StepKind.RELINK_WORKSPACE, StepKind.REGISTER_SQL_VM, StepKind.RECREATE_MANAGED_CERTIFICATE)


def _moving_with(moves: _Moves, arm_id: str) -> GroupMove | None:
    """The group a resource moves with: its own; the one an in-subscription fix moved it into (the same
    provider path under another group of the request); or, for one deleted before the moves, its group's."""
    found = moves.group_for(arm_id)
    if found is not None or "/providers/" not in arm_id:
        return found
    path = "/providers/" + arm_id.split("/providers/", 1)[1].lower()
    found = next((g for prefix, g in moves.by_prefix.items() if prefix.endswith(path)), None)
    parts = arm_id.strip("/").split("/")
    return found or (moves.group_target("/" + "/".join(parts[:4])) if len(parts) >= 4 else None)


def _in_group(arm_id: str, group_id: str) -> str:
    return group_id.rstrip("/") + "/providers/" + arm_id.split("/providers/", 1)[1]


def _relocated(moves: _Moves, arm_id: str) -> str:
    """Where a resource is after the moves (unchanged when it does not move)."""
    g = _moving_with(moves, arm_id)
    return _in_group(arm_id, g.target_group_id) if g is not None else arm_id


def _current(moves: _Moves, facts: PlanFacts, arm_id: str) -> str:
    """Where a resource is once the in-subscription fixes ran, before the moves."""
    g = _moving_with(moves, arm_id)
    return _in_group(arm_id, f"/subscriptions/{facts.source_subscription_id}/resourceGroups/{g.source_group}") \
        if g is not None else arm_id


def _group_id_of(arm_id: str) -> str:
    return "/" + "/".join(arm_id.strip("/").split("/")[:4])


def _falls_back_under(step: PlanStep, lock: PlanStep) -> bool:
    """A step that makes something again where it was when the move did not happen writes under the source's
    scopes too: a ReadOnly lock put back there must wait for it."""
    source = step.arg("source_scope").lower() if step.kind in SERVICE_AFTER else ""
    return bool(source) and lock.arg("level").lower() == "readonly" and source.startswith(lock.arg("scope").lower())


def _waits_for_moves(moves: _Moves, *arm_ids: str) -> tuple[str, ...]:
    out: list[str] = []
    for rid in arm_ids:
        g = _moving_with(moves, rid)
        if g is not None and f"move:{g.source_group}" not in out:
            out.append(f"move:{g.source_group}")
    return tuple(out)


def _workspace_links(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> bool:
    wanted = {i.lower() for i in fix.resource_ids}
    links = [r for r in facts.linked_services if r.id.lower() in wanted]
    for link in links:
        workspace_id = link.id.rsplit("/", 2)[0]
        automation = str(link.properties.get("resourceId") or link.properties.get("writeAccessResourceId") or "")
        link_name = _name(link.id)
        unlink = PlanStep(f"unlink_workspace:{link.id}".lower(), StepKind.UNLINK_WORKSPACE, link.resource_group,
                          _args(link=link.id, link_name=link_name, workspace_name=_name(workspace_id),
                                automation=automation, automation_name=_name(automation),
                                group=link.resource_group, subscription=facts.source_subscription_id))
        add(unlink)
        new_workspace = _relocated(moves, workspace_id)
        new_link = f"{new_workspace}/linkedServices/{link_name}"
        parts = new_workspace.strip("/").split("/")
        add(PlanStep(f"relink_workspace:{new_link}".lower(), StepKind.RELINK_WORKSPACE, link.resource_group,
                     _args(link=new_link, link_name=link_name, workspace_name=_name(workspace_id),
                           automation=_relocated(moves, automation), automation_name=_name(automation),
                           group=parts[3], subscription=parts[1], scope=new_workspace, link_source=link.id,
                           automation_source=_current(moves, facts, automation), source_scope=workspace_id),
                     after=(unlink.key,), ended=_waits_for_moves(moves, workspace_id, automation)))
    return bool(links)


SQL_KEPT = ("sqlServerLicenseType", "sqlManagement", "sqlImageSku", "sqlImageOffer", "leastPrivilegeMode")


def _sql_registrations(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> bool:
    found = [r for rid in fix.resource_ids if (r := _resource(facts, rid)) is not None
             and r.type_lower == "microsoft.sqlvirtualmachine/sqlvirtualmachines"]
    found = [r for r in found if r.properties.get("virtualMachineResourceId")]
    for reg in found:
        vm = str(reg.properties["virtualMachineResourceId"])
        kept = {k: reg.properties[k] for k in SQL_KEPT if reg.properties.get(k) not in (None, "")}
        license_type = str(kept.get("sqlServerLicenseType") or "PAYG")
        management = str(kept.get("sqlManagement") or "LightWeight")
        delete = PlanStep(f"delete_sql_registration:{reg.id}".lower(), StepKind.DELETE_SQL_REGISTRATION,
                          reg.resource_group,
                          _args(registration=reg.id, name=reg.name, vm=vm, vm_name=_name(vm), license=license_type,
                                management=management, group=reg.resource_group,
                                subscription=facts.source_subscription_id))
        add(delete)
        new_vm = _relocated(moves, vm)
        parts = new_vm.strip("/").split("/")
        new_reg = f"/subscriptions/{parts[1]}/resourceGroups/{parts[3]}/providers/Microsoft.SqlVirtualMachine/" \
                  f"sqlVirtualMachines/{_name(vm)}"
        sku = str(kept.get("sqlImageSku") or "")
        add(PlanStep(f"register_sql_vm:{new_reg}".lower(), StepKind.REGISTER_SQL_VM, reg.resource_group,
                     _args(registration=new_reg, vm=new_vm, vm_name=_name(vm), location=reg.location,
                           properties=json.dumps({**kept, "virtualMachineResourceId": new_vm}, sort_keys=True),
                           license=license_type, management=management, group=parts[3], subscription=parts[1],
                           sku=sku, scope=new_reg,
                           registration_source=_in_group(reg.id, _group_id_of(_current(moves, facts, vm))),
                           vm_source=_current(moves, facts, vm), source_scope=reg.id),
                     after=(delete.key,), ended=_waits_for_moves(moves, vm, reg.id)))
    return bool(found)


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


def _managed_certificates(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> bool:
    found = [r for rid in fix.resource_ids if (r := _resource(facts, rid)) is not None
             and r.type_lower == "microsoft.web/certificates" and r.properties.get("canonicalName")]
    found = [r for r in found if r.properties.get("serverFarmId")]
    for cert in found:
        host = str(cert.properties["canonicalName"])
        plan = str(cert.properties["serverFarmId"])
        thumbprint = str(cert.properties.get("thumbprint") or "")
        bindings = _ssl_bindings(facts, thumbprint)
        # The apps as they stand when the step runs: after an App Service app went back to its plan's group.
        now = [(_current(moves, facts, site.id), name, state) for site, name, state in bindings]
        old = " ".join(f"{site}|{name}|{state}" for site, name, state in now)
        delete = PlanStep(f"delete_managed_certificate:{cert.id}".lower(), StepKind.DELETE_MANAGED_CERTIFICATE,
                          cert.resource_group,
                          _args(certificate=cert.id, name=cert.name, host=host, thumbprint=thumbprint, bindings=old,
                                group=cert.resource_group,
                                subscription=facts.source_subscription_id))
        add(delete)
        new_cert = _relocated(moves, cert.id)
        parts = new_cert.strip("/").split("/")
        new_bindings = [(_relocated(moves, site.id), name, state) for site, name, state in bindings]
        sites = sorted({_name(s) for s, _, _ in new_bindings})
        add(PlanStep(f"recreate_managed_certificate:{new_cert}".lower(), StepKind.RECREATE_MANAGED_CERTIFICATE,
                     cert.resource_group,
                     _args(certificate=new_cert, host=host, plan=_relocated(moves, plan), location=cert.location,
                           bindings=" ".join(f"{s}|{n}|{st}" for s, n, st in new_bindings),
                           bound_to=f" and bind it to {', '.join(sites)}" if sites else "",
                           group=parts[3], subscription=parts[1],
                           scope=new_cert, certificate_source=cert.id, plan_source=_current(moves, facts, plan),
                           bindings_source=old, source_scope=cert.id),
                     after=(delete.key,),
                     ended=_waits_for_moves(moves, cert.id, plan, *(s.id for s, _, _ in bindings))))
    return bool(found)


def deleted_before(steps: Iterable[PlanStep]) -> frozenset[str]:
    """The resources (lower-case ids) that steps before the moves delete: they leave the moves' requests."""
    return frozenset(s.arg("registration" if s.kind is StepKind.DELETE_SQL_REGISTRATION else "certificate").lower()
                     for s in steps
                     if s.kind in (StepKind.DELETE_SQL_REGISTRATION, StepKind.DELETE_MANAGED_CERTIFICATE))


def _lift_delete_protection(facts: PlanFacts, steps: dict[str, PlanStep]) -> None:
    """A lock of either level on or above what a step deletes refuses the deletion (CanNotDelete is delete
    protection): such a lock is lifted just before and put back as soon as the deletions under it ended."""
    deletes = [s for s in steps.values() if s.kind in SERVICE_BEFORE]
    for lock in facts.locks:
        scope = lock.scope.lower().rstrip("/")
        under = [s for s in deletes if (_deleted_id(s).lower() + "/").startswith(scope + "/")]
        lift_key = f"lift_lock:{lock.scope}/{lock.name}".lower()
        if not under or (lock.level.lower() == "readonly" and lift_key not in steps):
            continue  # a ReadOnly lock the engineer keeps: its group cannot move anyway
        args = _args(scope=lock.scope, name=lock.name, level=lock.level, notes=lock.notes or "",
                     scope_name=_scope_name(lock.scope, facts))
        lift = steps.setdefault(lift_key, PlanStep(lift_key, StepKind.LIFT_LOCK, under[0].group, args))
        for s in under:
            now = steps[s.key]  # as an earlier lock left it
            steps[s.key] = replace(now, after=tuple(dict.fromkeys((*now.after, lift.key))))
        own = next((s for s in under if _deleted_id(s).lower() == scope), None)
        again = next((a for a in steps.values() if own is not None and own.key in a.after), None)
        if again is not None:  # a lock on the deleted resource itself goes on the one made again
            new_scope = _deleted_id(again)
            key = f"restore_lock:{new_scope}/{lock.name}".lower()
            steps[key] = PlanStep(key, StepKind.RESTORE_LOCK, again.group, _args(
                scope=new_scope, name=lock.name, level=lock.level, notes=lock.notes or "",
                scope_name=_scope_name(new_scope, facts)), after=(lift.key, again.key))
            continue
        key = f"restore_lock:{lock.scope}/{lock.name}".lower()
        back = steps.get(key) or PlanStep(key, StepKind.RESTORE_LOCK, under[0].group, args, after=(lift.key,))
        steps[key] = replace(back, ended=tuple(dict.fromkeys((*back.ended, *(s.key for s in under)))))


def _deleted_id(step: PlanStep) -> str:
    return step.arg("link") or step.arg("registration") or step.arg("certificate")


SERVICE_ACTIONS = {"unlink_automation_workspace": _workspace_links,
                   "delete_sql_iaas_registration": _sql_registrations,
                   "recreate_managed_certificate": _managed_certificates}


# ---------------------------------------------------------------- assignments on resources moved in the source

def _regrouped(steps: Sequence[PlanStep]) -> dict[str, PlanStep]:
    """Lower-case id of each resource an in-subscription fix moves -> that fix's step."""
    return {rid.lower(): s for s in steps if s.kind in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK)
            for rid in s.arg("ids").split()}


def _regrouped_from(regrouped: Mapping[str, PlanStep], scope: str) -> tuple[str, PlanStep] | None:
    """For a scope at or below a resource an in-subscription fix moves: that resource's id and the fix."""
    low = scope.lower().rstrip("/")
    for rid, step in regrouped.items():
        if low == rid or low.startswith(rid + "/"):
            return rid, step
    return None


def _follow_regrouped(facts: PlanFacts, moves: _Moves, regrouped: Mapping[str, PlanStep], add: Any) -> None:
    """An in-subscription fix moves a resource before the moves, and Azure drops the role assignments made
    on it (and below it). Each is re-created where the resource ends: the group of the target subscription
    its destination group moves to, or the destination group itself when that group stays. Assignments it
    only inherited (from its group or above) are not copied onto it."""
    for a in facts.assignments:
        found = _regrouped_from(regrouped, a.scope)
        if found is None:
            continue
        _, step = found
        parts = a.scope.rstrip("/").split("/")
        parts[4] = step.group  # "/subscriptions/{sub}/resourceGroups/{group}/...": the destination group
        in_source = "/".join(parts)
        group = moves.group_for(in_source)
        final = moves.new_id(in_source) if group is not None else in_source
        served = group.source_group if group is not None else step.group
        after = (step.key, *((f"move:{group.source_group}",) if group is not None else ()))
        _recreate(facts, a, final, served, after, add)


# --------------------------------------------------------------------------- jobs, disks' keys, restore points

_JOB_RUNNING = ("running", "starting", "restarting", "degraded")
_CUSTOMER_KEY = ("encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys")
# Azure changes a disk's keys only while no running VM uses it: unattached, or its VM deallocated (Reserved).
_KEYS_CHANGEABLE = ("unattached", "reserved")


def _jobs(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> None:
    """Stop each running Stream Analytics job before the move; start it again after, at its new id (or where
    it stayed, if its group did not move), from its last output so no event is lost. A job stopped since the
    assessment is left alone: only jobs that ran are started again."""
    for rid in fix.resource_ids:
        job = _resource(facts, rid)
        if job is None or job.type_lower != "microsoft.streamanalytics/streamingjobs":
            continue
        if str(job.properties.get("jobState") or "").lower() not in _JOB_RUNNING:
            continue
        old = job.id.strip("/").split("/")
        stop = PlanStep(f"stop_job:{job.id}".lower(), StepKind.STOP_JOB, job.resource_group,
                        _args(job=job.id, name=job.name, group=old[3], subscription=old[1]))
        add(stop)
        group = moves.group_for(job.id)
        new_id = moves.new_id(job.id)
        new = new_id.strip("/").split("/")
        served = group.source_group if group else job.resource_group
        add(PlanStep(f"start_job:{new_id}".lower(), StepKind.START_JOB, served,
                     _args(job=new_id, old_job=job.id, name=job.name, group=new[3], subscription=new[1],
                           mode="LastOutputEventTime"),
                     after=(stop.key,), ended=(f"move:{group.source_group}",) if group else ()))


def _disk_keys(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    """Switch each disk on a customer-managed key to platform-managed keys before the move, when Azure allows
    it now (unattached, or its VM deallocated); after the move, encrypt it again with a disk encryption set
    of the target (the one of the same name, else the only one in its target group, in its region). What
    the bot cannot do stays with the engineer, with the reason and the command."""
    manual: list[ChosenFix] = []
    for rid in fix.resource_ids:
        disk = _resource(facts, rid)
        if disk is None or disk.type_lower != "microsoft.compute/disks":
            continue
        encryption = disk.properties.get("encryption") or {}
        kind = str(encryption.get("type") or "")
        if kind.lower() not in _CUSTOMER_KEY:
            if disk.properties.get("encryptionSettingsCollection") and fix not in manual:
                manual.append(fix)  # Azure Disk Encryption (a Key Vault's finding): not a key switch
            continue
        des = str(encryption.get("diskEncryptionSetId") or "")
        vm = str(disk.managed_by or "")
        state = str(disk.properties.get("diskState") or ("Attached" if vm else "Unattached"))
        if state.lower() not in _KEYS_CHANGEABLE:
            sub = ("--subscription", Data(disk.subscription_id or facts.source_subscription_id))
            switch = Command.of("az", "disk", "update", "-g", Data(disk.resource_group), "-n", Data(disk.name), *sub,
                                "--encryption-type", "EncryptionAtRestWithPlatformKey")
            if vm:
                command = Script.of(Command.of("az", "vm", "deallocate", "-g", Data(_group_of(vm)), "-n",
                                               Data(_name(vm)), *sub), switch)
                reason = message("cmk_disk_in_use", disk=disk.name, vm=_name(vm))
            else:
                command, reason = Script.of(switch), message("cmk_disk_busy", disk=disk.name, state=state)
            manual.append(ChosenFix(fix.group, fix.action, (disk.id,), command, reason=reason, holds=True))
            continue
        # It serves the group whose finding it fixes: the disk's, or the Key Vault's whose key the disk uses.
        off = PlanStep(f"disk_to_platform_key:{disk.id}".lower(), StepKind.DISK_TO_PLATFORM_KEY, fix.group,
                       _args(disk=disk.id, name=disk.name, des=des, des_name=_name(des)))
        add(off)
        group = moves.group_for(disk.id)
        new_disk = moves.new_id(disk.id)
        target_set = _target_encryption_set(facts, disk, des, group.target_group_id if group else "")
        if group is None or target_set is None:
            wanted = des.replace(f"/subscriptions/{facts.source_subscription_id}/",
                                 f"/subscriptions/{facts.target_subscription_id}/", 1) if group else des
            manual.append(ChosenFix(fix.group, fix.action, (new_disk,), Script.of(Command.of(
                "az", "disk", "update", "--ids", Data(new_disk), "--encryption-type", Data(kind),
                "--disk-encryption-set", Data(wanted))),
                                    reason=message("cmk_no_target_set", disk=disk.name, des_name=_name(des),
                                                   location=disk.location) if group else
                                    message("cmk_back_in_place", disk=disk.name, des_name=_name(des))))
            continue
        add(PlanStep(f"disk_to_customer_key:{new_disk}".lower(), StepKind.DISK_TO_CUSTOMER_KEY, group.source_group,
                     _args(disk=new_disk, name=disk.name, des=target_set.id, des_name=target_set.name,
                           encryption_type=kind), after=(off.key, f"move:{group.source_group}")))
    return manual


def _target_encryption_set(facts: PlanFacts, disk: Resource, des: str, target_group_id: str) -> Resource | None:
    sets = [r for r in facts.target_resources if r.type_lower == "microsoft.compute/diskencryptionsets"
            and r.location.lower() == disk.location.lower()]
    same_name = [r for r in sets if r.name.lower() == _name(des).lower()]
    if same_name:
        in_group = [r for r in same_name if _group_of(r.id).lower() == _group_of(des).lower()]
        return (in_group or same_name)[0]
    here = [r for r in sets if target_group_id and r.resource_group.lower() == _name(target_group_id).lower()]
    return here[0] if len(here) == 1 else None


def _restore_points(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    """Delete the VM's restore point collection before the move (its instant-restore snapshots go; the
    vault's backups stay). Resuming the backup from a vault in the target stays with the engineer."""
    vm = next((i for i in fix.resource_ids if "/microsoft.compute/virtualmachines/" in i.lower()), "")
    for rid in fix.resource_ids:
        rpc = _resource(facts, rid)
        if rpc is None or rpc.type_lower != "microsoft.compute/restorepointcollections":
            continue
        add(PlanStep(f"delete_restore_points:{rpc.id}".lower(), StepKind.DELETE_RESTORE_POINTS, fix.group,
                     _args(collection=rpc.id, name=rpc.name, vm=vm, vm_name=_name(vm))))
    if not vm:
        return []
    new_vm = moves.new_id(vm)
    return [ChosenFix(fix.group, fix.action, (new_vm,),
                      Script.of(Command.of("az", "backup", "protection", "enable-for-vm", "--vm", Data(new_vm),
                                           "--vault-name", "<vault in the target>", "--resource-group",
                                           "<the vault's group>", "--policy-name", "<backup policy>")),
                      reason=message("resume_backup", vm_name=_name(vm)))]


# --------------------------------------------------------------------------- an app's networking, subnets

_SITES = ("microsoft.web/sites", "microsoft.web/sites/slots")


def _app_networking(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    """Remove an app's VNet integration before the move; add it again after, on the app where it then is
    and the subnet where that is (its network usually moves with it; Azure integrates an app with a network
    of another subscription of the tenant too). A private endpoint stays with the engineer (below)."""
    if any("private-endpoint" in c.argv for c in fix.command):
        # Deleting one cuts private access to the app; its re-creation gets a new private IP, and DNS records
        # outside Azure's private zones and clients that use the IP must follow: the engineer's call.
        return [replace(fix, reason=message("private_endpoint_manual"), holds=True)]
    for rid in fix.resource_ids:
        site = _resource(facts, rid)
        subnet = str(site.properties.get("virtualNetworkSubnetId") or "") if site is not None else ""
        if site is None or site.type_lower not in _SITES or not subnet:
            continue  # integration removed since the assessment: nothing to do
        parts = site.id.strip("/").split("/")
        remove = PlanStep(f"remove_vnet_integration:{site.id}".lower(), StepKind.REMOVE_VNET_INTEGRATION, fix.group,
                          _args(site=site.id, name=site.name, subnet=subnet, subnet_name=_name(subnet),
                                vnet_name=_subnet_vnet_name(subnet), resource_group=parts[3], subscription=parts[1]))
        add(remove)
        group, vnet_group = moves.group_for(site.id), moves.group_for(subnet)
        new_site, new_subnet = moves.new_id(site.id), moves.new_id(subnet)
        new = new_site.strip("/").split("/")
        # Back on, wherever the moves left the app and the network (a failed move leaves them in place).
        ended = tuple(dict.fromkeys(f"move:{g.source_group}" for g in (group, vnet_group) if g is not None))
        add(PlanStep(f"add_vnet_integration:{new_site}".lower(), StepKind.ADD_VNET_INTEGRATION,
                     group.source_group if group else fix.group,
                     _args(site=new_site, old_site=site.id, name=site.name, subnet=new_subnet, old_subnet=subnet,
                           subnet_name=_name(subnet), vnet_id=new_subnet.rsplit("/subnets/", 1)[0],
                           vnet_name=_subnet_vnet_name(new_subnet), resource_group=new[3],
                           subscription=new[1]),
                     after=(remove.key,), ended=ended))
    return []


def _subnet_vnet_name(subnet_id: str) -> str:
    parts = subnet_id.strip("/").split("/")
    return parts[7] if len(parts) >= 10 else ""


def _subnet_attachments(facts: PlanFacts, moves: _Moves, fix: ChosenFix, add: Any) -> list[ChosenFix]:
    """A NAT gateway comes off its subnet before the move (it cannot change subscription); a new one in the
    target, with its own public IP (a new outbound address), is the engineer's. A Bastion host is too: it
    cannot move, and deleting it ends every Bastion session until one is created in the target."""
    manual: list[ChosenFix] = []
    vnet = next((r for i in fix.resource_ids for r in [_resource(facts, i)]
                 if r is not None and r.type_lower == "microsoft.network/virtualnetworks"), None)
    others = [i for i in fix.resource_ids if vnet is None or i.lower() != vnet.id.lower()]
    if vnet is None or not others:
        return [fix]
    if "/microsoft.network/natgateways/" not in others[0].lower():
        return [replace(fix, reason=message("bastion_manual", bastion=_name(others[0])), holds=True)]
    nat = others[0]
    group = moves.group_for(vnet.id)
    new_vnet = moves.new_id(vnet.id)
    target = new_vnet.strip("/").split("/")
    for subnet in vnet.properties.get("subnets") or []:
        attached = str(((subnet.get("properties") or {}).get("natGateway") or {}).get("id") or "")
        if attached.lower() != nat.lower():
            continue
        name = str(subnet.get("name") or "")
        add(PlanStep(f"detach_nat_gateway:{vnet.id}/{name}".lower(), StepKind.DETACH_NAT_GATEWAY, fix.group,
                     _args(vnet=vnet.id, vnet_name=vnet.name, subnet=name, nat=nat, nat_name=_name(nat),
                           resource_group=vnet.resource_group, subscription=vnet.subscription_id
                           or facts.source_subscription_id)))
        if group is None:
            continue
        command = Script.of(
            Command.of("az", "network", "nat", "gateway", "create", "-g", Data(target[3]), "-n", Data(_name(nat)),
                       "--subscription", Data(target[1]), "--public-ip-addresses", "<new public IP>"),
            Command.of("az", "network", "vnet", "subnet", "update", "-g", Data(target[3]), "--vnet-name",
                       Data(vnet.name), "-n", Data(name), "--subscription", Data(target[1]), "--nat-gateway",
                       Data(_name(nat))))
        manual.append(ChosenFix(fix.group, fix.action, (f"{new_vnet}/subnets/{name}",), command,
                                reason=message("nat_gateway_after", nat_name=_name(nat), subnet=name,
                                               vnet_name=vnet.name)))
    return manual
