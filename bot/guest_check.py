"""Whether the person speaking is a guest (B2B) of the partner's tenant, the same on both Teams edges.

The activity's `from.userRole` says so when Teams sends it; else the Teams roster's `userRole` for them
(TeamsChannelAccount, learn.microsoft.com/javascript/api/botframework-schema/teamschannelaccount), asked once
per person and conversation and kept for a while. Each edge reads the first and asks the roster its own way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

GUEST_CACHE_SECONDS = 600.0
# The roster's answer for one member: their userRole ("user", "guest"), or None when it does not say.
Roster = Callable[[], Awaitable[str | None]]


class GuestCheck:
    def __init__(self, *, strict: bool, seconds: float = GUEST_CACHE_SECONDS) -> None:
        self._strict = strict  # a roster that cannot answer means "refuse" (a registered bot)
        self._seconds = seconds
        self._known: dict[str, tuple[float, bool]] = {}

    async def is_guest(self, *, kind: str | None, conversation_id: str, sender_id: str | None, said_role: object,
                       roster: Roster) -> bool:
        """`kind` the activity's type; `said_role` the activity's from.userRole (anything, as sent)."""
        if sender_id is None or kind not in ("message", "invoke"):
            return False
        if isinstance(said_role, str):
            return said_role.lower() != "user"
        key, now = f"{conversation_id}|{sender_id}", time.monotonic()
        known = self._known.get(key)
        if known is not None and now - known[0] < self._seconds:
            return known[1]
        try:
            guest = str(await roster() or "user").lower() != "user"
        except Exception:  # noqa: BLE001 - any failure of the roster: the strict answer
            log.warning("the Teams roster did not say who %s is", str(sender_id)[:40])
            guest = self._strict
        self._known[key] = (now, guest)
        return guest
