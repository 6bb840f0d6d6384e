"""Planning an app's VNet integration and a subnet's NAT gateway: removed before the move, the integration
added again after on the new ids; what stays with the engineer (a private endpoint, a Bastion host, a NAT
gateway in the target, Azure Disk Encryption) says why, and holds its group when the move needs it."""

from __future__ import annotations

from migration.fixes.choice import chosen_fixes, movable_with
from migration.fixes.families import command
from migration.fixes.plan import PlanFacts, plan_fixes
from migration.model import Finding, Fix, FixAction, GroupAssessment, GroupMove, Lock, Resource, Severity, Verdict
from migration.model.plan import ChosenFix, StepKind
from tests.support.commands import script

S, T = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
G, TG = f"/subscriptions/{S}/resourceGroups", f"/subscriptions/{T}/resourceGroups"
SITE = f"{G}/rg-web/providers/Microsoft.Web/sites/app-1"
VNET = f"{G}/rg-web/providers/Microsoft.Network/virtualNetworks/vnet-web"
HUB = f"{G}/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"
NAT = f"{G}/rg-nat/providers/Microsoft.Network/natGateways/nat-1"
BASTION = f"{G}/rg-hub/providers/Microsoft.Network/bastionHosts/bastion-1"
INTEGRATE = "az webapp vnet-integration remove -g rg-web -n app-1"


def _res(rid: str, type_: str, **props: object) -> Resource:
    parts = rid.strip("/").split("/")
    return Resource(rid, parts[-1], type_, "westeurope", S, parts[3], properties=dict(props))


def _site(subnet: str) -> Resource:
    return _res(SITE, "Microsoft.Web/sites", virtualNetworkSubnetId=subnet)


def _vnet(rid: str = VNET) -> Resource:
    return _res(rid, "Microsoft.Network/virtualNetworks", subnets=[
        {"name": "apps", "properties": {"addressPrefix": "10.0.1.0/24"}},
        {"name": "egress", "properties": {"addressPrefix": "10.0.2.0/24", "natGateway": {"id": NAT}}}])


def _group(name: str, *fixes: tuple[FixAction, tuple[str, ...], str]) -> GroupAssessment:
    return GroupAssessment(name, Verdict.READY_AFTER_FIXES, (), tuple(Finding(
        "X", Severity.FIX_FIRST, "m", "r", "s", resource_group=name,
        fix=Fix(action=a, resource_ids=ids, command=script(c), source="s")) for a, ids, c in fixes))


def _move(name: str, *ids: str) -> GroupMove:
    return GroupMove(name, f"{TG}/{name}-csp", "westeurope", ids)


def test_vnet_integration_comes_off_before_and_back_after_on_the_moved_app_and_subnet():
    web = _group("rg-web", (FixAction.REMOVE_APP_NETWORKING, (SITE,), INTEGRATE))
    chosen = chosen_fixes([web])
    assert movable_with(web, chosen)
    facts = PlanFacts(S, T, (_move("rg-web", SITE, VNET),), resources=(_site(f"{VNET}/subnets/apps"), _vnet()))
    plan = plan_fixes(facts, chosen)
    remove, add = plan.steps
    assert (remove.kind, remove.phase, add.kind, add.phase) == (
        StepKind.REMOVE_VNET_INTEGRATION, "before", StepKind.ADD_VNET_INTEGRATION, "after")
    assert "cannot reach private resources until it is added again" in remove.text
    assert command(remove).posix() == ("az webapp vnet-integration remove --resource-group rg-web --name app-1 "
                              f"--subscription {S}")
    assert add.arg("site") == f"{TG}/rg-web-csp/providers/Microsoft.Web/sites/app-1"
    assert add.arg("subnet") == f"{TG}/rg-web-csp/providers/Microsoft.Network/virtualNetworks/vnet-web/subnets/apps"
    assert (add.arg("old_site"), add.arg("old_subnet")) == (SITE, f"{VNET}/subnets/apps")
    # Added again even when the move failed (where the app then is): it waits for the move to end, not succeed.
    assert (add.after, add.ended) == ((remove.key,), ("move:rg-web",))
    assert f"--subscription {T} --vnet {TG}/rg-web-csp/providers/Microsoft.Network/virtualNetworks/vnet-web " \
           "--subnet apps" in command(add).posix()
    assert plan.manual == ()


def test_a_network_that_stays_keeps_its_subnet_and_a_network_moving_apart_is_waited_for():
    stays = plan_fixes(PlanFacts(S, T, (_move("rg-web", SITE),), resources=(_site(f"{HUB}/subnets/apps"),)),
                       [ChosenFix("rg-web", "remove_app_networking", (SITE,), script(INTEGRATE))])
    assert stays.steps[1].arg("subnet") == f"{HUB}/subnets/apps"  # Azure integrates across subscriptions
    apart = plan_fixes(PlanFacts(S, T, (_move("rg-web", SITE), _move("rg-hub", HUB)),
                                 resources=(_site(f"{HUB}/subnets/apps"),)),
                       [ChosenFix("rg-web", "remove_app_networking", (SITE,), script(INTEGRATE))])
    assert apart.steps[1].ended == ("move:rg-web", "move:rg-hub")
    assert apart.steps[1].arg("subnet").startswith(f"{TG}/rg-hub-csp/")


def test_removing_the_integration_waits_for_the_lock_lift_and_the_lock_waits_for_its_return():
    lock = Lock(f"{G}/rg-web/providers/Microsoft.Authorization/locks/ro", "ro", "ReadOnly", f"{G}/rg-web")
    chosen = [ChosenFix("rg-web", "lift_read_only_lock", (lock.id,), script("az lock delete")),
              ChosenFix("rg-web", "remove_app_networking", (SITE,), script(INTEGRATE))]
    facts = PlanFacts(S, T, (_move("rg-web", SITE),), resources=(_site(f"{VNET}/subnets/apps"),), locks=(lock,))
    steps = {s.kind: s for s in plan_fixes(facts, chosen).steps}
    assert steps[StepKind.LIFT_LOCK].key in steps[StepKind.REMOVE_VNET_INTEGRATION].after
    restore = [s for s in plan_fixes(facts, chosen).steps if s.kind is StepKind.RESTORE_LOCK
               and s.arg("scope").startswith(TG)]
    assert restore and steps[StepKind.ADD_VNET_INTEGRATION].key in restore[0].ended


def test_a_private_endpoint_stays_with_the_engineer_and_holds_its_group():
    command = f"az network private-endpoint delete --ids {G}/rg-web/providers/Microsoft.Network/privateEndpoints/pe"
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-web", SITE),), resources=(_site(""),)),
                      [ChosenFix("rg-web", "remove_app_networking", (SITE,), script(command))])
    assert plan.steps == ()
    (held,) = plan.manual
    assert held.holds and held.command.posix() == command
    assert "new private IP" in held.reason and "stays out of this plan" in held.reason


def test_a_nat_gateway_comes_off_its_subnet_goes_back_if_it_stayed_and_one_in_the_target_is_left_to_you():
    nat_fix = (FixAction.DETACH_SUBNET_RESOURCE, (VNET, NAT), "az network vnet subnet update ... --remove natGateway")
    web = _group("rg-web", nat_fix)
    chosen = chosen_fixes([web])
    assert movable_with(web, chosen)
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-web", VNET),), resources=(_vnet(),)), chosen)
    detach, back = plan.steps
    assert (detach.kind, detach.phase, detach.arg("subnet"), detach.arg("nat")) == (
        StepKind.DETACH_NAT_GATEWAY, "before", "egress", NAT)
    assert "fixed outbound IP is gone" in detach.text
    assert command(detach).posix().endswith("--name egress --subscription " + S + " --remove natGateway")
    # Put back where the network stayed if its move did not happen, once that move ended (moved or not).
    assert (back.kind, back.phase, back.after, back.ended) == (StepKind.REATTACH_NAT_GATEWAY, "after",
                                                               (detach.key,), ("move:rg-web",))
    assert "if the network did not move" in back.text
    assert command(back).posix().endswith(f"--name egress --subscription {S} --nat-gateway {NAT}")
    (later,) = plan.manual
    assert not later.holds and "new outbound address" in later.reason
    assert f"subnet update -g rg-web-csp --vnet-name vnet-web -n egress --subscription {T} --nat-gateway nat-1" \
           in later.command.posix() and "az network nat gateway create -g rg-web-csp -n nat-1" in later.command.posix()
    assert later.resource_ids == (f"{TG}/rg-web-csp/providers/Microsoft.Network/virtualNetworks/vnet-web/"
                                  "subnets/egress",)


def test_a_bastion_host_and_disk_encryption_stay_with_the_engineer_with_why():
    plan = plan_fixes(PlanFacts(S, T, (_move("rg-hub", HUB),), resources=(_vnet(HUB),)), [
        ChosenFix("rg-hub", "detach_subnet_resource", (HUB, BASTION),
                  script("az network bastion delete -g rg-hub -n b")),
        ChosenFix("rg-vm", "disable_disk_encryption", ("vm",), script("az vm encryption disable -g rg-vm -n vm"))])
    assert plan.steps == ()
    bastion, ade = plan.manual
    assert bastion.holds and "ends every Bastion session" in bastion.reason
    assert "Linux VM's OS disk" in ade.reason and "Key Vault in the target" in ade.reason
