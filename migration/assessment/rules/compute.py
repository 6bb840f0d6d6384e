"""Virtual machine rules VM1-VM8 (Microsoft's VM move limitations)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from migration.assessment.dependencies import parent_id
from migration.assessment.rules.base import Inventory, dig, finding, items, together
from migration.model import Finding, Resource
from migration.model.ids import name_of

VM = "microsoft.compute/virtualmachines"
VMSS = "microsoft.compute/virtualmachinescalesets"
_ADE_EXTENSIONS = {"azurediskencryption", "azurediskencryptionforlinux"}
_SPOT = {"spot", "low"}


def zones_of(resource: Resource) -> list[Any]:
    """Availability zones: Resource Graph's `zones` column."""
    return list(resource.zones)


def vm1_marketplace_plan(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type(VM):
        if r.plan and r.plan.get("name"):
            detail = "/".join(str(r.plan.get(k)) for k in ("publisher", "product", "name") if r.plan.get(k))
            yield finding(inv, "VM1", r, detail=detail)


def vm2_disk_encryption(inv: Inventory) -> Iterator[Finding]:
    for ext in inv.of_type("microsoft.compute/virtualmachines/extensions"):
        kind = str(dig(ext.properties, "type") or "")
        vm = inv.get(parent_id(ext.id))
        if kind.lower() in _ADE_EXTENSIONS and vm is not None:
            yield finding(inv, "VM2", vm, detail=f"extension {kind}", vm=vm.name)
    for disk in inv.of_type("microsoft.compute/disks"):
        if dig(disk.properties, "encryptionSettingsCollection", "enabled") is True:
            # The VM the disk is attached to: encryption is disabled on it.
            owner = inv.get(disk.managed_by) or next(
                (inv.get(e.source) for e in inv.graph.edges
                 if e.kind == "disk" and e.target.lower() == disk.id.lower()), None)
            yield finding(inv, "VM2", disk, detail="encryptionSettingsCollection enabled",
                          vm=owner.name if owner else "<vm name>", fix_ids=(owner.id if owner else disk.id,))


def vm3_backup_restore_points(inv: Inventory) -> Iterator[Finding]:
    vms = {r.name.lower(): r for r in inv.of_type(VM)}
    for rpc in inv.of_type("microsoft.compute/restorepointcollections"):
        vm = inv.get(dig(rpc.properties, "source", "id"))
        if vm is None and rpc.name.lower().startswith("azurebackup_"):
            vm = vms.get(rpc.name[len("AzureBackup_"):].rsplit("_", 1)[0].lower())
        if vm is not None:
            yield finding(inv, "VM3", vm, detail=f"group {rpc.resource_group}", other=rpc.name,
                          fix_ids=(vm.id, rpc.id), detail_group=rpc.resource_group)


def vm4_availability_set_split(inv: Inventory) -> Iterator[Finding]:
    members: dict[str, list[Resource]] = defaultdict(list)
    for e in inv.graph.edges:
        vm = inv.get(e.source)
        if e.kind == "avset" and vm is not None:
            members[e.target.lower()].append(vm)
    for set_id, vms in members.items():
        aset = inv.get(set_id)
        if aset is None:
            continue
        groups = {aset.resource_group.lower(), *(v.resource_group.lower() for v in vms)}
        if len(groups) < 2:
            continue
        for vm in vms:
            others = sorted({inv.group_name(g) for g in groups if g != vm.resource_group.lower()}, key=str.lower)
            # The fix brings the set and all its machines (with what they depend on) into one group.
            yield finding(inv, "VM4", vm, detail=", ".join(others), other=aset.name, **together(inv, vm.id))


def vm5_network_split(inv: Inventory) -> Iterator[Finding]:
    attached: dict[str, list[Resource]] = defaultdict(list)
    for e in inv.graph.split_edges():
        source = inv.get(e.source)
        if e.kind == "vnet" and source is not None:
            attached[e.target.lower()].append(source)
    for vnet_id, users in attached.items():
        vnet = inv.get(vnet_id)
        if vnet is None:
            continue
        groups = sorted({u.resource_group for u in users}, key=str.lower)
        names = ", ".join(sorted(u.name for u in users))
        yield finding(inv, "VM5", vnet, detail=", ".join(groups), other=names, **together(inv, vnet.id))


def vm6_spot_and_scale_sets(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type(VM):
        priority = str(dig(r.properties, "priority") or "")
        if priority.lower() in _SPOT:
            yield finding(inv, "VM6", r, detail=f"it is a {priority} virtual machine")
    standard = {r.id.lower() for r in inv.of_type("microsoft.network/loadbalancers")
                if str((r.sku or {}).get("name") or "").lower() == "standard"}
    behind: dict[str, list[str]] = defaultdict(list)
    for e in inv.graph.edges:
        if e.kind == "lb" and e.target.lower() in standard:
            behind[e.source.lower()].append(e.target)
    for r in inv.of_type(VMSS):
        priority = str(dig(r.properties, "virtualMachineProfile", "priority") or "")
        if priority.lower() in _SPOT:
            yield finding(inv, "VM6", r, detail=f"it is a {priority} scale set")
            continue
        lbs = behind.get(r.id.lower())
        if lbs:
            yield finding(inv, "VM6", r, detail=f"it is behind Standard load balancer {name_of(lbs[0])}")


def vm7_zonal_disk(inv: Inventory) -> Iterator[Finding]:
    for disk in inv.of_type("microsoft.compute/disks"):
        zones = zones_of(disk)
        if zones:
            yield finding(inv, "VM7", disk, detail=", ".join(str(z) for z in zones))


def vm8_os_profile_secrets(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type(VM):
        secrets = items(dig(r.properties, "osProfile", "secrets"))
        if secrets:
            count = sum(len(items(dig(s, "vaultCertificates"))) or 1 for s in secrets)
            yield finding(inv, "VM8", r, detail=count)


_CMK = {"encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys"}


def cmk1_customer_managed_key(inv: Inventory) -> Iterator[Finding]:
    for disk in inv.of_type("microsoft.compute/disks"):
        kind = str(dig(disk.properties, "encryption", "type") or "")
        if kind.lower() in _CMK:
            des = str(dig(disk.properties, "encryption", "diskEncryptionSetId") or "")
            # After the move the disk is encrypted again with a set of the same name in the target.
            target_des = des.replace(f"/subscriptions/{inv.source.id}/",
                                     f"/subscriptions/{inv.target.id if inv.target else '<target>'}/", 1)
            yield finding(inv, "CMK1", disk, detail=name_of(des) or "unknown", target_des=target_des)


def sn1_incremental_snapshot(inv: Inventory) -> Iterator[Finding]:
    """Microsoft's table: snapshots move 'Yes - Full; No - Incremental'."""
    row = inv.catalog.support("microsoft.compute/snapshots")
    if row is None or row.condition != "full_snapshots_only":
        return
    for snap in inv.of_type("microsoft.compute/snapshots"):
        if dig(snap.properties, "incremental") is True:
            source = str(dig(snap.properties, "creationData", "sourceResourceId") or "")
            after = source.replace(f"/subscriptions/{inv.source.id}/",
                                   f"/subscriptions/{inv.target.id if inv.target else '<target>'}/", 1)
            yield finding(inv, "SN1", snap, disk_after=after or "<the disk's id in the target>")
