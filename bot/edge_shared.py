"""What both Teams edges read from an activity and how they answer a failed turn, written once.

botbuilder's and the Agents SDK's `Activity` and `TurnContext` use the same attribute names (`from_property`,
`channel_data`, `reply_to_id`, `send_activity`), so these read either; neither SDK is imported here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.access import Caller
from bot.port import CardClick

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
CARD_ACTION = "adaptiveCard/action"  # the invoke of an Action.Execute click (Universal Actions)
TURN_FAILED = "Sorry, something went wrong on my side. Nothing was changed. Please try again, or type `help`."


def caller_of(activity: Any) -> Caller:
    """Who is speaking: the Teams tenant is in channelData.tenant.id (conversation.tenantId is lost by
    botbuilder 4.17)."""
    channel_data: Mapping[str, Any] = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    tenant_id = tenant.get("id") if isinstance(tenant.get("id"), str) else None
    sender = activity.from_property
    aad = getattr(sender, "aad_object_id", None) if sender else None
    return Caller(
        tenant_id=tenant_id.lower() if tenant_id else None,
        user_id=aad.lower() if isinstance(aad, str) and aad else None,
        name=(getattr(sender, "name", None) or "someone") if sender else "someone",
        mri=getattr(sender, "id", None) if sender else None,
    )


def click_of(activity: Any) -> CardClick | None:
    if activity.type != "invoke":
        return None
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action") if isinstance(value.get("action"), dict) else {}
    verb = action.get("verb") if isinstance(action.get("verb"), str) else ""
    data = action.get("data") if isinstance(action.get("data"), dict) else {}
    return CardClick(verb=verb, data=data, card_id=activity.reply_to_id or None)


def is_card_execute(activity: Any) -> bool:
    """An adaptiveCard/action invoke of an Action.Execute: the only click the router reads. Anything else
    under that name (an Action.Submit, no action) is malformed, answered with the unknown-button card."""
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action")
    return isinstance(action, dict) and action.get("type") == "Action.Execute"


def invoke_body(card: Mapping[str, Any]) -> dict[str, Any]:
    """An adaptiveCard/action's answer: the card that replaces the one clicked."""
    return {"statusCode": 200, "type": CARD, "value": dict(card)}


def unsupported_invoke(name: Any) -> dict[str, str]:
    return {"error": f"unsupported invoke {str(name)[:60]!r}"}


async def report_turn_failure(context: Any, error: Exception) -> None:
    """The turn-error handler of both edges. The exception text can carry Azure or HTTP details; users get a
    plain sentence, logs get the type and activity id only (secrets never reach logs)."""
    log.exception("turn failed: %s on %s activity %s", type(error).__name__, context.activity.type,
                  context.activity.id, exc_info=error)
    if context.activity.type == "message":
        try:
            await context.send_activity(TURN_FAILED)
        except Exception as send_error:  # noqa: BLE001 - the channel itself is unreachable
            # A 5xx here would make Teams retry the activity and run the command twice.
            log.warning("could not tell the user about the failure: %s", type(send_error).__name__)
