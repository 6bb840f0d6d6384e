"""Each rule: a case that fires and a near-miss that does not, on resources shaped like the sandbox's."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from migration.model import Assessment, FixAction, Resource, Severity
from tests.support.builders import SRC, assess_resources, group_scope, lock, of_rule, ref, res, rid

VM = "Microsoft.Compute/virtualMachines"
NIC = "Microsoft.Network/networkInterfaces"
VNET = "Microsoft.Network/virtualNetworks"
PIP = "Microsoft.Network/publicIPAddresses"
DISK = "Microsoft.Compute/disks"


def vnet(group: str, name: str = "vnet", **props: object) -> Resource:
    subnets = props.pop("subnets", [{"name": "default", "id": rid(group, VNET, name) + "/subnets/default",
                                     "properties": {}}])
    return res(group, VNET, name, props={"subnets": subnets, **props})


def nic(group: str, name: str, network: Resource, pip: Resource | None = None) -> Resource:
    ip: dict[str, object] = {"subnet": {"id": network.id + "/subnets/default"}}
    if pip is not None:
        ip["publicIPAddress"] = ref(pip)
    return res(group, NIC, name, props={"ipConfigurations": [{"name": "ipconfig1", "properties": ip}]})


def vm(group: str, name: str, nics: list[Resource], disk: Resource | None = None, **props: object) -> Resource:
    body: dict[str, object] = {"networkProfile": {"networkInterfaces": [ref(n) for n in nics]}, **props}
    if disk is not None:
        body["storageProfile"] = {"osDisk": {"managedDisk": ref(disk)}}
    return res(group, VM, name, props=body)


def _vm_set(group: str, **vm_props: object) -> list[Resource]:
    net = vnet(group)
    n = nic(group, "vm1-nic", net)
    d = res(group, DISK, "vm1-os")
    return [net, n, d, vm(group, "vm1", [n], d, **vm_props)]


def _split_vm() -> list[Resource]:
    net = vnet("rg-net")
    n = nic("rg-app", "app-nic", net)
    return [net, n, vm("rg-app", "app-vm", [n])]


def _site(group: str, plan_group: str, *, created_in: str | None = None, **props: object) -> list[Resource]:
    """A web app and its plan; `created_in`: the group their webSpace names (where they were created)."""
    space = {"webSpace": f"{created_in}-WestEuropewebspace"} if created_in else {}
    plan = res(plan_group, "Microsoft.Web/serverfarms", "plan", sku={"name": "S1"}, props=space)
    return [plan, res(group, "Microsoft.Web/sites", "web", props={"serverFarmId": plan.id, **space, **props})]


def _avset(split: bool) -> list[Resource]:
    aset = res("rg-a", "Microsoft.Compute/availabilitySets", "avset")
    out = [aset]
    for i, g in enumerate(("rg-a", "rg-b" if split else "rg-a")):
        out.append(res(g, VM, f"vm{i}", props={"availabilitySet": ref(aset)}))
    return out


def _pe(target_type: str, target_name: str) -> list[Resource]:
    net = vnet("rg-a")
    target = rid("rg-a", target_type, target_name)
    return [net, res("rg-a", "Microsoft.Network/privateEndpoints", "pe", props={
        "subnet": {"id": net.id + "/subnets/default"},
        "privateLinkServiceConnections": [{"name": "c", "properties": {"privateLinkServiceId": target}}]})]


def _aks(with_vnet: bool) -> list[Resource]:
    net = vnet("rg-a")
    pool = {"name": "nodepool1", **({"vnetSubnetID": net.id + "/subnets/default"} if with_vnet else {})}
    return [net, res("rg-b", "Microsoft.ContainerService/managedClusters", "aks",
                     props={"agentPoolProfiles": [pool]})]


def _vmss(lb_sku: str) -> list[Resource]:
    lb = res("rg-a", "Microsoft.Network/loadBalancers", "lb", sku={"name": lb_sku})
    pool = lb.id + "/backendAddressPools/pool"
    cfg = {"name": "c", "properties": {"ipConfigurations": [{"name": "i", "properties": {
        "loadBalancerBackendAddressPools": [{"id": pool}]}}]}}
    return [lb, res("rg-a", "Microsoft.Compute/virtualMachineScaleSets", "vmss", props={
        "virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [cfg]}}})]


def _restore_points(linked: bool) -> list[Resource]:
    machine = res("rg-a", VM, "vm-sql")
    name = "AzureBackup_vm-sql_123456" if linked else "AzureBackup_vm-other_123456"
    return [machine, res("AzureBackupRG_westeurope_1", "Microsoft.Compute/restorePointCollections", name,
                         props={"source": {"id": machine.id}} if linked else {})]


def _workspace(linked: bool) -> tuple[list[Resource], list[Resource]]:
    """The workspace (inventory) and its linked service (a targeted ARM read, not in Resource Graph)."""
    ws = res("rg-a", "Microsoft.OperationalInsights/workspaces", "law")
    target = rid("rg-a", "Microsoft.Automation/automationAccounts" if linked else "Microsoft.Storage/storageAccounts",
                 "auto")
    return [ws], [res("rg-a", "Microsoft.OperationalInsights/workspaces/linkedServices", "law/Automation",
                      props={"resourceId": target})]


def _sql(dbs: int) -> list[Resource]:
    out = [res("rg-a", "Microsoft.Sql/servers", "sql")]
    out += [res("rg-a", "Microsoft.Sql/servers/databases", "sql/master")]
    out += [res("rg-a", "Microsoft.Sql/servers/databases", f"sql/db{i}") for i in range(dbs)]
    return out


def _vault(asr: bool) -> tuple[list[Resource], list[Resource]]:
    """The vault (inventory) and what recoveryservicesresources holds: a replicated item, or a backup item."""
    vault = res("rg-a", "Microsoft.RecoveryServices/vaults", "rsv")
    item = ("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
            "replicationProtectedItems" if asr
            else "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems")
    return [vault], [res("rg-a", item, "rsv/fabric/container/vm-sql")]


def _linked(build: Callable[[bool], tuple[list[Resource], list[Resource]]], on: bool) -> Callable[[], Inputs]:
    return lambda: Inputs(*build(on))


def _cmk(with_key: bool) -> list[Resource]:
    kv = res("rg-a", "Microsoft.KeyVault/vaults", "kv-disks")
    des = res("rg-a", "Microsoft.Compute/diskEncryptionSets", "des",
              props={"activeKey": {"sourceVault": {"id": kv.id}, "keyUrl": "https://kv-disks/keys/k"}})
    enc = ({"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": des.id} if with_key
           else {"type": "EncryptionAtRestWithPlatformKey"})
    return [kv, des, res("rg-a", DISK, "data-disk", props={"encryption": enc})]


def _ade_vault(encrypted: bool) -> list[Resource]:
    """A Key Vault holding Azure Disk Encryption keys of a VM's disk (ADE, not a disk encryption set)."""
    kv = res("rg-a", "Microsoft.KeyVault/vaults", "kv-ade")
    machine = res("rg-a", VM, "vm-ade")
    settings = {"enabled": True, "encryptionSettings": [{"diskEncryptionKey": {
        "sourceVault": {"id": kv.id}, "secretUrl": "https://kv-ade.vault.azure.net/secrets/s/1"}}]}
    disk = replace(res("rg-a", DISK, "vm-ade-os", props={"encryptionSettingsCollection": settings} if encrypted
                       else {}), managed_by=machine.id)
    return [kv, machine, disk]


def _subnet_with(nat: bool) -> list[Resource]:
    gw = rid("rg-a", "Microsoft.Network/natGateways", "natgw")
    props = {"natGateway": {"id": gw}} if nat else {}
    return [vnet("rg-a", subnets=[{"name": "default", "properties": props}]),
            res("rg-a", "Microsoft.Network/natGateways", "natgw")]


def _firewall(in_subnet: bool) -> list[Resource]:
    net = vnet("rg-a")
    ip = {"subnet": {"id": net.id + "/subnets/AzureFirewallSubnet"}} if in_subnet else {}
    return [net, res("rg-b", "Microsoft.Network/azureFirewalls", "fw",
                     props={"ipConfigurations": [{"name": "c", "properties": ip}]})]


def _sql_vm(registered: bool) -> list[Resource]:
    machine = res("rg-a", VM, "vm-sql")
    out = [machine]
    if registered:
        out.append(res("rg-a", "Microsoft.SqlVirtualMachine/sqlVirtualMachines", "vm-sql",
                       props={"virtualMachineResourceId": machine.id, "sqlServerLicenseType": "AHUB"}))
    return out


def _identity(used: bool) -> list[Resource]:
    uami = res("rg-a", "Microsoft.ManagedIdentity/userAssignedIdentities", "id-deploy")
    app = res("rg-a", "Microsoft.Web/sites", "web",
              identity={"type": "UserAssigned", "userAssignedIdentities": {uami.id: {}}} if used else None)
    return [uami, app] if used else [app]


@dataclass(frozen=True)
class Inputs:
    resources: list[Resource]
    links: list[Resource] = field(default_factory=list)
    managed_by: dict[str, str] = field(default_factory=dict)


def _managed(managed: bool) -> Inputs:
    aks = rid("rg-a", "Microsoft.ContainerService/managedClusters", "aks")
    return Inputs([res("MC_rg-a_aks_westeurope", DISK, "node-disk")],
                  managed_by={"MC_rg-a_aks_westeurope": aks} if managed else {})


Case = tuple[str, Callable[[], list[Resource] | Inputs], Callable[[], list[Resource] | Inputs], str, Severity]

# (rule, firing inventory, near-miss inventory, name of the resource/group the finding is on, severity)
CASES: list[Case] = [
    ("G7", lambda: [res("rg-a", "Microsoft.ContainerService/managedClusters", "aks")],
     lambda: [res("rg-a", "Microsoft.Storage/storageAccounts", "aks")], "aks", Severity.BLOCKER),
    ("G7", lambda: [res("rg-a", "Microsoft.Insights/metricAlerts", "cpu-alert")],
     lambda: [res("rg-a", "Microsoft.Insights/actionGroups", "cpu-alert")], "cpu-alert", Severity.FIX_FIRST),
    ("G7", lambda: [res("rg-a", "Microsoft.DocumentDB/mongoClusters", "mongo")],
     lambda: [res("rg-a", "Microsoft.DocumentDB/databaseAccounts", "mongo")], "mongo", Severity.BLOCKER),
    ("G7", lambda: [res("rg-a", "Microsoft.Maintenance/maintenanceConfigurations", "patch")],
     lambda: [res("rg-a", "Microsoft.DataProtection/backupVaults", "patch")], "patch", Severity.BLOCKER),
    ("G8", lambda: [res("rg-a", "Microsoft.App/containerApps", "ca")],
     lambda: [res("rg-a", "Microsoft.Web/sites", "web")], "ca", Severity.AZURE_DECIDES),
    ("T1", lambda: [res("rg-a", "Dynatrace.Observability/monitors", "dt")],
     lambda: [res("rg-a", "Microsoft.App/containerApps", "dt")], "dt", Severity.BLOCKER),
    ("G19", lambda: _managed(True), lambda: _managed(False), "MC_rg-a_aks_westeurope", Severity.BLOCKER),
    ("G9", lambda: [res("rg-a", "Microsoft.ClassicStorage/storageAccounts", "oldst")],
     lambda: [res("rg-a", "Microsoft.Storage/storageAccounts", "st")], "oldst", Severity.BLOCKER),
    ("G10", lambda: [d := res("rg-b", DISK, "d"), vm("rg-a", "vm", [], d)],
     lambda: [d := res("rg-a", DISK, "d"), vm("rg-a", "vm", [], d)], "vm", Severity.FIX_FIRST),
    ("G11", lambda: [res("rg-a", "Microsoft.Sql/servers/databases", "gone/db")],
     lambda: _sql(1), "db", Severity.BLOCKER),
    ("G13", lambda: [res("rg-a", DISK, "d", state="Failed")],
     lambda: [res("rg-a", DISK, "d", state="Succeeded")],
     "d", Severity.BLOCKER),
    ("VM1", lambda: [res("rg-a", VM, "fw", plan={"name": "byol", "publisher": "fortinet", "product": "fortigate"})],
     lambda: [res("rg-a", VM, "fw", plan=None)], "fw", Severity.BLOCKER),
    ("VM2", lambda: [res("rg-a", VM, "vm"), res("rg-a", VM + "/extensions", "vm/ADE",
                     props={"type": "AzureDiskEncryption", "publisher": "Microsoft.Azure.Security"})],
     lambda: [res("rg-a", VM, "vm"), res("rg-a", VM + "/extensions", "vm/mon", props={"type": "AzureMonitorAgent"})],
     "vm", Severity.FIX_FIRST),
    ("VM3", lambda: _restore_points(True), lambda: _restore_points(False), "vm-sql", Severity.FIX_FIRST),
    ("VM4", lambda: _avset(True), lambda: _avset(False), "vm1", Severity.FIX_FIRST),
    ("VM5", _split_vm, lambda: _vm_set("rg-a"), "vnet", Severity.FIX_FIRST),
    ("VM6", lambda: [res("rg-a", VM, "spot", props={"priority": "Spot"})],
     lambda: [res("rg-a", VM, "spot", props={"priority": "Regular"})], "spot", Severity.BLOCKER),
    ("VM6", lambda: _vmss("Standard"), lambda: _vmss("Basic"), "vmss", Severity.BLOCKER),
    ("VM7", lambda: [replace(res("rg-a", DISK, "d"), zones=("1",))], lambda: [res("rg-a", DISK, "d")],
     "d", Severity.WARNING),
    ("VM8", lambda: [res("rg-a", VM, "vm", props={"osProfile": {"secrets": [{"sourceVault": {"id": "kv"},
                                                 "vaultCertificates": [{"certificateUrl": "u"}]}]}})],
     lambda: [res("rg-a", VM, "vm", props={"osProfile": {"secrets": []}})], "vm", Severity.FIX_FIRST),
    ("N1", lambda: [res("rg-a", "Microsoft.Network/loadBalancers", "lb", sku={"name": "Standard"})],
     lambda: [res("rg-a", "Microsoft.Network/loadBalancers", "lb", sku={"name": "Basic"})], "lb", Severity.BLOCKER),
    ("N1", lambda: [p := res("rg-a", PIP, "pip", sku={"name": "Standard"}), n := vnet("rg-a"),
                    nic("rg-a", "nic", n, p)],
     lambda: [res("rg-a", PIP, "pip", sku={"name": "Standard"}), n := vnet("rg-a"), nic("rg-a", "nic", n)],
     "nic", Severity.FIX_FIRST),
    ("N2", lambda: [vnet("rg-a", virtualNetworkPeerings=[{"name": "to-hub", "properties": {
        "remoteVirtualNetwork": {"id": rid("rg-hub", VNET, "hub")}}}])],
     lambda: [vnet("rg-a", virtualNetworkPeerings=[])], "vnet", Severity.FIX_FIRST),
    ("N3", lambda: [vnet("rg-a", subnets=[{"name": "redis", "properties": {"resourceNavigationLinks": [
        {"name": "rnl", "properties": {"linkedResourceType": "Microsoft.Cache/redis"}}]}}])],
     lambda: [vnet("rg-a", subnets=[{"name": "redis", "properties": {"resourceNavigationLinks": []}}])],
     "vnet", Severity.BLOCKER),
    ("N4", lambda: [res("rg-a", "Microsoft.Network/virtualNetworkGateways", "gw", props={"sku": {"name": "Basic"}})],
     lambda: [res("rg-a", "Microsoft.Network/virtualNetworkGateways", "gw", props={"sku": {"name": "VpnGw1"}})],
     "gw", Severity.BLOCKER),
    ("N5", lambda: _pe("Microsoft.Storage/storageAccounts", "st"), lambda: _pe("Microsoft.Sql/servers", "sql"),
     "pe", Severity.BLOCKER),
    ("N6", lambda: _aks(True), lambda: _aks(False), "vnet", Severity.BLOCKER),
    ("A1", lambda: _site("rg-a", "rg-b", created_in="rg-b"), lambda: _site("rg-b", "rg-b", created_in="rg-b"),
     "web", Severity.FIX_FIRST),
    ("A1", lambda: _site("rg-a", "rg-a", virtualNetworkSubnetId=rid("rg-a", VNET, "v") + "/subnets/s"),
     lambda: _site("rg-a", "rg-a", virtualNetworkSubnetId=None), "web", Severity.FIX_FIRST),
    ("R1", _linked(_vault, True), _linked(_vault, False), "rsv", Severity.BLOCKER),
    ("S1", lambda: _sql(2), lambda: _sql(0), "sql", Severity.INFO),
    ("S2", _linked(_workspace, True), _linked(_workspace, False), "law", Severity.FIX_FIRST),
    ("S4", lambda: [res("rg-a", "Microsoft.StreamAnalytics/streamingjobs", "asa", props={"jobState": "Running"})],
     lambda: [res("rg-a", "Microsoft.StreamAnalytics/streamingjobs", "asa", props={"jobState": "Stopped"})],
     "asa", Severity.FIX_FIRST),
    ("S5", lambda: [res("rg-a", "Microsoft.HDInsight/clusters", "hdi", props={"computeProfile": {"roles": [
        {"name": "headnode", "virtualNetworkProfile": {"id": rid("rg-a", VNET, "v"), "subnet": "s"}}]}})],
     lambda: [res("rg-a", "Microsoft.HDInsight/clusters", "hdi", props={"computeProfile": {"roles": [
         {"name": "headnode"}]}})], "hdi", Severity.FIX_FIRST),
    ("S6", lambda: [res("rg-a", "Microsoft.ApiManagement/service", "apim", sku={"name": "Consumption"})],
     lambda: [res("rg-a", "Microsoft.ApiManagement/service", "apim", sku={"name": "Developer"})],
     "apim", Severity.BLOCKER),
    ("S7", lambda: [res("rg-a", "Microsoft.Search/searchServices", "s1", location="westeurope"),
                    res("rg-a", "Microsoft.Search/searchServices", "s2", location="eastus")],
     lambda: [res("rg-a", "Microsoft.Search/searchServices", "s1", location="westeurope"),
              res("rg-b", "Microsoft.Search/searchServices", "s2", location="eastus")], "rg-a", Severity.FIX_FIRST),
    ("S8", lambda: [res("rg-a", "Microsoft.Insights/components", "appi",
                        props={"WorkspaceResourceId": rid("rg-a", "Microsoft.OperationalInsights/workspaces", "law")})],
     lambda: [res("rg-a", "Microsoft.Insights/components", "appi", props={})], "appi", Severity.WARNING),
    ("S9", lambda: [res("rg-a", "Microsoft.SaaS/resources", "saas")],
     lambda: [res("rg-a", "Microsoft.Storage/storageAccounts", "saas")], "saas", Severity.BLOCKER),
    ("S10", lambda: [res("rg-a", "Microsoft.ClassicCompute/domainNames", "cs")],
     lambda: [res("rg-a", "Microsoft.ClassicCompute/virtualMachines", "cvm")], "cs", Severity.BLOCKER),
    ("C1", lambda: [res("rg-a", "Microsoft.TimeSeriesInsights/environments", "tsi")],
     lambda: [res("rg-a", "Microsoft.Insights/components", "tsi")], "tsi", Severity.WARNING),
    ("CMK1", lambda: _cmk(True), lambda: _cmk(False), "data-disk", Severity.FIX_FIRST),
    ("KV1", lambda: _cmk(True), lambda: _cmk(False), "kv-disks", Severity.FIX_FIRST),
    ("KV1", lambda: _ade_vault(True), lambda: _ade_vault(False), "kv-ade", Severity.FIX_FIRST),
    ("SN1", lambda: [res("rg-a", "Microsoft.Compute/snapshots", "snap", props={"incremental": True})],
     lambda: [res("rg-a", "Microsoft.Compute/snapshots", "snap", props={"incremental": False})],
     "snap", Severity.FIX_FIRST),
    ("SQL1", lambda: _sql_vm(True), lambda: _sql_vm(False), "vm-sql", Severity.FIX_FIRST),
    ("U1", lambda: _identity(True), lambda: _identity(False), "id-deploy", Severity.FIX_FIRST),
    ("N7", lambda: _subnet_with(True), lambda: _subnet_with(False), "natgw", Severity.FIX_FIRST),
    ("N7", lambda: _firewall(True), lambda: _firewall(False), "fw", Severity.BLOCKER),
]


@pytest.mark.parametrize(("rule_id", "fires", "misses", "on", "severity"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fires_and_near_miss_does_not(rule_id: str, fires: Callable[[], list[Resource] | Inputs],
                                           misses: Callable[[], list[Resource] | Inputs], on: str,
                                           severity: Severity) -> None:
    hit = [f for f in of_rule(_assess(fires()), rule_id) if f.severity is severity]
    assert hit, f"{rule_id} did not fire"
    assert any(on in f.message for f in hit), [f.message for f in hit]
    assert all(f.remediation and f.source.startswith("https://") for f in hit)
    # A fix-first finding says what to run, with the real names filled in (no template left over).
    for f in hit:
        if f.severity is Severity.FIX_FIRST:
            command = f.fix.command.posix() if f.fix is not None else ""
            assert command and not re.search(r"\{[a-z_]+\}", command), f
            assert (f.fix.resource_ids or f.resource_id is None) and f.fix.source.startswith("https://")
    assert [f for f in of_rule(_assess(misses()), rule_id) if f.severity is severity] == []


def _assess(given: list[Resource] | Inputs) -> Assessment:
    inputs = given if isinstance(given, Inputs) else Inputs(given)
    return assess_resources(inputs.resources, links=inputs.links, managed_by=inputs.managed_by)


def test_every_data_rule_has_a_firing_case() -> None:
    from migration.assessment.catalog import load_catalog

    data_rules = {t.rule.id for t in load_catalog().rules_by_check("data")}
    # G5 fires from permissions, not resources: tests/migration/assessment/rules/test_preconditions.py; Q1 and F1
    # from the target's quota and features: tests/migration/assessment/test_readiness.py
    covered = {c[0] for c in CASES} | {"G1", "G2", "G3", "G4", "G5", "G12", "G14", "G15", "G17", "P1", "P2",
                                       "Q1", "F1"}
    assert data_rules - covered == set()


def test_g12_read_only_lock_on_group_is_lifted_first_but_lock_on_resource_does_not_count() -> None:
    st = res("rg-a", "Microsoft.Storage/storageAccounts", "st")
    locked = assess_resources([st], locks=[lock(group_scope("rg-a"))])
    [found] = of_rule(locked, "G12")
    assert found.message == "ReadOnly lock freeze on group rg-a blocks the move."
    assert locked.groups[0].verdict == "ready_after_fixes"
    assert found.fix is not None and found.fix.action is FixAction.LIFT_READ_ONLY_LOCK
    assert found.fix.command.posix() == f"az lock delete --name freeze --resource-group rg-a --subscription {SRC}"
    assert found.fix.after.posix() == ("az lock create --name freeze --lock-type ReadOnly --resource-group rg-a "
                               f"--subscription {SRC}")
    on_resource = assess_resources([st], locks=[lock(st.id)])
    assert of_rule(on_resource, "G12") == []
    cannot_delete = assess_resources([st], locks=[lock(group_scope("rg-a"), level="CanNotDelete")])
    assert of_rule(cannot_delete, "G12") == []


def test_g4_fires_per_group_and_namespace_not_registered_in_target() -> None:
    resources = [res("rg-web", "Microsoft.Web/sites", "web"), res("rg-data", "Microsoft.Storage/storageAccounts", "st")]
    a = assess_resources(resources, unregistered=["Microsoft.Web"])
    hits = of_rule(a, "G4")
    assert [(f.resource_group, f.severity) for f in hits] == [("rg-web", Severity.FIX_FIRST)]
    assert "Microsoft.Web" in hits[0].message
    assert of_rule(assess_resources(resources), "G4") == []


def test_g14_more_than_800_top_level_resources_in_a_group() -> None:
    many = [res("rg-big", "Microsoft.Network/networkSecurityGroups", f"nsg{i}") for i in range(801)]
    assert [f.severity for f in of_rule(assess_resources(many), "G14")] == [Severity.BLOCKER]
    assert of_rule(assess_resources(many[:800]), "G14") == []


def test_g10_names_both_sides_and_the_groups_to_consolidate() -> None:
    a = assess_resources(_split_vm() + [res("rg-other", "Microsoft.Storage/storageAccounts", "st")])
    by_name = {g.name: g for g in a.groups}
    assert by_name["rg-app"].consolidate_with == ("rg-net",)
    assert by_name["rg-net"].consolidate_with == ("rg-app",)
    assert by_name["rg-other"].consolidate_with == ()
    assert {g: by_name[g].verdict for g in by_name} == {
        "rg-app": "ready_after_fixes", "rg-net": "ready_after_fixes", "rg-other": "ready"}
    assert [f.message for f in of_rule(a, "G10")] == ["app-nic depends on vnet in group rg-net."]


def test_app_service_split_is_fixed_by_moving_back_to_the_group_it_was_created_in() -> None:
    a = assess_resources(_site("rg-a", "rg-b", created_in="rg-b"))
    # The plan's group is not ready on its own: Azure does not move a plan that hosts apps elsewhere.
    assert {g.name: (g.verdict, g.consolidate_with) for g in a.groups} == {
        "rg-a": ("ready_after_fixes", ()), "rg-b": ("ready_after_fixes", ())}
    assert of_rule(a, "G10") == []
    site = rid("rg-a", "Microsoft.Web/sites", "web")
    found = of_rule(a, "A1")
    assert [(f.resource_group, f.fix.action if f.fix else None) for f in found] == [
        ("rg-a", FixAction.MOVE_APP_SERVICE_BACK), ("rg-b", FixAction.MOVE_APP_SERVICE_BACK)]
    commands = {f.fix.command.posix() for f in found if f.fix}
    assert commands == {f"az resource move --destination-group rg-b --ids {site}"}
    assert all(f.fix and f.fix.resource_ids == (site,) for f in found)
    assert "hosts web, which is in group rg-a" in found[1].message


def test_app_service_split_without_webspace_says_how_to_find_the_original_group() -> None:
    a = assess_resources(_site("rg-a", "rg-b"))
    assert [(f.resource_group, f.severity, f.fix.action if f.fix else None) for f in of_rule(a, "A1")] == [
        ("rg-a", Severity.FIX_FIRST, FixAction.MANUAL), ("rg-b", Severity.FIX_FIRST, FixAction.MANUAL)]
    assert {g.name: g.verdict for g in a.groups} == {"rg-a": "ready_after_fixes", "rg-b": "ready_after_fixes"}


def test_n1_standard_ip_is_disassociated_first_and_moves_itself() -> None:
    pip = res("rg-a", PIP, "pip", sku={"name": "Standard"})
    net = vnet("rg-a")
    a = assess_resources([pip, net, nic("rg-a", "nic", net, pip)])
    [found] = of_rule(a, "N1")
    assert (found.resource_id.rsplit("/", 1)[-1], found.severity) == ("nic", Severity.FIX_FIRST)
    assert found.fix is not None and found.fix.action is FixAction.DISASSOCIATE_PUBLIC_IP
    assert found.fix.command.posix() == ("az network nic ip-config update -g rg-a --nic-name nic -n ipconfig1 "
                                 "--remove publicIpAddress")
    assert "networking-move-limitations#dependent-resources" in found.source
    assert a.groups[0].verdict == "ready_after_fixes"
    unattached = assess_resources([pip])
    assert of_rule(unattached, "N1") == [] and unattached.groups[0].verdict == "ready"


def test_kv1_names_the_step_for_each_kind_of_disk_encryption() -> None:
    [ade] = of_rule(assess_resources(_ade_vault(True)), "KV1")
    assert ade.fix is not None
    assert ade.fix.command.posix() == "az vm encryption disable -g rg-a -n vm-ade --volume-type all"
    [cmk] = of_rule(assess_resources(_cmk(True)), "KV1")
    assert cmk.fix is not None and cmk.fix.command.posix() == (
        "az disk update -g rg-a -n data-disk --encryption-type EncryptionAtRestWithPlatformKey")
    assert "move-support-resources#microsoftkeyvault" in cmk.source


def test_a1_certificates_managed_and_uploaded() -> None:
    managed = res("rg-a", "Microsoft.Web/certificates", "managed", props={"canonicalName": "www.contoso.com"})
    uploaded = res("rg-a", "Microsoft.Web/certificates", "uploaded", props={"thumbprint": "AB12"})
    a = assess_resources([managed, uploaded])
    assert sorted((f.resource_id.rsplit("/", 1)[-1], f.severity) for f in of_rule(a, "A1")) == [
        ("managed", Severity.FIX_FIRST), ("uploaded", Severity.WARNING)]


def test_every_non_empty_group_gets_the_move_window_and_id_change_notes() -> None:
    a = assess_resources([res("rg-a", DISK, "d"), res("rg-b", DISK, "e"), res("rg-b", DISK, "f")])
    assert [(f.resource_group, f.severity) for f in of_rule(a, "G15")] == [
        ("rg-a", Severity.INFO), ("rg-b", Severity.INFO)]
    assert [f.message for f in of_rule(a, "G17")] == [
        "The 1 resource(s) of group rg-a get new ids after the move.",
        "The 2 resource(s) of group rg-b get new ids after the move."]
