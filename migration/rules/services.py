"""Service rules R1, S1-S10 (Microsoft's move-support notes) and C1 (services restricted in CSP)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

from migration.dependencies import parent_id, top_level_id
from migration.model import Finding
from migration.rules.base import Inventory, dig, finding, is_child, items


def r1_recovery_vault(inv: Inventory) -> Iterator[Finding]:
    for vault in inv.of_type("microsoft.recoveryservices/vaults"):
        asr = [r for r in inv.children_of(vault)
               if r.type_lower.startswith("microsoft.recoveryservices/vaults/replication")]
        if asr:
            yield finding(inv, "R1", vault, case="asr", detail="has Azure Site Recovery replication configured")
        else:
            yield finding(inv, "R1", vault, detail="moves one vault per region at a time; backup reports need "
                          "reconfiguring after the move")


def s1_sql_databases(inv: Inventory) -> Iterator[Finding]:
    for server in inv.of_type("microsoft.sql/servers"):
        dbs = [d for d in inv.children_of(server, "microsoft.sql/servers/databases")
               if d.id.rsplit("/", 1)[-1].lower() != "master"]
        if dbs:
            yield finding(inv, "S1", server, detail=len(dbs))


def s2_workspace_automation(inv: Inventory) -> Iterator[Finding]:
    for link in inv.of_type("microsoft.operationalinsights/workspaces/linkedservices"):
        workspace = inv.get(parent_id(link.id))
        target = str(dig(link.properties, "resourceId") or "")
        if workspace is not None and "/microsoft.automation/automationaccounts/" in target.lower():
            yield finding(inv, "S2", workspace, detail=target.rsplit("/", 1)[-1])


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
                yield finding(inv, "S5", cluster, detail=str(top_level_id(vnet)).rsplit("/", 1)[-1])
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
            yield finding(inv, "S8", c, detail=f"workspace {str(workspace).rsplit('/', 1)[-1]}")


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
