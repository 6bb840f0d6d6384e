"""The dependency graph reads references from ARM properties and finds groups to consolidate."""

from __future__ import annotations

from migration.assessment.dependencies import build_graph, destinations, parent_id, top_level_id
from tests.support.builders import ref, res, rid


def test_ids_top_level_and_parent() -> None:
    db = rid("rg", "Microsoft.Sql/servers/databases", "sql/db")
    assert top_level_id(db) == rid("rg", "Microsoft.Sql/servers", "sql")
    assert parent_id(db) == rid("rg", "Microsoft.Sql/servers", "sql")
    assert parent_id(rid("rg", "Microsoft.Sql/servers", "sql")) is None


def test_vm_nic_subnet_pip_nsg_chain() -> None:
    nsg = res("rg-net", "Microsoft.Network/networkSecurityGroups", "nsg")
    vnet = res("rg-net", "Microsoft.Network/virtualNetworks", "vnet")
    pip = res("rg-app", "Microsoft.Network/publicIPAddresses", "pip")
    nic = res("rg-app", "Microsoft.Network/networkInterfaces", "nic", props={
        "networkSecurityGroup": ref(nsg),
        "ipConfigurations": [{"properties": {"subnet": {"id": vnet.id + "/subnets/app"},
                                             "publicIPAddress": ref(pip)}}]})
    disk = res("rg-app", "Microsoft.Compute/disks", "os")
    vm = res("rg-app", "Microsoft.Compute/virtualMachines", "vm", props={
        "networkProfile": {"networkInterfaces": [ref(nic)]}, "storageProfile": {"osDisk": {"managedDisk": ref(disk)}}})
    other = res("rg-x", "Microsoft.Storage/storageAccounts", "st")
    graph = build_graph([nsg, vnet, pip, nic, disk, vm, other])
    assert {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1], e.kind) for e in graph.edges} == {
        ("vm", "nic", "nic"), ("vm", "os", "disk"), ("nic", "vnet", "vnet"), ("nic", "pip", "pip"),
        ("nic", "nsg", "nsg")}
    assert {(e.source.rsplit("/", 1)[-1], e.target.rsplit("/", 1)[-1]) for e in graph.split_edges()} == {
        ("nic", "vnet"), ("nic", "nsg")}
    assert graph.consolidation() == {"rg-app": ("rg-net",), "rg-net": ("rg-app",)}


def test_what_must_move_together_is_a_set_of_resources_not_of_groups() -> None:
    a = res("rg-a", "Microsoft.Compute/disks", "d")
    b = res("rg-b", "Microsoft.Compute/virtualMachines", "vm", props={
        "storageProfile": {"osDisk": {"managedDisk": ref(a)}},
        "networkProfile": {"networkInterfaces": [{"id": rid("rg-gone", "Microsoft.Network/networkInterfaces", "n")}]}})
    c = res("rg-c", "Microsoft.Compute/availabilitySets", "set")
    b2 = res("rg-b", "Microsoft.Compute/virtualMachines", "vm2", props={"availabilitySet": ref(c)})
    graph = build_graph([a, b, c, b2])
    # vm needs its disk, vm2 its availability set: two sets, although both VMs share rg-b.
    assert {frozenset(m) for m in graph.components} == {frozenset({a.id, b.id}), frozenset({c.id, b2.id})}
    assert graph.consolidation() == {"rg-a": ("rg-b",), "rg-b": ("rg-a", "rg-c"), "rg-c": ("rg-b",)}
    assert graph.together_with(b.id.upper()) == (a.id, b.id)


def test_each_set_goes_to_its_best_ranked_group_picked_first_then_most_then_by_name() -> None:
    ids = [rid("rg-b", "Microsoft.Compute/disks", "d1"), rid("rg-b", "Microsoft.Compute/disks", "d2"),
           rid("rg-a", "Microsoft.Compute/virtualMachines", "vm"), rid("rg-C", "Microsoft.Compute/availabilitySets", "s")]
    assert destinations([ids]) == ["rg-b"]  # most of the set
    assert destinations([ids], picked=["rg-a", "RG-C"]) == ["rg-a"]  # a picked group, even holding fewer; tie by name
    assert destinations([ids], picked=["rg-c"]) == ["rg-C"]  # named as listed
    assert destinations([ids], picked=["rg-other"]) == ["rg-b"]  # none of the set's groups picked: the rule alone
    # Two sets between the same two groups: one ranking, so both go the same way (never one each way).
    other = [rid("rg-a", "Microsoft.Compute/disks", "d3"), rid("rg-a", "Microsoft.Compute/disks", "d4"),
             rid("rg-b", "Microsoft.Compute/virtualMachines", "vm2")]
    assert destinations([ids, other]) == ["rg-a", "rg-a"]  # rg-a holds 3 of the sets' resources, rg-b 3: by name
    assert destinations([ids, other], picked=["rg-b"]) == ["rg-b", "rg-b"]


def test_web_app_plan_and_certificate_by_thumbprint() -> None:
    plan = res("rg-web", "Microsoft.Web/serverfarms", "plan")
    cert = res("rg-certs", "Microsoft.Web/certificates", "cert", props={"thumbprint": "ab12"})
    site = res("rg-web", "Microsoft.Web/sites", "web", props={
        "serverFarmId": plan.id, "hostNameSslStates": [{"name": "www", "thumbprint": "AB12"}]})
    graph = build_graph([plan, cert, site])
    assert sorted((e.target.rsplit("/", 1)[-1], e.kind) for e in graph.edges) == [("cert", "web"), ("plan", "web")]
    assert graph.consolidation() == {}  # App Service cannot be consolidated (rule A1)
