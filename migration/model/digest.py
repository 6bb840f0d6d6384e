"""Canonical JSON digests: what an approval names, and what links the audit trail's entries.

The canonical form is JSON with sorted keys, no insignificant white space and UTF-8 text (RFC 8785's
shape for the values the bot keeps: strings, integers, booleans, null, lists and objects), hashed with
SHA-256. An auditor recomputes it with any JSON library: `json.dumps(v, sort_keys=True,
separators=(",", ":"), ensure_ascii=False).encode()`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from migration.model.codec import to_json
from migration.model.records import StoredRequest

SHORT = 12  # hex digits of a digest shown on a card: enough to compare by eye


def canonical(value: Any) -> bytes:
    return json.dumps(to_json(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def plan_of(stored: StoredRequest) -> dict[str, Any]:
    """Exactly what an approval approves: where from and to, each group with its resources, target and
    order, every step the bot carries out, the fixes left to people, and the plan's revision. How far the
    move got (group states, counts, records) is not part of it: it changes as the approved plan runs."""
    request = stored.request
    return {
        "request": request.id,
        "tenant": request.tenant_id,
        "source_subscription": request.source_subscription_id,
        "target_subscription": request.target_subscription_id,
        "groups": [{"source_group": g.source_group, "target_group_id": g.target_group_id, "location": g.location,
                    "resource_ids": list(g.resource_ids), "after": list(g.after)} for g in request.groups],
        "steps": to_json(stored.fix_steps),
        "manual_fixes": to_json(stored.manual_fixes),
        "revision": stored.revision,
    }


def plan_digest(stored: StoredRequest) -> str:
    return digest(plan_of(stored))


def short(value: str) -> str:
    """A digest as a card shows it: its first digits in groups of four."""
    head = value[:SHORT]
    return " ".join(head[i:i + 4] for i in range(0, len(head), 4))
