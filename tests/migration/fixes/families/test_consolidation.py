"""Bringing split dependencies together: one destination group for each set of resources that must move
together, every member moved there, never two steps that undo each other."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migration.assessment.assess import assess
from migration.assessment.dependencies import build_graph
from migration.assessment.dryrun import planned_target_groups, top_level_ids
from migration.azure.gateway import ArmGateway
from migration.fixes.choice import pick_with_fixes
from migration.fixes.plan import PlanFacts, plan_fixes
from migration.model import Assessment, GroupMove, Resource
from migration.model.ids import group_of
from migration.model.plan import PlanStep, StepKind
from migration.planning.plan import plan_with_fixes
from sandbox import Sandbox
from tests.support.builders import DST, SRC, assess_resources, ref, res
from tests.support.sandbox import GatewayFactory, SandboxFactory

CONTOSO = "0c0a7050-0000-4000-8000-000000000001"
PAYG = "0c0a7050-5ab1-4000-8000-000000000001"
CSP = "0c0a7050-c5b1-4000-8000-000000000002"
SPLIT = {  # the VM in rg-app-split whose availability set and network are in rg-network-hub: one set
    "rg-app-split": ("nic-vm-split-1", "vm-split-1-osdisk", "vm-split-1"),
    "rg-network-hub": ("nsg-hub", "vnet-hub", "avset-app"),
}


def where_they_end(steps: Iterable[PlanStep], start: dict[str, str]) -> dict[str, str]:
    """Lower-case resource name -> its group once the in-subscription moves ran, checking on the way that no
    resource moves twice and that no two steps move in opposite directions."""
    now = dict(start)
    moved: set[str] = set()
    directions: set[tuple[str, str]] = set()
    for step in steps:
        if step.kind not in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK):
            continue
        source, destination = step.arg("source_group").lower(), step.arg("destination").lower()
        assert source != destination, f"{step.key} moves resources into the group they are in"
        assert (destination, source) not in directions, f"{step.key} undoes another step"
        directions.add((source, destination))
        for rid in step.arg("ids").split():
            name = rid.rsplit("/", 1)[-1].lower()
            assert name not in moved, f"{name} is moved twice"
            assert group_of(rid).lower() == now[name] == source, f"{step.key} moves {name} from where it is not"
            moved.add(name)
            now[name] = destination
    return now


@pytest.fixture
async def contoso(sandbox_factory: SandboxFactory, gateway_factory: GatewayFactory) -> tuple[Sandbox, ArmGateway]:
    sb = await sandbox_factory("contoso")
    return sb, gateway_factory(sb)


async def _plan(gw: ArmGateway, assessment: Assessment, picked: list[str]) -> tuple[list[str], list[PlanStep]]:
    by_name = {g.name: g for g in assessment.groups}
    groups, chosen, not_ready = pick_with_fixes(assessment.groups, [by_name[n] for n in picked])
    assert not_ready == []
    targets = {p.name: p for p in planned_target_groups(assessment, groups=[g.name for g in groups])}
    moves = tuple(GroupMove(g.name, targets[g.name].id, targets[g.name].location, tuple(top_level_ids(g)))
                  for g in groups)
    planned, plan = await plan_with_fixes(gw.for_tenant(CONTOSO), source_subscription_id=PAYG,
                                          target_subscription_id=CSP, groups=moves, chosen=chosen, plan_id="MR-1")
    return [g.source_group for g in planned], list(plan.steps)


@pytest.mark.parametrize(("picked", "destination"), [
    (["rg-app-split"], "rg-app-split"),  # never a group the engineer did not pick when a picked one will do
    (["rg-network-hub"], "rg-network-hub"),
    (["rg-app-split", "rg-network-hub"], "rg-app-split"),  # three members each: the first by name
])
async def test_the_split_vm_and_its_network_end_in_one_group_the_engineer_picked(
        contoso: tuple[Sandbox, ArmGateway], picked: list[str], destination: str) -> None:
    _, gw = contoso
    assessment = await assess(gw, tenant_id=CONTOSO, source_subscription_id=PAYG, target_subscription_id=CSP)
    planned, steps = await _plan(gw, assessment, picked)
    start = {r.name.lower(): r.resource_group.lower() for r in assessment.resources}
    end = where_they_end(steps, start)
    assert {end[n] for names in SPLIT.values() for n in names} == {destination}
    assert planned == [destination], "the emptied group drops out; the other one carries the whole set"
    regroup = [s for s in steps if s.kind is StepKind.CONSOLIDATE]
    assert len(regroup) == 1 and regroup[0].arg("source_group") != destination


# --------------------------------------------------------------------------- any dependency graph

_KINDS = ("Microsoft.Compute/virtualMachines", "Microsoft.Network/networkInterfaces", "Microsoft.Compute/disks",
          "Microsoft.Compute/availabilitySets", "Microsoft.Network/virtualNetworks",
          "Microsoft.Network/networkSecurityGroups")
# The references each type may hold: (what it references, where in its properties).
_REFERS = {
    "virtualmachines": (("disks", lambda r: {"storageProfile": {"osDisk": {"managedDisk": ref(r)}}}),
                        ("networkinterfaces", lambda r: {"networkProfile": {"networkInterfaces": [ref(r)]}}),
                        ("availabilitysets", lambda r: {"availabilitySet": ref(r)})),
    "networkinterfaces": (("virtualnetworks", lambda r: {"ipConfigurations": [{"name": "c", "properties": {
        "subnet": {"id": f"{r.id}/subnets/default"}}}]}),),
    "virtualnetworks": (("networksecuritygroups", lambda r: {"subnets": [{"name": "default", "properties": {
        "networkSecurityGroup": ref(r)}}]}),),
}


@st.composite
def _subscriptions(draw: st.DrawFn) -> tuple[list[Resource], list[str]]:
    """Resources of a few types in up to four groups, each referencing (at most one of each kind) others, and
    the groups the engineer picks."""
    count = draw(st.integers(2, 14))
    kinds = [draw(st.sampled_from(_KINDS)) for _ in range(count)]
    groups = [draw(st.sampled_from(("rg-a", "rg-b", "rg-c", "rg-d"))) for _ in range(count)]
    plain = [res(g, k, f"r{i}") for i, (g, k) in enumerate(zip(groups, kinds, strict=True))]
    out = []
    for r in plain:
        props: dict[str, object] = {}
        for kind, shape in _REFERS.get(r.type.rsplit("/", 1)[-1], ()):
            others = [o for o in plain if o.type.endswith("/" + kind)]
            if others and draw(st.booleans()):
                for key, value in shape(draw(st.sampled_from(others))).items():
                    props[key] = value
        out.append(res(r.resource_group, next(k for k in _KINDS if k.lower() == r.type), r.name, props=props))
    named = sorted(set(groups))
    picked = draw(st.lists(st.sampled_from(named), min_size=1, unique=True))
    return out, picked


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_subscriptions())
def test_any_split_set_ends_in_one_group_with_no_resource_moved_twice_and_no_step_undone(
        drawn: tuple[list[Resource], list[str]]) -> None:
    resources, picked = drawn
    assessment = assess_resources(resources)
    by_name = {g.name: g for g in assessment.groups}
    groups, chosen, _ = pick_with_fixes(assessment.groups, [by_name[n] for n in picked if n in by_name])
    moves = tuple(GroupMove(g.name, f"/subscriptions/{DST}/resourceGroups/{g.name}", "westeurope",
                            tuple(top_level_ids(g))) for g in groups)
    steps = plan_fixes(PlanFacts(SRC, DST, moves, resources=tuple(resources)), chosen).steps
    end = where_they_end(steps, {r.name.lower(): r.resource_group.lower() for r in resources})
    graph = build_graph(resources)
    involved = {g.name.lower() for g in groups}
    for members in graph.components:
        if not {group_of(i).lower() for i in members} & involved:
            continue  # no group of the plan has a part of it: nothing of it moves
        ends = {end[i.rsplit("/", 1)[-1].lower()] for i in members}
        assert len(ends) == 1, f"{members} ends split over {ends}"
        assert ends & {p.lower() for p in picked}, "a picked group of the set is its destination"
