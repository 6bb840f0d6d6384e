"""Generic move rules G4-G17 (sources in `migration/data/rules.json`): per resource or per group."""

from __future__ import annotations

from collections.abc import Iterator

from migration.assessment.dependencies import NOT_CONSOLIDATABLE, parent_id
from migration.assessment.rules.base import Inventory, finding, is_child, together
from migration.model import Finding, Lock, ResourceId, ScopeKind
from migration.model.commands import Command, Data, Script
from migration.model.ids import name_of

MAX_RESOURCES_PER_REQUEST = 800  # ARM refuses larger move requests


def _namespace(type_: str) -> str:
    return type_.split("/", 1)[0]


def g4_provider_not_registered(inv: Inventory) -> Iterator[Finding]:
    if inv.target_providers is None:
        return
    for key, members in sorted(inv.by_group.items()):
        namespaces = sorted({_namespace(r.type).lower() for r in members if not inv.catalog.is_classic(r.type)})
        for ns in namespaces:
            reg = inv.target_providers.get(ns)
            if reg is None or not reg.registered:
                shown = reg.namespace if reg else next(_namespace(r.type) for r in members
                                                       if _namespace(r.type).lower() == ns)
                yield finding(inv, "G4", group=inv.group_name(key), detail=shown)


# Types with a rule of their own that says what to do (SQL1, U1); G7 would only repeat it as a blocker.
OWN_RULE = frozenset({"microsoft.sqlvirtualmachine/sqlvirtualmachines",
                      "microsoft.managedidentity/userassignedidentities"})
VCORE = frozenset({"microsoft.documentdb/mongoclusters", "microsoft.documentdb/cassandraclusters"})


def g7_type_not_movable(inv: Inventory) -> Iterator[Finding]:
    """Microsoft's table says No for subscription moves. What nothing needs is left behind and re-created."""
    for r in inv.resources:
        if is_child(r) or inv.catalog.is_classic(r.type) or r.type_lower in OWN_RULE:
            continue
        if inv.catalog.move_support(r.type) is not False:
            continue
        recreate = inv.catalog.leave_behind.get(r.type_lower)
        if recreate is not None:
            yield finding(inv, "G7", r, case="leave_behind", detail=recreate)
        elif r.type_lower in VCORE:
            yield finding(inv, "G7", r, case="cosmos_vcore")
        else:
            yield finding(inv, "G7", r)


def g8_type_unknown(inv: Inventory) -> Iterator[Finding]:
    """Not in the table (or 'pending'): Azure decides. A namespace that is not Microsoft's: third party (T1)."""
    for r in inv.resources:
        if is_child(r) or inv.catalog.is_classic(r.type):
            continue
        row = inv.catalog.support(r.type)
        if row is None and not r.type_lower.startswith("microsoft.") and not inv.catalog.is_listed_namespace(r.type):
            yield finding(inv, "T1", r)
        elif row is None:
            yield finding(inv, "G8", r, detail="Microsoft's move-support table does not list the type")
        elif row.subscription is None:
            yield finding(inv, "G8", r, detail=f"Microsoft's move-support table says '{row.words}'")


def g19_managed_group(inv: Inventory) -> Iterator[Finding]:
    for key in sorted(inv.by_group):
        group = inv.groups.get(key)
        if group is not None and group.managed_by:
            manager = inv.get(group.managed_by)
            shown = manager.name if manager else name_of(group.managed_by)
            yield finding(inv, "G19", group=group.name, detail=shown)


def g9_classic(inv: Inventory) -> Iterator[Finding]:
    for r in inv.resources:
        if inv.catalog.is_classic(r.type):
            info = inv.catalog.classic_info(r.type)
            yield finding(inv, "G9", r, detail=f"{info.what}, retired {info.retired}; migrate to {info.migrate_to}")


def g10_dependencies_split(inv: Inventory) -> Iterator[Finding]:
    for e in inv.graph.split_edges():
        if e.kind in NOT_CONSOLIDATABLE:
            continue  # App Service: rule A1
        src, dst = inv.get(e.source), inv.get(e.target)
        if src is None or dst is None:
            continue
        # The fix brings the whole set into one group (a move inside the subscription).
        fix = together(inv, src.id)
        yield finding(inv, "G10", src, detail=dst.resource_group, other=dst.name, **fix)
        if e.kind != "vnet":  # the network's side is worded by VM5
            yield finding(inv, "G10", dst, case="used_by", detail=src.resource_group, other=src.name, **fix)


def g11_child_without_parent(inv: Inventory) -> Iterator[Finding]:
    for r in inv.resources:
        parent = parent_id(r.id)
        if parent is not None and inv.get(parent) is None:
            yield finding(inv, "G11", r, detail=name_of(parent))


def g12_read_only_lock(inv: Inventory) -> Iterator[Finding]:
    """ReadOnly locks on a source group or on the same-named target group (subscription locks: preconditions)."""
    for lock in inv.locks:
        if lock.level.lower() != "readonly" or not ResourceId.is_valid(lock.scope):
            continue
        scope = ResourceId.parse(lock.scope)
        if scope.kind is not ScopeKind.GROUP:
            continue  # a lock on a resource itself does not block a move
        name, subscription = scope.resource_group.lower(), scope.subscription.lower()
        if subscription == inv.source.id.lower() and name in inv.by_group:
            yield lock_finding(inv, lock, group=inv.group_name(name), where=f"group {inv.group_name(name)}",
                               scope=("--resource-group", Data(inv.group_name(name)), "--subscription",
                                      Data(inv.source.id)))
        elif inv.target is not None and subscription == inv.target.id.lower() and name in inv.by_group:
            yield lock_finding(inv, lock, group=inv.group_name(name), where=f"target group {inv.group_name(name)}",
                               scope=("--resource-group", Data(inv.group_name(name)), "--subscription",
                                      Data(inv.target.id)))


def lock_finding(inv: Inventory, lock: Lock, *, group: str, where: str, scope: tuple[str | Data, ...]) -> Finding:
    """G12 with its fix: lift the lock for the move, put it back after (with its notes)."""
    notes = ("--notes", Data(lock.notes)) if lock.notes else ()
    return finding(inv, "G12", name=lock.name, group=group, detail=where, fix_ids=(lock.id,),
                   lock_delete=Script.of(Command.of("az", "lock", "delete", "--name", Data(lock.name), *scope)),
                   lock_create=Script.of(Command.of("az", "lock", "create", "--name", Data(lock.name), "--lock-type",
                                                    "ReadOnly", *scope, *notes)))


def g13_not_succeeded(inv: Inventory) -> Iterator[Finding]:
    for r in inv.resources:
        state = r.provisioning_state
        if state is not None and state.lower() != "succeeded":
            yield finding(inv, "G13", r, detail=state)


def g14_too_many(inv: Inventory) -> Iterator[Finding]:
    for key, members in inv.by_group.items():
        count = sum(1 for r in members if not is_child(r))
        if count > MAX_RESOURCES_PER_REQUEST:
            yield finding(inv, "G14", group=inv.group_name(key), detail=count)


def g15_g17_every_move(inv: Inventory) -> Iterator[Finding]:
    for key, members in sorted(inv.by_group.items()):
        group = inv.group_name(key)
        yield finding(inv, "G15", group=group)
        yield finding(inv, "G17", group=group, detail=len(members))

