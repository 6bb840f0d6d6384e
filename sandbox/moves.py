"""validateMoveResources / moveResources as ARM runs them.

Two phases, as in Azure: the front door checks the request synchronously (400/403/404/409 on the
POST), then the job validates with the resource providers and, for a move, moves (the LRO result:
204, or 409 with a nested CloudError). Error shapes follow Microsoft's REST examples of
Resources_ValidateMoveResources and Resources_MoveResources (github.com/Azure/azure-rest-api-specs,
specification/resources/resource-manager/Microsoft.Resources) and the codes on
https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-move-resources
(or the move guide: https://learn.microsoft.com/azure/azure-resource-manager/management/move-resource-group-and-subscription).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sandbox.errors import ArmFailure, error_body
from sandbox.movability import MoveFacts, condition_refusals
from sandbox.state import Group, Operation, Res, World, parse_group_id, parse_resource_id

MAX_RESOURCES_PER_MOVE = 800


def _diagnostics(subscription_id: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return (f"Diagnostic information: timestamp '{stamp}', subscription id '{subscription_id}', "
            f"tracking id '{uuid.uuid4()}', request correlation id '{uuid.uuid4()}'.")


def _read_only(locks: list[dict[str, Any]]) -> bool:
    return any(str(lock.get("level", "")).lower() == "readonly" for lock in locks)


def check_write_allowed(world: World, group: Group) -> None:
    """Writes into a group: refused while a move holds it or a ReadOnly lock sits above it."""
    if group.moving:
        raise ArmFailure(409, "ResourceMoveInProgress",
                         f"The resource group '{group.name}' is locked by a move operation in progress; "
                         "write and delete operations are blocked until the move completes.")
    sub = world.sub(group.subscription_id)
    if (sub and _read_only(sub.locks)) or _read_only(group.locks):
        raise ArmFailure(409, "ScopeLocked",
                         f"The scope '{group.id}' cannot perform write operation because following scope(s) "
                         f"are locked: '{group.id}'. Please remove the lock and try again.")


def front_door(world: World, subscription_id: str, source: Group, body: Any,
               *, visible_tenant: str) -> tuple[Group, list[str]]:
    """The synchronous checks of the POST. Returns the target group and the requested ids."""
    if (not isinstance(body, dict) or not isinstance(body.get("targetResourceGroup"), str)
            or not isinstance(body.get("resources"), list) or not body["resources"]
            or not all(isinstance(r, str) for r in body["resources"])):
        members = sorted(body) if isinstance(body, dict) else []
        raise ArmFailure(400, "InvalidRequestContent",
                         f"The request content was invalid and could not be deserialized: members {members}; "
                         "'resources' (a non-empty array of resource ids) and 'targetResourceGroup' are required.")
    ids: list[str] = body["resources"]
    if len(ids) > MAX_RESOURCES_PER_MOVE:
        raise ArmFailure(400, "BadRequest",
                         f"The move resources request contains {len(ids)} resources; at most "
                         f"{MAX_RESOURCES_PER_MOVE} resources can be moved in one request.")
    target_ref = parse_group_id(body["targetResourceGroup"])
    if target_ref is None:
        raise ArmFailure(400, "InvalidTargetResourceGroup",
                         f"The target resource group id '{body['targetResourceGroup']}' is invalid.")
    target_sub_id, target_name = target_ref
    if target_sub_id.lower() == subscription_id.lower() and target_name.lower() == source.name.lower():
        raise ArmFailure(400, "InvalidTargetResourceGroup",
                         "The target resource group must be different from the source resource group.")
    source_sub = world.sub(subscription_id)
    target_sub = world.sub(target_sub_id)
    if target_sub is None:
        raise ArmFailure(400, "SubscriptionNotFound", f"The subscription '{target_sub_id}' could not be found.")
    if target_sub.tenant_id.lower() != visible_tenant.lower():
        raise ArmFailure(403, "AuthorizationFailed",
                         f"The target subscription '{target_sub.id}' belongs to another Microsoft Entra "
                         "tenant; resources can only move between subscriptions of the same tenant.")
    for s in (source_sub, target_sub):
        if s is not None and s.state.lower() not in ("enabled",):
            raise ArmFailure(409, "ReadOnlyDisabledSubscription",
                             f"The subscription '{s.id}' is disabled and therefore marked as read only. "
                             "You cannot perform any write actions on this subscription until it is re-enabled.")
    target = target_sub.groups.get(target_name.lower())
    if target is None:
        raise ArmFailure(400, "ResourceGroupNotFound", f"Resource group '{target_name}' could not be found.")
    for rid in ids:
        parsed = parse_resource_id(rid)
        if parsed is None:
            raise ArmFailure(400, "InvalidResourceId", f"The resource id '{rid}' is invalid.")
        if not parsed.top_level:
            raise ArmFailure(400, "ResourceNotTopLevel", f"Identifier '{rid}' is not a top level resource.")
        if (parsed.subscription_id.lower() != subscription_id.lower()
                or parsed.resource_group.lower() != source.name.lower()):
            raise ArmFailure(400, "InvalidResourceMoveRequest",
                             f"The resource '{rid}' is not in the source resource group '{source.name}'.")
        if rid.lower() not in source.resources:
            raise ArmFailure(404, "ResourceNotFound",
                             f"The Resource '{parsed.type}/{parsed.names[0]}' under resource group "
                             f"'{source.name}' was not found.")
    for group in (source, target):
        if group.moving:
            raise ArmFailure(409, "ResourceMoveInProgress",
                             f"The resource group '{group.name}' is locked by a move operation in progress; "
                             "it cannot take part in another move until that one completes.")
    for scope_id, locks in (
        (f"/subscriptions/{subscription_id}", source_sub.locks if source_sub else []),
        (source.id, source.locks),
        (target_sub.id and f"/subscriptions/{target_sub.id}", target_sub.locks),
        (target.id, target.locks),
    ):
        if _read_only(locks):
            raise ArmFailure(409, "ScopeLocked",
                             f"The scope '{source.id}' cannot perform write operation because following "
                             f"scope(s) are locked: '{scope_id}'. Please remove the lock and try again.")
    namespaces = {parse_resource_id(rid).namespace for rid in ids}  # type: ignore[union-attr]
    for ns in sorted(namespaces):
        if target_sub.provider_state(ns).lower() != "registered":
            raise ArmFailure(400, "MissingSubscriptionRegistration",
                             f"The subscription '{target_sub.id}' is not registered to use namespace '{ns}'. "
                             "See https://aka.ms/rps-not-found for how to register subscriptions.")
    return target, ids


def _moving_set(source: Group, ids: list[str]) -> dict[str, Res]:
    """Requested resources plus their children (children follow their parent)."""
    out: dict[str, Res] = {}
    prefixes = [rid.lower() for rid in ids]
    for key, res in source.resources.items():
        if any(key == p or key.startswith(p + "/") for p in prefixes):
            out[key] = res
    return out


def _validation_errors(world: World, facts: MoveFacts, op: Operation,
                       source: Group, target: Group) -> dict[str, Any] | None:
    cross = source.subscription_id.lower() != target.subscription_id.lower()
    moving = _moving_set(source, op.resources)
    requested = [source.resources[r.lower()] for r in op.resources if r.lower() in source.resources]
    missing_now = [r for r in op.resources if r.lower() not in source.resources]
    not_supported = []
    for res in requested:
        if "validate" not in res.outcome and facts.refuses(res.type, cross=cross, overrides=world.move_support):
            not_supported.append({
                "code": "ResourceMoveNotSupported", "target": res.id,
                "message": f"Resource move is not supported for resource types '{res.type}'.",
            })
    if source.managed_by and cross:
        # A managed group (an AKS node group...) carries a deny assignment: only its manager changes it.
        for res in requested:
            not_supported.append({
                "code": "DenyAssignmentAuthorizationFailed", "target": res.id,
                "message": f"The resource group '{source.name}' is managed by '{source.managed_by}'; a deny "
                           "assignment prevents moving its resources.",
            })
    for rid in missing_now:
        not_supported.append({"code": "ResourceNotFound", "target": rid,
                              "message": f"The resource '{rid}' is no longer in resource group '{source.name}'."})
    if not_supported:
        return error_body(
            "ResourceMoveValidationFailed",
            f"The resource batch move request has '{len(not_supported)}' validation errors. "
            + _diagnostics(op.subscription_id),
            details=not_supported,
        )
    details: list[dict[str, Any]] = []
    scripted: dict[str, list[dict[str, Any]]] = {}
    phases = ("validate", "move") if op.kind == "move" else ("validate",)
    for res in moving.values():
        scripted_here = False
        for phase in phases:
            outcome = res.outcome.get(phase)
            if outcome is not None:
                scripted_here = True
                if outcome.get("ok"):  # this Azure accepts the resource whatever the conditions say
                    break
                scripted.setdefault(res.type, []).append({
                    "code": outcome.get("code", "MoveNotSupported"),
                    "message": outcome.get("message", f"The resource '{res.id}' cannot be moved."),
                    "target": res.id,
                })
                break
        if not scripted_here and cross:
            for code, message in condition_refusals(world, res):
                scripted.setdefault(res.type, []).append({"code": code, "message": message, "target": res.id})
    for type_, inner in scripted.items():
        details.append({
            "code": "CannotMoveResource", "target": type_,
            "message": "Cannot move one or more resources in the request. Please check details for "
                       "information about each resource.",
            "details": inner,
        })
    for res in moving.values():
        state = res.properties.get("provisioningState")
        if state is not None and str(state).lower() != "succeeded":
            details.append({
                "code": "MoveCannotProceedWithResourcesNotInSucceededState", "target": res.id,
                "message": f"Move cannot proceed because the resource '{res.id}' is in provisioning state "
                           f"'{state}'; all resources involved must be in the Succeeded state.",
            })
    if cross:
        target_keys = set(target.resources)
        for res in moving.values():
            missing = [d for d in res.depends_on if d.lower() not in moving and d.lower() not in target_keys]
            if missing:
                # The dependency check answers with its error serialised inside `message`, as Azure does.
                inner = {"error": {"details": [{
                    "code": "MissingMoveDependentResources", "target": dep,
                    "message": "The move resources request does not contain all the dependent resources. "
                               "Please check error details for missing resource ids.",
                } for dep in missing]}}
                details.append({"code": "BadRequest", "target": res.type, "message": json.dumps(inner)})
        details.extend(_plans_hosting_elsewhere(world, source, moving))
    if not details:
        return None
    return error_body(
        "ResourceMoveProviderValidationFailed",
        "Resource move validation failed. Please see details. " + _diagnostics(op.subscription_id),
        details=details,
    )


def _plans_hosting_elsewhere(world: World, source: Group, moving: dict[str, Res]) -> list[dict[str, Any]]:
    """App Service moves all its resources together ("You must move all App Service resources in the resource
    group together", App Service move limitations on Microsoft Learn): a plan does not change subscription
    while it hosts apps that stay behind. The provider's exact code is not published; Azure reports it as a
    provider validation failure naming the apps."""
    sub = world.sub(source.subscription_id)
    if sub is None:
        return []
    plans = {key: res for key, res in moving.items() if res.type.lower() == "microsoft.web/serverfarms"}
    left: dict[str, list[str]] = {}
    for res in world.resources(sub):
        farm = str(res.properties.get("serverFarmId") or "").lower()
        if res.type.lower() == "microsoft.web/sites" and farm in plans and res.id.lower() not in moving:
            left.setdefault(farm, []).append(res.name)
    return [{"code": "BadRequest", "target": plans[farm].id,
             "message": f"Cannot move resources because some site(s) are hosted by other resource group(s) but "
                        f"not included in the request. Hosted site(s): '{', '.join(sorted(names))}'."}
            for farm, names in sorted(left.items())]


def finish(world: World, facts: MoveFacts, op: Operation, *, fail: bool) -> None:
    """Complete a due operation: set its final answer and, for a successful move, move."""
    source = world.group(op.subscription_id, op.source_group)
    ref = parse_group_id(op.target_group_id)
    target = world.group(*ref) if ref else None
    try:
        if source is None or target is None:
            op.status, op.body = 404, error_body("ResourceGroupNotFound", "A resource group of the move is gone.")
            return
        errors = _validation_errors(world, facts, op, source, target)
        if errors is not None:
            op.status, op.body = 409, errors
        elif fail and op.kind == "move":
            op.status, op.body = 409, error_body(
                "ResourceMoveFailed",
                "The resource move operation failed; no resource was moved. " + _diagnostics(op.subscription_id))
        else:
            if op.kind == "move":
                _move(world, source, target, op.resources)
            op.status, op.body = 204, None
    finally:
        for group in (source, target):
            if group is not None and group.moving == op.id:
                group.moving = None


def _move(world: World, source: Group, target: Group, ids: list[str]) -> None:
    renamed: dict[str, str] = {}
    for key, res in _moving_set(source, ids).items():
        del source.resources[key]
        res.relocate(target.subscription_id, target.name)
        target.resources[res.id.lower()] = res
        renamed[key] = res.id
    # Role assignments made on a moved resource do not travel with it: Azure drops them.
    world.directory.drop_assignments_under(list(renamed))
    for sub_id in {source.subscription_id.lower(), target.subscription_id.lower()}:
        sub = world.sub(sub_id)
        for res in world.resources(sub) if sub else ():
            if any(d.lower() in renamed for d in res.depends_on):
                res.depends_on = [renamed.get(d.lower(), d) for d in res.depends_on]
            # App Service keeps an app's plan reference current (the plan moves with its apps).
            farm = str(res.properties.get("serverFarmId") or "").lower()
            if farm in renamed:
                res.properties["serverFarmId"] = renamed[farm]
