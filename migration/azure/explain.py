"""Azure's failures in plain words: what happened and what to do, under the most telling error code."""

from __future__ import annotations

from migration.model import ArmErrorDetail

# ARM error code -> (what happened, in plain words; what to do). Codes from
# https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-move-resources and
# https://learn.microsoft.com/azure/azure-resource-manager/management/move-resource-group-and-subscription (its FAQ).
_EXPLAIN: dict[str, tuple[str, str]] = {
    "ResourceMoveNotSupported": (
        "This resource type cannot move to another subscription.",
        "Recreate it in the CSP subscription, or leave it where it is.",
    ),
    "MoveNotSupported": (
        "This resource type cannot move to another subscription.",
        "Recreate it in the CSP subscription, or leave it where it is.",
    ),
    "MissingMoveDependentResources": (
        "A resource depends on another resource that is not part of this move.",
        "Put the resources that belong together in one resource group, then request the move again.",
    ),
    "ScopeLocked": (
        "A read-only lock on the group or subscription blocks the move.",
        "Remove the lock for the duration of the move, then request it again.",
    ),
    "MissingSubscriptionRegistration": (
        "The CSP subscription is not registered for one of the resource providers.",
        "Register the provider in the CSP subscription (Subscriptions > Resource providers), then retry.",
    ),
    "ResourceMoveInProgress": (
        "Another move holds the resource group.",
        "Wait until that move ends, then request this one again.",
    ),
    "MoveCannotProceedWithResourcesNotInSucceededState": (
        "A resource is not in a healthy (Succeeded) state.",
        "Fix or finish the resource's last operation, then request the move again.",
    ),
    "RequestDisallowedByPolicy": (
        "An Azure Policy assignment forbids the move.",
        "Ask the customer's administrator to exempt these resources from the policy, then retry.",
    ),
    "AuthorizationFailed": (
        "The partner's identity may not move these resources.",
        "Grant it moveResources on the source group and write on the target group, then retry.",
    ),
    "ResourceMoveFailed": (
        "Azure could not complete the move; the resources of this call stayed where they were.",
        "Request the move again later; if it fails again, open an Azure support request with this code.",
    ),
    "ResourceNotFound": (
        "A resource of the plan no longer exists in the source group.",
        "Assess the subscription again and request a new move.",
    ),
    "ConnectionLost": (
        "Azure Resource Manager could not be reached.",
        "Check the network path to Azure, then request the move again.",
    ),
}
_GENERIC_FIX = "Change what Azure names, then assess again and request a new move."


def reason_and_fix(error: ArmErrorDetail) -> tuple[str, str, ArmErrorDetail]:
    """What Azure refused, in plain words, and what to do, each whole; and the node of the tree they explain."""
    nodes = error.walk()
    known = next((n for n in nodes if n.code in _EXPLAIN), None)
    if known is not None:
        plain, fix = _EXPLAIN[known.code]
        return plain, fix, known
    leaf = next((n for n in reversed(nodes) if n.message), error)
    return leaf.message.split(" Diagnostic information:")[0], _GENERIC_FIX, leaf


def explain(error: ArmErrorDetail) -> ArmErrorDetail:
    """Azure's error tree -> one readable line (reason and fix) under the most telling code. The
    original tree is kept below it, so nothing Azure said is lost."""
    plain, fix, node = reason_and_fix(error)
    return ArmErrorDetail(code=node.code, message=f"{plain} Fix: {fix}", target=node.target, details=(error,))
