"""What the bot's identity may do in a customer's subscriptions, decided from Microsoft.Authorization's
`permissions` answer (actions / notActions, wildcards included) against what a move needs
(`data/access.json`). Pure: no I/O; the gateway reads the permissions, the cards show the result."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from migration.model import Permission

DATA = Path(__file__).parent / "data" / "access.json"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    label: str
    on: str  # source | target | both
    action: str
    role: str  # the least built-in role that grants it
    why: str

    def applies_to(self, side: str) -> bool:
        return self.on in (side, "both")


@dataclass(frozen=True, slots=True)
class Check:
    """One requirement on one subscription: granted or not."""

    requirement: Requirement
    subscription_id: str
    side: str  # source | target
    granted: bool


@cache
def requirements() -> tuple[Requirement, ...]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(Requirement(**p) for p in data["permissions"])


@cache
def lighthouse_limits() -> dict[str, object]:
    data: dict[str, object] = json.loads(DATA.read_text(encoding="utf-8"))["lighthouse"]
    return data


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    # Azure matches operations case-insensitively; "*" stands for any run of characters, "/" included.
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.IGNORECASE)


def matches(pattern: str, action: str) -> bool:
    return bool(_pattern(pattern).match(action))


def allows(permissions: Sequence[Permission], action: str) -> bool:
    """Azure's rule: some entry lists the action in `actions` and not in that same entry's `notActions`."""
    return any(
        any(matches(p, action) for p in entry.actions) and not any(matches(p, action) for p in entry.not_actions)
        for entry in permissions
    )


def evaluate(permissions: Sequence[Permission], *, subscription_id: str, side: str) -> tuple[Check, ...]:
    """Every requirement of `side` (source or target) on one subscription."""
    return tuple(Check(r, subscription_id, side, allows(permissions, r.action))
                 for r in requirements() if r.applies_to(side))


def missing_roles(checks: Sequence[Check]) -> dict[str, tuple[str, ...]]:
    """Subscription id -> the built-in roles to grant there, for what is not granted (least first)."""
    order = ("Reader", "Contributor", "User Access Administrator")
    out: dict[str, set[str]] = {}
    for c in checks:
        if not c.granted:
            out.setdefault(c.subscription_id, set()).add(c.requirement.role)
    result = {}
    for sub, roles in out.items():
        if "Contributor" in roles:
            roles.discard("Reader")  # Contributor includes every read
        result[sub] = tuple(sorted(roles, key=lambda r: order.index(r) if r in order else len(order)))
    return result
