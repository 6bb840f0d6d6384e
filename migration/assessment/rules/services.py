"""Service rules R1, S1-S10 (Microsoft's move-support notes) and C1 (services restricted in CSP)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

from migration.assessment.dependencies import top_level_id
from migration.assessment.rules.base import Inventory, dig, finding, is_child, items
from migration.model import Finding, Resource
from migration.model.commands import Command, Data, Script
from migration.model.ids import name_of


def r1_recovery_vault(inv: Inventory) -> Iterator[Finding]:
    for vault in inv.of_type("microsoft.recoveryservices/vaults"):
        asr = inv.links_under(vault, "microsoft.recoveryservices/vaults/replicationfabrics")
        items_ = [r for r in asr if r.type_lower.endswith("/replicationprotecteditems")] or list(asr)
        if items_:
            names = ", ".join(sorted(r.name.rsplit("/", 1)[-1] for r in items_))
            yield finding(inv, "R1", vault, case="asr", detail=f"{len(items_)} protected item(s): {names}")
        else:
            yield finding(inv, "R1", vault, detail="moves one vault per region at a time; backup reports need "
                          "reconfiguring after the move")


def s1_sql_databases(inv: Inventory) -> Iterator[Finding]:
    for server in inv.of_type("microsoft.sql/servers"):
        dbs = [d for d in inv.children_of(server, "microsoft.sql/servers/databases")
               if name_of(d.id).lower() != "master"]
        if dbs:
            yield finding(inv, "S1", server, detail=len(dbs))


def s2_workspace_automation(inv: Inventory) -> Iterator[Finding]:
    """Linked services come from a targeted ARM read per workspace (Resource Graph does not list them)."""
    for workspace in inv.of_type("microsoft.operationalinsights/workspaces"):
        for link in inv.links_under(workspace, "microsoft.operationalinsights/workspaces/linkedservices"):
            target = str(dig(link.properties, "resourceId") or dig(link.properties, "writeAccessResourceId") or "")
            if "/microsoft.automation/automationaccounts/" in target.lower():
                yield finding(inv, "S2", workspace, detail=name_of(target), fix_ids=(workspace.id, link.id),
                              link=link.name.rsplit("/", 1)[-1], automation_id=target)


def s4_stream_analytics_running(inv: Inventory) -> Iterator[Finding]:
    for job in inv.of_type("microsoft.streamanalytics/streamingjobs"):
        state = str(dig(job.properties, "jobState") or "")
        if state.lower() in ("running", "starting", "restarting"):
            yield finding(inv, "S4", job, detail=state.lower())


def s5_hdinsight_network(inv: Inventory) -> Iterator[Finding]:
    for cluster in inv.of_type("microsoft.hdinsight/clusters"):
        for role in items(dig(cluster.properties, "computeProfile", "roles")):
            vnet = dig(role, "virtualNetworkProfile", "id")
            if vnet:
                yield finding(inv, "S5", cluster, detail=name_of(top_level_id(vnet)))
                break


def s6_apim_consumption(inv: Inventory) -> Iterator[Finding]:
    for apim in inv.of_type("microsoft.apimanagement/service"):
        if str((apim.sku or {}).get("name") or "").lower() == "consumption":
            yield finding(inv, "S6", apim)


def s7_search_regions(inv: Inventory) -> Iterator[Finding]:
    regions: dict[str, set[str]] = defaultdict(set)
    for s in inv.of_type("microsoft.search/searchservices"):
        regions[s.resource_group.lower()].add(s.location.lower())
    for group, locations in sorted(regions.items()):
        if len(locations) > 1:
            yield finding(inv, "S7", group=inv.group_name(group), detail=len(locations))


def s8_app_insights(inv: Inventory) -> Iterator[Finding]:
    for c in inv.of_type("microsoft.insights/components"):
        workspace = dig(c.properties, "WorkspaceResourceId") or dig(c.properties, "workspaceResourceId")
        if workspace:
            yield finding(inv, "S8", c, detail=f"workspace {name_of(str(workspace))}")


def s9_saas(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type("microsoft.saas/resources"):
        yield finding(inv, "S9", r)


def s10_classic_cloud_service(inv: Inventory) -> Iterator[Finding]:
    for r in inv.of_type("microsoft.classiccompute/domainnames"):
        yield finding(inv, "S10", r)


def c1_restricted_in_csp(inv: Inventory) -> Iterator[Finding]:
    for r in inv.resources:
        restriction = inv.catalog.restriction(r.type)
        if restriction is not None and not is_child(r):
            # Each restricted service carries its own severity and source in csp-restricted.json.
            f = finding(inv, "C1", r, detail=f"{restriction.what}: {restriction.detail}")
            yield replace(f, severity=restriction.severity, source=restriction.source)


def u1_user_assigned_identity(inv: Inventory) -> Iterator[Finding]:
    users: dict[str, list[str]] = defaultdict(list)
    for r in inv.resources:
        for key in (dig(r.identity, "userAssignedIdentities") or {}) if r.identity else {}:
            users[str(key).lower()].append(r.name)
    for uami in inv.of_type("microsoft.managedidentity/userassignedidentities"):
        used_by = sorted(users.get(uami.id.lower(), []))
        yield finding(inv, "U1", uami, detail=", ".join(used_by) or "no resource")


def kv1_disk_encryption_vault(inv: Inventory) -> Iterator[Finding]:
    """Key Vaults that encrypt disks: through a disk encryption set (CMK) or Azure Disk Encryption."""
    encrypted: dict[str, list[tuple[Resource, Command]]] = defaultdict(list)
    sets = {d.id.lower(): d for d in inv.of_type("microsoft.compute/diskencryptionsets")}
    for disk in inv.of_type("microsoft.compute/disks"):
        des = sets.get(str(dig(disk.properties, "encryption", "diskEncryptionSetId") or "").lower())
        vault = str(dig(des.properties, "activeKey", "sourceVault", "id") or "") if des else ""
        if vault:
            encrypted[top_level_id(vault).lower()].append(
                (disk, Command.of("az", "disk", "update", "-g", Data(disk.resource_group), "-n", Data(disk.name),
                                  "--encryption-type", "EncryptionAtRestWithPlatformKey")))
        for setting in items(dig(disk.properties, "encryptionSettingsCollection", "encryptionSettings")):
            ade = str(dig(setting, "diskEncryptionKey", "sourceVault", "id") or "")
            vm = inv.get(str(disk.managed_by or ""))
            if ade:
                encrypted[top_level_id(ade).lower()].append(
                    (disk, Command.of("az", "vm", "encryption", "disable", "-g", Data(disk.resource_group), "-n",
                                      Data(vm.name if vm else "<vm>"), "--volume-type", "all")))
    for key_vault in inv.of_type("microsoft.keyvault/vaults"):
        disks = encrypted.get(key_vault.id.lower())
        if disks:
            commands = list(dict.fromkeys(c for _, c in disks))
            yield finding(inv, "KV1", key_vault, detail=", ".join(sorted(d.name for d, _ in disks)),
                          fix_ids=tuple(d.id for d, _ in disks), disk_commands=Script(tuple(commands)))


def sql1_sql_iaas_registration(inv: Inventory) -> Iterator[Finding]:
    for reg in inv.of_type("microsoft.sqlvirtualmachine/sqlvirtualmachines"):
        vm_id = str(dig(reg.properties, "virtualMachineResourceId") or "")
        vm = inv.get(vm_id)
        yield finding(inv, "SQL1", reg, detail=vm.name if vm else (name_of(vm_id) or reg.name),
                      license=dig(reg.properties, "sqlServerLicenseType") or "PAYG")
