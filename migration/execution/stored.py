"""How a move request is kept in the document store: its collections, its id, its JSON, and which states
the runner and the claims care about.

Collections in the document store:
- `requests`: key = request id; the MoveRequest plus what the runner and the notifier keep with it.
- `audit`: append-only, key = "{request id}/{iso time}/{uuid}", written with etag="" (never replaced).
- `settings`: small shared values, e.g. the approvals conversation (written by the notifier).
- `claims`: which open request holds a source group; `active` and `timeline`: indexes by state and by time.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from migration.model import MoveRequest, RequestState
from migration.model.codec import decode, to_json
from migration.model.records import AuditEntry, StoredRequest
from migration.model.store import DocumentStore

REQUESTS = "requests"
AUDIT = "audit"
SETTINGS = "settings"
CLAIMS = "claims"  # key = "{source subscription}/{group}" (lower case) -> the request holding the group
# Indexes, so neither the runner nor `history` reads every request ever stored:
ACTIVE = "active"  # key = request id: approved, running, or finished with its report not sent yet
TIMELINE = "timeline"  # key = newest-first time + request id: every request, for paging the history

ID_PREFIX = "MR-"
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # base32 without I, O, 0, 1: easy to read and type
# Hyphens a copied id may carry (cards show ids with a non-breaking one, so they never wrap mid-word).
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})

OPEN = frozenset({RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.APPROVED})
RUNNING = frozenset({RequestState.VALIDATING, RequestState.MOVING})
RUN_FINAL = frozenset({RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})
# A group in a request in one of these states is taken: it cannot be put in another request.
HOLDING = frozenset({RequestState.PENDING_APPROVAL, RequestState.APPROVED, RequestState.VALIDATING,
                     RequestState.MOVING})

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def normalize_id(value: str) -> str:
    """What people type or copy from a card (`mr-ab12cd`, `AB12CD`, `MR‑AB12CD` with the cards' non-breaking
    hyphen) -> the stored id (`MR-AB12CD`)."""
    value = value.strip().upper().translate(_DASHES)
    return value if value.startswith(ID_PREFIX) else ID_PREFIX + value


def new_request_id() -> str:
    return ID_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


def is_active(stored: StoredRequest) -> bool:
    """The runner still has something to do (or to report) for this request."""
    return stored.state in RUNNING or stored.state is RequestState.APPROVED or (
        stored.state in RUN_FINAL and not stored.report_sent)


def timeline_key(request: MoveRequest) -> str:
    newest_first = 10**11 - int(request.requested_at.timestamp() * 10)  # tenths of a second, inverted
    return f"{newest_first:012d}-{request.id}"


async def read(store: DocumentStore, request_id: str) -> StoredRequest | None:
    record = await store.get(REQUESTS, normalize_id(request_id))
    return stored_from_json(record.value, record.etag) if record else None


# The generic codec (snake_case keys, ISO 8601 datetimes); the etag lives in the record, not the value.


def stored_to_json(s: StoredRequest) -> dict[str, Any]:
    value: dict[str, Any] = to_json(s)
    value.pop("etag", None)
    return value


def stored_from_json(d: Mapping[str, Any], etag: str) -> StoredRequest:
    return decode(StoredRequest, {**d, "etag": etag})


def audit_to_json(e: AuditEntry) -> dict[str, Any]:
    value: dict[str, Any] = to_json(e)
    return value


def audit_from_json(d: Mapping[str, Any]) -> AuditEntry:
    return decode(AuditEntry, d)
