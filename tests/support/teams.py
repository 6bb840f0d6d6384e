"""Teams-shaped activities, as the Teams service (and the Agents Playground) POSTs them."""

from __future__ import annotations

import uuid
from typing import Any

PARTNER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = "28:cspmigrationbot"
ENGINEER = {"id": "29:engineer", "name": "Alex Wilber", "aadObjectId": "00000000-0000-0000-0000-00000000a001"}
APPROVER = {"id": "29:approver", "name": "Megan Bowen", "aadObjectId": "00000000-0000-0000-0000-00000000a002"}


def _base(kind: str, service_url: str, *, conversation_id: str, user: dict[str, str], tenant: str) -> dict[str, Any]:
    return {
        "type": kind,
        "id": uuid.uuid4().hex,
        "timestamp": "2026-11-23T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": dict(user),
        "recipient": {"id": BOT_ID, "name": "CSP Migration"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}},
        "locale": "en-US",
    }


def message(
    text: str,
    service_url: str,
    *,
    conversation_id: str = "a:conv-personal",
    user: dict[str, str] = ENGINEER,
    tenant: str = PARTNER_TENANT,
) -> dict[str, Any]:
    act = _base("message", service_url, conversation_id=conversation_id, user=user, tenant=tenant)
    act.update({"text": text, "textFormat": "plain"})
    return act


def card_action(
    verb: str,
    data: dict[str, Any],
    service_url: str,
    *,
    reply_to_id: str = "card-1",
    conversation_id: str = "a:conv-personal",
    user: dict[str, str] = ENGINEER,
    tenant: str = PARTNER_TENANT,
) -> dict[str, Any]:
    act = _base("invoke", service_url, conversation_id=conversation_id, user=user, tenant=tenant)
    act.update(
        {
            "name": "adaptiveCard/action",
            "replyToId": reply_to_id,
            "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        }
    )
    return act


def installed(
    service_url: str, *, conversation_id: str = "a:conv-personal", tenant: str = PARTNER_TENANT
) -> list[dict[str, Any]]:
    """What Teams sends when the app is added to a chat: installationUpdate, then conversationUpdate."""
    install = _base("installationUpdate", service_url, conversation_id=conversation_id, user=ENGINEER, tenant=tenant)
    install["action"] = "add"
    update = _base("conversationUpdate", service_url, conversation_id=conversation_id, user=ENGINEER, tenant=tenant)
    update["membersAdded"] = [{"id": ENGINEER["id"]}, {"id": BOT_ID}]
    return [install, update]
