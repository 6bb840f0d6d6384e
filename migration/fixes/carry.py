"""Carrying out one step of a move plan's fixes or follow-through in Azure, and finding out whether a step
that was started before a crash already took effect (so a resumed plan never does a step twice).

Every step is one or a few ARM calls through the gateway; each is written so that a second run after a
crash finds the work done (`already_done`) instead of repeating it.
"""

from __future__ import annotations

import asyncio
import json

from migration.azure.ports import AzureGateway
from migration.model import ArmError, NotFound, Peering, Resource
from migration.model.plan import PlanStep, StepKind

_ALREADY = {"RoleAssignmentExists"}
_MOVE_IN_PROGRESS = "ResourceMoveInProgress"
_BUSY_RETRY_SECONDS = 1.0
_BUSY_LIMIT_SECONDS = 5 * 3600  # Azure holds groups for up to 4 hours


def _sub(arm_id: str) -> str:
    return arm_id.strip("/").split("/")[1]


def _group(arm_id: str) -> str:
    return arm_id.strip("/").split("/")[3]


def _peering(step: PlanStep) -> Peering:
    return Peering(vnet_id=step.arg("vnet"), name=step.arg("name"), remote_vnet_id=step.arg("remote"),
                   allow_virtual_network_access=step.arg("allow_access", "true") == "true",
                   allow_forwarded_traffic=step.arg("allow_forwarded") == "true",
                   allow_gateway_transit=step.arg("allow_gateway_transit") == "true",
                   use_remote_gateways=step.arg("use_remote_gateways") == "true")


async def carry_out(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    """Do the step in Azure. Raises `ArmError` (the step failed) or `TenantAccessDenied` (wait for access)."""
    kind = step.kind
    if kind is StepKind.LIFT_LOCK:
        await gateway.delete_lock(step.arg("scope"), name=step.arg("name"), tenant_id=tenant_id)
    elif kind is StepKind.RESTORE_LOCK:
        await gateway.create_lock(step.arg("scope"), name=step.arg("name"), level=step.arg("level"),
                                  notes=step.arg("notes") or None, tenant_id=tenant_id)
    elif kind is StepKind.REGISTER_PROVIDER:
        await gateway.register_provider(step.arg("subscription"), step.arg("namespace"), tenant_id=tenant_id)
    elif kind in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK):
        await _regroup(gateway, step, tenant_id=tenant_id)
    elif kind is StepKind.DISASSOCIATE_IP:
        await gateway.set_public_ip(step.arg("nic"), ip_configuration=step.arg("ipconfig"), public_ip_id=None,
                                    tenant_id=tenant_id)
    elif kind is StepKind.REASSOCIATE_IP:
        await gateway.set_public_ip(step.arg("nic"), ip_configuration=step.arg("ipconfig"),
                                    public_ip_id=step.arg("ip"), tenant_id=tenant_id)
    elif kind is StepKind.DELETE_PEERING:
        await gateway.delete_peering(step.arg("vnet"), step.arg("name"), tenant_id=tenant_id)
    elif kind is StepKind.RECREATE_PEERING:
        await gateway.create_peering(_peering(step), tenant_id=tenant_id)
    elif kind is StepKind.TAG_GROUP:
        group = step.arg("group")
        await gateway.update_group_tags(_sub(group), _group(group), tags=json.loads(step.arg("tags") or "{}"),
                                        tenant_id=tenant_id)
    elif kind is StepKind.ADD_ASSIGNABLE_SCOPE:
        await gateway.add_assignable_scope(step.arg("role"), scope=step.arg("scope"), tenant_id=tenant_id)
    elif kind in SERVICE_STEPS:
        await SERVICE_STEPS[kind][0](gateway, step, tenant_id=tenant_id)
    elif kind in _RESOURCE_KINDS:
        await _carry_out_on_resource(gateway, step, tenant_id=tenant_id)
    elif kind in _APP_NETWORK_KINDS:
        await _carry_out_app_network(gateway, step, tenant_id=tenant_id)
    elif kind is StepKind.RECREATE_ASSIGNMENT:
        try:
            await gateway.create_role_assignment(
                step.arg("scope"), name=step.arg("name"), role_definition_id=step.arg("role"),
                principal_id=step.arg("principal"), principal_type=step.arg("principal_type") or None,
                condition=step.arg("condition") or None, description=step.arg("description") or None,
                tenant_id=tenant_id)
        except ArmError as exc:
            if exc.code not in _ALREADY:
                raise
    else:  # pragma: no cover - every kind is handled above
        raise AssertionError(kind)


async def _regroup(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    """An in-subscription move, validated first, like the moves themselves. A move still running from
    before a restart holds the groups (ResourceMoveInProgress): wait for it, then see what is left."""
    subscription = step.arg("subscription")
    ids = [i for i in step.arg("ids").split() if i]
    target = f"/subscriptions/{subscription}/resourceGroups/{step.arg('destination')}"
    loop = asyncio.get_running_loop()
    since = loop.time()
    while True:
        remaining = await _still_in(gateway, subscription, step.arg("source_group"), ids, tenant_id=tenant_id)
        if not remaining:
            return
        try:
            check = await gateway.begin_validate_move(subscription, step.arg("source_group"),
                                                      resource_ids=remaining, target_resource_group_id=target,
                                                      tenant_id=tenant_id)
            await check.wait()
            op = await gateway.begin_move(subscription, step.arg("source_group"), resource_ids=remaining,
                                          target_resource_group_id=target, tenant_id=tenant_id)
            await op.wait()
            return
        except ArmError as exc:
            if exc.code != _MOVE_IN_PROGRESS or loop.time() - since > _BUSY_LIMIT_SECONDS:
                raise
            await asyncio.sleep(_BUSY_RETRY_SECONDS)


async def _still_in(gateway: AzureGateway, subscription: str, group: str, ids: list[str], *,
                    tenant_id: str) -> list[str]:
    here = {r.id.lower() for r in await gateway.list_resources(subscription, tenant_id=tenant_id)
            if r.resource_group.lower() == group.lower()}
    return [i for i in ids if i.lower() in here]


async def already_done(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    """For a step that was started but not recorded as ended (the process died): did it take effect?"""
    kind = step.kind
    if kind in (StepKind.LIFT_LOCK, StepKind.RESTORE_LOCK):
        scope, name = step.arg("scope").lower(), step.arg("name").lower()
        locks = await gateway.list_locks(_sub(scope), tenant_id=tenant_id)
        present = any(lk.scope.lower() == scope and lk.name.lower() == name for lk in locks)
        return not present if kind is StepKind.LIFT_LOCK else present
    if kind is StepKind.REGISTER_PROVIDER:
        providers = await gateway.list_providers(step.arg("subscription"), tenant_id=tenant_id)
        return any(p.namespace.lower() == step.arg("namespace").lower() and p.registered for p in providers)
    if kind in (StepKind.CONSOLIDATE, StepKind.MOVE_APP_BACK):
        ids = [i for i in step.arg("ids").split() if i]
        return not await _still_in(gateway, step.arg("subscription"), step.arg("source_group"), ids,
                                   tenant_id=tenant_id)
    if kind in (StepKind.DISASSOCIATE_IP, StepKind.REASSOCIATE_IP):
        nic_id = step.arg("nic")
        nic = next((r for r in await gateway.list_resources(_sub(nic_id), tenant_id=tenant_id)
                    if r.id.lower() == nic_id.lower()), None)
        if nic is None:
            return False
        configs = {str(c.get("name", "")).lower(): c for c in nic.properties.get("ipConfigurations") or []}
        config = configs.get(step.arg("ipconfig").lower()) or {}
        ip = str(((config.get("properties") or {}).get("publicIPAddress") or {}).get("id") or "")
        return not ip if kind is StepKind.DISASSOCIATE_IP else ip.lower() == step.arg("ip").lower()
    if kind in (StepKind.DELETE_PEERING, StepKind.RECREATE_PEERING):
        try:
            peering = await gateway.get_peering(step.arg("vnet"), step.arg("name"), tenant_id=tenant_id)
        except NotFound:
            return kind is StepKind.DELETE_PEERING
        if kind is StepKind.DELETE_PEERING:
            return False
        return peering.remote_vnet_id.lower() == step.arg("remote").lower()
    if kind is StepKind.TAG_GROUP:
        group = step.arg("group")
        groups = await gateway.list_resource_groups(_sub(group), tenant_id=tenant_id)
        found = next((g for g in groups if g.name.lower() == _group(group).lower()), None)
        wanted = json.loads(step.arg("tags") or "{}")
        return found is not None and all(found.tags.get(k) == v for k, v in wanted.items())
    if kind is StepKind.ADD_ASSIGNABLE_SCOPE:
        return False  # reading and writing the role is one idempotent step: doing it again changes nothing
    if kind in SERVICE_STEPS:
        return await SERVICE_STEPS[kind][1](gateway, step, tenant_id=tenant_id)
    if kind in _RESOURCE_KINDS:
        return await _done_on_resource(gateway, step, tenant_id=tenant_id)
    if kind in _APP_NETWORK_KINDS:
        return await _done_app_network(gateway, step, tenant_id=tenant_id)
    if kind is StepKind.RECREATE_ASSIGNMENT:
        scope = step.arg("scope")
        assignments = await gateway.list_role_assignments(_sub(scope), tenant_id=tenant_id)
        return any(a.name.lower() == step.arg("name").lower() for a in assignments)
    raise AssertionError(kind)  # pragma: no cover


# --------------------------------------------------------------------------- jobs, disks' keys, restore points

_RESOURCE_KINDS = frozenset({StepKind.STOP_JOB, StepKind.START_JOB, StepKind.DISK_TO_PLATFORM_KEY,
                             StepKind.DISK_TO_CUSTOMER_KEY, StepKind.DELETE_RESTORE_POINTS})
_PLATFORM_KEY = "EncryptionAtRestWithPlatformKey"
_JOB_STOPPED = ("stopped", "created", "failed")
_JOB_RUNNING = ("running", "starting", "restarting", "degraded")
_JOB_CHANGING = ("stopping", "starting")
_JOB_STARTED = ("running", "degraded")  # a job still starting is waited for: it may yet fail to start
_JOB_WAIT_SECONDS = 30 * 60


async def _job_now(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> Resource:
    """The job to start: at its new id, or where it was when its group did not move."""
    try:
        return await gateway.get_resource(step.arg("job"), tenant_id=tenant_id)
    except NotFound:
        if not step.arg("old_job"):
            raise
        return await gateway.get_resource(step.arg("old_job"), tenant_id=tenant_id)


async def _job_settled(gateway: AzureGateway, job: Resource, *, tenant_id: str) -> Resource:
    """A job stopping or starting (a call sent before a restart) is waited for, not asked again."""
    loop = asyncio.get_running_loop()
    since = loop.time()
    while str(job.properties.get("jobState") or "").lower() in _JOB_CHANGING:
        if loop.time() - since > _JOB_WAIT_SECONDS:
            break
        await asyncio.sleep(_BUSY_RETRY_SECONDS)
        job = await gateway.get_resource(job.id, tenant_id=tenant_id)
    return job


async def _carry_out_on_resource(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    kind = step.kind
    if kind in (StepKind.STOP_JOB, StepKind.START_JOB):
        job = await _job_settled(gateway, await _job_now(gateway, step, tenant_id=tenant_id), tenant_id=tenant_id)
        state = str(job.properties.get("jobState") or "").lower()
        if state in (_JOB_STOPPED if kind is StepKind.STOP_JOB else _JOB_RUNNING):
            return  # it got there from the call before the restart
        if kind is StepKind.STOP_JOB:
            op = await gateway.begin_stop_job(job.id, tenant_id=tenant_id)
        else:
            op = await gateway.begin_start_job(job.id, output_start_mode=step.arg("mode"), tenant_id=tenant_id)
    elif kind is StepKind.DISK_TO_PLATFORM_KEY:
        op = await gateway.begin_set_disk_encryption(step.arg("disk"), encryption_type=_PLATFORM_KEY,
                                                     disk_encryption_set_id=None, tenant_id=tenant_id)
    elif kind is StepKind.DISK_TO_CUSTOMER_KEY:
        op = await gateway.begin_set_disk_encryption(step.arg("disk"), encryption_type=step.arg("encryption_type"),
                                                     disk_encryption_set_id=step.arg("des"), tenant_id=tenant_id)
    else:
        op = await gateway.begin_delete_restore_points(step.arg("collection"), tenant_id=tenant_id)
    await op.wait()


async def _done_on_resource(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    """Whether a job, disk or restore point collection is already as the step leaves it."""
    kind = step.kind
    try:
        if kind is StepKind.START_JOB:
            state = str((await _job_now(gateway, step, tenant_id=tenant_id)).properties.get("jobState") or "")
            return state.lower() in _JOB_STARTED
        target = step.arg("job") or step.arg("disk") or step.arg("collection")
        found = await gateway.get_resource(target, tenant_id=tenant_id)
    except NotFound:
        return kind is StepKind.DELETE_RESTORE_POINTS
    if kind is StepKind.STOP_JOB:
        return str(found.properties.get("jobState") or "").lower() in _JOB_STOPPED
    encryption = found.properties.get("encryption") or {}
    kind_now = str(encryption.get("type") or "").lower()
    if kind is StepKind.DISK_TO_PLATFORM_KEY:
        return kind_now == _PLATFORM_KEY.lower()
    if kind is StepKind.DISK_TO_CUSTOMER_KEY:
        return (kind_now == step.arg("encryption_type").lower()
                and str(encryption.get("diskEncryptionSetId") or "").lower() == step.arg("des").lower())
    return False  # the collection is still there


# --------------------------------------------------------------------------- an app's VNet integration, NAT gateways

_APP_NETWORK_KINDS = frozenset({StepKind.REMOVE_VNET_INTEGRATION, StepKind.ADD_VNET_INTEGRATION,
                                StepKind.DETACH_NAT_GATEWAY})


async def _integration_now(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> tuple[str, str, str]:
    """(the app's id, the subnet it should be integrated with, the subnet it is integrated with now): the
    new ids when the moves took them, the old ones when a move failed and left them in place."""
    site = step.arg("site")
    try:
        current = await gateway.get_vnet_integration(site, tenant_id=tenant_id)
    except NotFound:
        site = step.arg("old_site") or site
        current = await gateway.get_vnet_integration(site, tenant_id=tenant_id)
    subnet = step.arg("subnet")
    if subnet.lower() != step.arg("old_subnet", subnet).lower():
        vnet, _, name = subnet.partition("/subnets/")
        try:
            await gateway.get_subnet_nat_gateway(vnet, name, tenant_id=tenant_id)
        except NotFound:
            subnet = step.arg("old_subnet")
    return site, subnet, current


async def _carry_out_app_network(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    if step.kind is StepKind.REMOVE_VNET_INTEGRATION:
        await gateway.remove_vnet_integration(step.arg("site"), tenant_id=tenant_id)
    elif step.kind is StepKind.ADD_VNET_INTEGRATION:
        site, subnet, _ = await _integration_now(gateway, step, tenant_id=tenant_id)
        await gateway.set_vnet_integration(site, subnet_id=subnet, tenant_id=tenant_id)
    else:
        await gateway.remove_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"), tenant_id=tenant_id)


async def _done_app_network(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    if step.kind is StepKind.REMOVE_VNET_INTEGRATION:
        return not await gateway.get_vnet_integration(step.arg("site"), tenant_id=tenant_id)
    if step.kind is StepKind.ADD_VNET_INTEGRATION:
        _, subnet, current = await _integration_now(gateway, step, tenant_id=tenant_id)
        return current.lower() == subnet.lower()
    return not await gateway.get_subnet_nat_gateway(step.arg("vnet"), step.arg("subnet"), tenant_id=tenant_id)


# --------------------------------------------------------------------------- what Azure refuses to move
# A workspace's Automation link, a SQL IaaS Agent registration and a free managed certificate (with its host
# name bindings): removed before the moves, created again once the moves ended: where what they belong to
# landed, or where it still is when its move did not happen. Whether a step took effect is read back by id.


async def _get(gateway: AzureGateway, resource_id: str, *, tenant_id: str) -> Resource | None:
    try:
        return await gateway.get_resource(resource_id, tenant_id=tenant_id)
    except NotFound:
        return None


def _bindings(step: PlanStep, side: str = "") -> list[tuple[str, str, str]]:
    """(site id, host name, SSL state) recorded in the step (`side` "_source": where they were)."""
    recorded = step.arg("bindings" + side) or step.arg("bindings")
    return [(site, host, state) for site, host, state in (b.split("|") for b in recorded.split() if b)]


async def _side(gateway: AzureGateway, step: PlanStep, anchor: str, *, tenant_id: str) -> str:
    """Where a follow-through step makes its resource again: "" at the moved `anchor` (the workspace, VM or
    plan it belongs to) when that exists, "_source" where it was when the move did not happen."""
    moved, stayed = step.arg(anchor), step.arg(anchor + "_source")
    if not stayed or await _exists(gateway, moved, tenant_id=tenant_id):
        return ""
    return "_source" if await _exists(gateway, stayed, tenant_id=tenant_id) else ""


async def _exists(gateway: AzureGateway, resource_id: str, *, tenant_id: str) -> bool:
    return any(r.id.lower() == resource_id.lower()
               for r in await gateway.list_resources(_sub(resource_id), tenant_id=tenant_id))


def _parent(child_id: str) -> str:
    return child_id.rsplit("/", 2)[0]


async def _link_place(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> tuple[str, str]:
    """(link id, Automation account id) as things stand: each moved, or not."""
    moved = await _exists(gateway, _parent(step.arg("link")), tenant_id=tenant_id)
    link = step.arg("link") if moved or not step.arg("link_source") else step.arg("link_source")
    account = step.arg("automation")
    if step.arg("automation_source") and not await _exists(gateway, account, tenant_id=tenant_id):
        account = step.arg("automation_source")
    return link, account


async def _unlink(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    await gateway.delete_resource(step.arg("link"), tenant_id=tenant_id)


async def _unlinked(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    return await _get(gateway, step.arg("link"), tenant_id=tenant_id) is None


async def _relink(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    link, account = await _link_place(gateway, step, tenant_id=tenant_id)
    await gateway.create_resource(link, location=None, properties={"resourceId": account}, tenant_id=tenant_id)


async def _relinked(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    link_id, account = await _link_place(gateway, step, tenant_id=tenant_id)
    link = await _get(gateway, link_id, tenant_id=tenant_id)
    return link is not None and str(link.properties.get("resourceId") or "").lower() == account.lower()


async def _delete_registration(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    await gateway.delete_resource(step.arg("registration"), tenant_id=tenant_id)


async def _registration_deleted(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    return await _get(gateway, step.arg("registration"), tenant_id=tenant_id) is None


async def _register(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    side = await _side(gateway, step, "vm", tenant_id=tenant_id)
    properties = {**json.loads(step.arg("properties") or "{}"), "virtualMachineResourceId": step.arg("vm" + side)}
    await gateway.create_resource(step.arg("registration" + side), location=step.arg("location"),
                                  properties=properties, tenant_id=tenant_id)


async def _registered(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    side = await _side(gateway, step, "vm", tenant_id=tenant_id)
    reg = await _get(gateway, step.arg("registration" + side), tenant_id=tenant_id)
    return reg is not None and str(reg.properties.get("virtualMachineResourceId") or "").lower() == \
        step.arg("vm" + side).lower()


async def _delete_certificate(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    """A bound certificate cannot be deleted: its host names go back to plain HTTP first. When Azure then
    refuses the deletion, they get the certificate back, so the step fails without breaking HTTPS."""
    for site, host, _ in _bindings(step):
        binding = await _get(gateway, f"{site}/hostNameBindings/{host}", tenant_id=tenant_id)
        if binding is not None and str(binding.properties.get("thumbprint") or "").upper() == \
                step.arg("thumbprint").upper():
            await gateway.create_resource(f"{site}/hostNameBindings/{host}", location=None,
                                          properties={"sslState": "Disabled"}, tenant_id=tenant_id)
    try:
        await gateway.delete_resource(step.arg("certificate"), tenant_id=tenant_id)
    except ArmError:
        # Every recorded host name left without a certificate (now, or by a run a crash cut short).
        for site, host, state in _bindings(step):
            binding = await _get(gateway, f"{site}/hostNameBindings/{host}", tenant_id=tenant_id)
            if binding is not None and not binding.properties.get("thumbprint"):
                await gateway.create_resource(f"{site}/hostNameBindings/{host}", location=None, properties={
                    "sslState": state, "thumbprint": step.arg("thumbprint")}, tenant_id=tenant_id)
        raise


async def _certificate_deleted(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    return await _get(gateway, step.arg("certificate"), tenant_id=tenant_id) is None


async def _recreate_certificate(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> None:
    """Issue the certificate again, then bind its new thumbprint where the old one was bound. A run cut
    short by a crash goes on from what it finds: a certificate issued is not issued twice."""
    side = await _side(gateway, step, "plan", tenant_id=tenant_id)
    cert = await _get(gateway, step.arg("certificate" + side), tenant_id=tenant_id)
    if cert is None or str(cert.properties.get("canonicalName") or "").lower() != step.arg("host").lower():
        cert = await gateway.create_resource(step.arg("certificate" + side), location=step.arg("location"),
                                             properties={"canonicalName": step.arg("host"),
                                                         "serverFarmId": step.arg("plan" + side)},
                                             tenant_id=tenant_id)
    thumbprint = str(cert.properties.get("thumbprint") or "")
    for site, host, state in _bindings(step, side):
        binding = await _get(gateway, f"{site}/hostNameBindings/{host}", tenant_id=tenant_id)
        if binding is None or str(binding.properties.get("thumbprint") or "").upper() != thumbprint.upper():
            await gateway.create_resource(f"{site}/hostNameBindings/{host}", location=None,
                                          properties={"sslState": state, "thumbprint": thumbprint},
                                          tenant_id=tenant_id)


async def _certificate_recreated(gateway: AzureGateway, step: PlanStep, *, tenant_id: str) -> bool:
    side = await _side(gateway, step, "plan", tenant_id=tenant_id)
    cert = await _get(gateway, step.arg("certificate" + side), tenant_id=tenant_id)
    if cert is None or str(cert.properties.get("canonicalName") or "").lower() != step.arg("host").lower():
        return False
    thumbprint = str(cert.properties.get("thumbprint") or "").upper()
    for site, host, _ in _bindings(step, side):
        binding = await _get(gateway, f"{site}/hostNameBindings/{host}", tenant_id=tenant_id)
        if binding is None or str(binding.properties.get("thumbprint") or "").upper() != thumbprint:
            return False
    return True


# kind -> (carry it out, did it take effect)
SERVICE_STEPS = {
    StepKind.UNLINK_WORKSPACE: (_unlink, _unlinked),
    StepKind.RELINK_WORKSPACE: (_relink, _relinked),
    StepKind.DELETE_SQL_REGISTRATION: (_delete_registration, _registration_deleted),
    StepKind.REGISTER_SQL_VM: (_register, _registered),
    StepKind.DELETE_MANAGED_CERTIFICATE: (_delete_certificate, _certificate_deleted),
    StepKind.RECREATE_MANAGED_CERTIFICATE: (_recreate_certificate, _certificate_recreated),
}
