"""Access cards: a running move that waits because the bot lost access to the customer's tenant."""

from __future__ import annotations

from typing import Any

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from cards.move import move_progress_card
from migration.model import MoveRequest
from migration.model.records import AccessWait

CAUSE_LABEL = {
    "app_not_consented": "The partner's app is not consented in the customer's tenant",
    "tenant_not_found": "Microsoft Entra does not know the customer's tenant",
    "credential_rejected": "Entra refused the bot's own credential",
    "identity_unavailable": "The bot's Azure identity is not available",
    "role_missing": "The bot's identity has no role allowing this step",
    "not_delegated": "The bot's token is not valid for the customer's tenant",
    "unknown": "The bot cannot act in the customer's tenant",
}


def waiting_lines(request: MoveRequest, wait: AccessWait) -> list[k.Element]:
    """What happened, what Azure said, what to fix, and when the bot checks again."""
    label = CAUSE_LABEL.get(wait.cause, CAUSE_LABEL["unknown"])
    refused = f" Azure refused {k.untrusted(wait.action)}" + (f" on {k.untrusted(wait.scope)}." if wait.scope
                                                               else ".") if wait.action else ""
    nxt = f" Next check {k.utc(wait.next_check_at)}." if wait.next_check_at else ""
    return [
        k.note(
            f"**Waiting for access since {k.utc(wait.since)}.** {label}.{refused} Nothing has failed: the move "
            f"carries on by itself where it stopped once access is back.{nxt}",
            style=types.ContainerStyle.WARNING,
        ),
        k.text(f"**To fix:** {k.untrusted(wait.fix)}"),
        k.text(f"Azure said ({k.untrusted(wait.code)}): {k.untrusted(k.sentences(wait.message, 300)[0])}", small=True,
               subtle=True),
    ]


def waiting_for_access_card(request: MoveRequest, wait: AccessWait) -> dict[str, Any]:
    """The progress card with the wait on top and a Check again button."""
    card = move_progress_card(request)
    extra = k.card(waiting_lines(request, wait), [_check_again(request)])
    body = list(card.get("body") or [])
    body[1:1] = extra["body"]
    fallback = f"Move {request.id} waits for access to the customer's tenant. To fix: {wait.fix}"
    return {**card, "body": body, "actions": [*extra["actions"], *(card.get("actions") or [])],
            "fallbackText": fallback}


def _check_again(request: MoveRequest) -> k.Action:
    return k.execute("Check again", verbs.REQUEST_RECHECK, {"requestId": request.id}, style=types.ActionStyle.POSITIVE)


def access_alert_card(request: MoveRequest, wait: AccessWait) -> dict[str, Any]:
    """The message the requester and the approvers get when a move starts waiting for access."""
    body: list[k.Element] = [
        k.heading(f"Move {k.unbroken_id(request.id)} waits for access"),
        k.text(f"{k.untrusted(request.source_name or request.source_subscription_id)} → "
               f"{k.untrusted(request.target_name or request.target_subscription_id)}", subtle=True),
        *waiting_lines(request, wait),
    ]
    actions: list[k.Action] = [
        _check_again(request),
        k.execute("Refresh status", verbs.REQUEST_STATUS, {"requestId": request.id}),
    ]
    return k.card(body, actions, fallback_text=f"Move {request.id} waits for access. To fix: {wait.fix}")

