"""The runner removes what Azure refuses to move (a workspace's Automation link, a SQL IaaS Agent
registration, a free managed certificate bound to a custom domain), moves, and makes each again at the new
ids, with one approval (in process, on the sandbox). A removal Azure refuses stops only its own group."""

from __future__ import annotations

from migration.execution.runner import MoveRunner
from migration.execution.workflow import Workflow
from migration.model import GroupState, NotFound, RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from tests.migration.fixes.test_runner import FAST
from tests.support.moves import approver_actor
from tests.support.sandbox import FABRIKAM
from tests.support.scenarios.services import (
    CERT,
    HOST,
    LINK,
    REGISTRATION,
    SITE,
    SQL_PROPERTIES,
    THUMBPRINT,
    services_scenario,
)
from tests.support.sigkill import plan_and_submit

PICKED = ("rg-ops", "rg-site")
KEEPER = "c3c3c3c3-0000-4000-8000-00000000cee9"  # a custom role: everything but deleting certificates


async def _run(workflow: Workflow, gateway, names: tuple[str, ...] = PICKED, request_id: str = "SVC1", **where: str):
    """Plan with every fix, approve, and run once: the request as it ended."""
    stored = await plan_and_submit(gateway, workflow, picked=names, request_id=request_id, **where)
    assert (await workflow.approve(stored.id, approver_actor)).changed
    assert await MoveRunner(workflow, gateway, config=FAST).run_once() == [stored.id]
    done = await workflow.get(stored.id)
    assert done is not None
    return done


def _new(rid: str, done) -> str:
    """An id of the source group's resource, in the group it moved to."""
    group = rid.split("/")[4]
    target = next(g.target_group_id for g in done.request.groups if g.source_group == group)
    return target + "/providers/" + rid.split("/providers/", 1)[1]


async def test_one_approval_unlinks_unregisters_and_deletes_moves_and_makes_each_again_at_the_new_ids(
        workflow: Workflow, sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory(services_scenario(), lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    done = await _run(workflow, gateway)
    assert done.state is RequestState.SUCCEEDED, [(g.source_group, g.state, g.error) for g in done.request.groups]
    kinds = {s.kind: done.step_record(s.key).status for s in done.fix_steps}
    assert kinds == {**{k: StepStatus.SUCCEEDED for k in kinds}}
    assert {StepKind.UNLINK_WORKSPACE, StepKind.RELINK_WORKSPACE, StepKind.DELETE_SQL_REGISTRATION,
            StepKind.REGISTER_SQL_VM, StepKind.DELETE_MANAGED_CERTIFICATE,
            StepKind.RECREATE_MANAGED_CERTIFICATE} <= set(kinds)
    # The registration and the certificate never went into a move request: they were deleted before.
    sent = {i.lower() for b in done.batches for i in b.resource_ids}
    assert REGISTRATION.lower() not in sent and CERT.lower() not in sent

    # Read back from Azure: the link, the registration and the certificate exist at the new scopes...
    azure = gateway.for_tenant(FABRIKAM)
    link = await azure.resources.get_resource(_new(LINK, done))
    assert link.properties["resourceId"] == _new(SQL_PROPERTIES["virtualMachineResourceId"], done).replace(
        "Microsoft.Compute/virtualMachines/vm-sql", "Microsoft.Automation/automationAccounts/aa-ops")
    registration = await azure.resources.get_resource(_new(REGISTRATION, done))
    assert registration.properties["virtualMachineResourceId"] == _new(SQL_PROPERTIES["virtualMachineResourceId"],
                                                                        done)
    assert (registration.properties["sqlServerLicenseType"], registration.properties["sqlManagement"],
            registration.properties["sqlImageSku"]) == ("AHUB", "Full", "Enterprise")
    cert = await azure.resources.get_resource(_new(CERT, done))
    assert cert.properties["canonicalName"] == HOST
    assert cert.properties["serverFarmId"] == _new(SITE, done).replace("sites/app-site", "serverfarms/plan-site")
    binding = await azure.resources.get_resource(f"{_new(SITE, done)}/hostNameBindings/{HOST}")
    assert (binding.properties["sslState"], binding.properties["thumbprint"]) == ("SniEnabled",
                                                                                  cert.properties["thumbprint"])
    # ... and not at the old ones.
    for gone in (LINK, REGISTRATION, CERT):
        try:
            await azure.resources.get_resource(gone)
        except NotFound:
            continue
        raise AssertionError(f"{gone} is still there")
    writes = sandbox.stats()["applied_by_operation"]
    assert (writes["LinkedServices_Delete"], writes["LinkedServices_CreateOrUpdate"]) == (1, 1)
    assert (writes["SqlVirtualMachines_Delete"], writes["SqlVirtualMachines_CreateOrUpdate"]) == (1, 1)
    assert (writes["Certificates_Delete"], writes["Certificates_CreateOrUpdate"]) == (1, 1)
    assert writes["WebApps_CreateOrUpdateHostNameBinding"] == 2  # unbound before, bound again after


async def test_a_role_without_the_certificate_delete_fails_that_step_only_and_stops_only_its_group(
        workflow: Workflow, sandbox_factory):
    """The partner's app may do everything in the source but delete certificates: waiting for access would
    never end, so the deletion fails with its command, its group stays, and the other group moves on."""
    from tests.support.identities import APP, PARTNER, SECRET, app_gateway
    from tests.support.sandbox import CSP, PAYG

    scenario = services_scenario()
    scenario["apps"] = [{"clientId": APP, "homeTenantId": PARTNER, "secrets": [{"value": SECRET}]}]
    scenario["tenants"].append({"id": PARTNER, "displayName": "Partner", "domains": ["partner.onmicrosoft.com"]})
    fabrikam = next(t for t in scenario["tenants"] if t["id"] == FABRIKAM)
    fabrikam["consentedApps"] = [APP]
    fabrikam["roleDefinitions"] = [{"id": KEEPER, "roleName": "Certificate keeper", "actions": ["*"],
                                    "notActions": ["Microsoft.Web/certificates/delete"],
                                    "assignableScopes": [f"/subscriptions/{PAYG}"]}]
    fabrikam["roleAssignments"] = [{"appId": APP, "role": KEEPER, "scope": f"/subscriptions/{PAYG}"},
                                   {"appId": APP, "role": "Owner", "scope": f"/subscriptions/{CSP}"}]
    sandbox = await sandbox_factory(scenario, lro_seconds=0.1)
    gateway = app_gateway(sandbox)
    try:
        done = await _run(workflow, gateway)
    finally:
        await gateway.close()
    assert done.access_wait is None and done.report_sent
    groups = {g.source_group: g for g in done.request.groups}
    assert groups["rg-ops"].state is GroupState.SUCCEEDED
    assert groups["rg-site"].state is GroupState.SKIPPED
    assert "its command is in the move report" in groups["rg-site"].error.message
    assert done.state is RequestState.PARTIALLY_SUCCEEDED
    by_kind = {s.kind: done.step_record(s.key) for s in done.fix_steps}
    failed = by_kind[StepKind.DELETE_MANAGED_CERTIFICATE]
    assert failed.status is StepStatus.FAILED and failed.error.code == "AuthorizationFailed"
    assert by_kind[StepKind.RECREATE_MANAGED_CERTIFICATE].status is StepStatus.SKIPPED
    assert by_kind[StepKind.RELINK_WORKSPACE].status is StepStatus.SUCCEEDED
    # Still there, in the group that did not move, and bound again: HTTPS on the host name kept working.
    assert sandbox.world.resource(CERT) is not None
    states = sandbox.world.resource(SITE).properties["hostNameSslStates"]
    assert [(x["name"], x["sslState"], x.get("thumbprint")) for x in states] == [(HOST, "SniEnabled", THUMBPRINT)]


async def test_a_delete_protection_lock_is_lifted_only_around_the_deletions_it_protects(
        workflow: Workflow, sandbox_factory, gateway_factory):
    """test-small's subscription carries a CanNotDelete lock, which refuses every deletion below it: it is
    lifted just before the deletions and put back as soon as they ended, before the moves end."""
    sandbox = await sandbox_factory(services_scenario(), lro_seconds=0.1)
    done = await _run(workflow, gateway_factory(sandbox))
    trail = [e.detail["step"] for e in await workflow.audit_trail(done.id) if e.action == "step"]
    lift = next(s.key for s in done.fix_steps if s.kind is StepKind.LIFT_LOCK)
    back = next(s for s in done.fix_steps if s.kind is StepKind.RESTORE_LOCK)
    deletions = [s.key for s in done.fix_steps if s.kind in (StepKind.UNLINK_WORKSPACE,
                                                               StepKind.DELETE_SQL_REGISTRATION,
                                                               StepKind.DELETE_MANAGED_CERTIFICATE)]
    assert back.arg("level") == "CanNotDelete" and set(back.ended) == set(deletions)
    assert trail.index(lift) < min(map(trail.index, deletions)) <= max(map(trail.index, deletions)) < \
        trail.index(back.key)
    assert [lk["name"] for lk in sandbox.world.sub(done.request.source_subscription_id).locks] == ["keep-sub"]


async def test_a_lock_on_the_certificate_itself_is_lifted_for_its_deletion_and_put_on_the_new_one(
        workflow: Workflow, sandbox_factory, gateway_factory):
    scenario = services_scenario()
    site = next(g for s in scenario["subscriptions"] for g in s["resourceGroups"] if g["name"] == "rg-site")
    next(r for r in site["resources"] if r["name"] == "www-cert")["locks"] = [
        {"name": "keep-cert", "level": "CanNotDelete", "notes": "Shop certificate"}]
    sandbox = await sandbox_factory(scenario, lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    done = await _run(workflow, gateway)
    assert done.state is RequestState.SUCCEEDED
    assert {done.step_record(s.key).status for s in done.fix_steps} == {StepStatus.SUCCEEDED}
    locks = {(lk.scope.lower(), lk.name, lk.level, lk.notes)
             for lk in await gateway.for_tenant(FABRIKAM).locks.list_locks(done.request.target_subscription_id)}
    assert (_new(CERT, done).lower(), "keep-cert", "CanNotDelete", "Shop certificate") in locks


CONTOSO = {"tenant": "0c0a7050-0000-4000-8000-000000000001", "source": "0c0a7050-5ab1-4000-8000-000000000001",
           "target": "0c0a7050-c5b1-4000-8000-000000000002"}


async def test_a_certificate_bound_to_an_app_moved_back_to_its_plan_is_bound_again_where_the_app_lands(
        workflow: Workflow, sandbox_factory, gateway_factory):
    """Contoso's API app was moved away from the group it was created in (where its plan and free
    certificate are): it goes back first, then the certificate is unbound from it there, deleted, and after
    the move issued again and bound to the app in its new group."""
    contoso = CONTOSO["tenant"]
    sandbox = await sandbox_factory("contoso", lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    done = await _run(workflow, gateway, ("rg-appsvc-api",), "SVC3", **CONTOSO)
    assert [g.source_group for g in done.request.groups] == ["rg-appsvc-plans"]  # the app moved back there
    assert done.state is RequestState.SUCCEEDED, done
    (recreate,) = [s for s in done.fix_steps if s.kind is StepKind.RECREATE_MANAGED_CERTIFICATE]
    target = done.request.groups[0].target_group_id
    app = f"{target}/providers/Microsoft.Web/sites/app-contoso-api"
    azure = gateway.for_tenant(contoso)
    cert = await azure.resources.get_resource(recreate.arg("certificate"))
    binding = await azure.resources.get_resource(f"{app}/hostNameBindings/api.contoso.com")
    assert recreate.arg("certificate").startswith(target + "/providers/Microsoft.Web/certificates/")
    assert binding.properties["thumbprint"] == cert.properties["thumbprint"] != "5F3A1C9B7E"


async def test_a_workspace_in_a_read_only_group_is_unlinked_once_the_lock_is_lifted_and_linked_again_after(
        workflow: Workflow, sandbox_factory, gateway_factory):
    """Contoso's rg-locked: a ReadOnly lock (which refuses the unlinking too) and a workspace linked to the
    Automation account beside it. The lock is lifted, the link removed, the group moved, the link made again
    between the moved workspace and the moved account, and the lock put back on both groups."""
    sandbox = await sandbox_factory("contoso", lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    done = await _run(workflow, gateway, ("rg-locked",), "SVC4", **CONTOSO)
    assert done.state is RequestState.SUCCEEDED, done
    (relink,) = [s for s in done.fix_steps if s.kind is StepKind.RELINK_WORKSPACE]
    target = done.request.groups[0].target_group_id
    link = await gateway.for_tenant(CONTOSO["tenant"]).resources.get_resource(relink.arg("link"))
    assert relink.arg("link").startswith(target + "/providers/Microsoft.OperationalInsights/workspaces/law-contoso/")
    assert link.properties["resourceId"] == f"{target}/providers/Microsoft.Automation/automationAccounts/aa-contoso"
    locks = {(lk.scope.lower(), lk.name) for side in ("source", "target")
             for lk in await gateway.for_tenant(CONTOSO["tenant"]).locks.list_locks(CONTOSO[side])}
    assert {(target.lower(), "finance-freeze"),
            (f"/subscriptions/{CONTOSO['source']}/resourcegroups/rg-locked", "finance-freeze")} <= locks


async def test_when_azure_refuses_the_moves_each_removal_is_undone_where_it_was(workflow: Workflow,
                                                                                sandbox_factory, gateway_factory):
    """Azure's validation refuses both groups after the removals (for reasons of its own): nothing moves, and
    the link, the registration and the certificate (bound again) come back where they were, instead of
    leaving the customer without them."""
    scenario = services_scenario()
    for group in (g for s in scenario["subscriptions"] for g in s["resourceGroups"] if g["name"] in PICKED):
        group["resources"].append({"name": f"st{group['name'][3:]}x", "type": "Microsoft.Storage/storageAccounts",
                                   "outcome": {"validate": {"code": "StorageMoveBlocked", "message": "Not now."}}})
    sandbox = await sandbox_factory(scenario, lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    done = await _run(workflow, gateway)
    assert done.state is RequestState.FAILED
    assert {g.state for g in done.request.groups} == {GroupState.FAILED}
    assert {done.step_record(s.key).status for s in done.fix_steps} == {StepStatus.SUCCEEDED}
    azure = gateway.for_tenant(FABRIKAM)
    link = await azure.resources.get_resource(LINK)
    assert link.properties["resourceId"] == SQL_PROPERTIES["virtualMachineResourceId"].replace(
        "Microsoft.Compute/virtualMachines/vm-sql", "Microsoft.Automation/automationAccounts/aa-ops")
    registration = await azure.resources.get_resource(REGISTRATION)
    assert registration.properties["virtualMachineResourceId"] == SQL_PROPERTIES["virtualMachineResourceId"]
    cert = await azure.resources.get_resource(CERT)
    binding = await azure.resources.get_resource(f"{SITE}/hostNameBindings/{HOST}")
    assert (binding.properties["sslState"], binding.properties["thumbprint"]) == ("SniEnabled",
                                                                                  cert.properties["thumbprint"])
