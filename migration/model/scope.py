"""What a move plan covers of the groups the engineer picked: every picked group is in the plan, moves
with another group of it, or is left out for one stated reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LeftOutReason(StrEnum):
    FIX_LEFT_OUT = "fix_left_out"  # a fix it needs is not ticked on the plan
    BY_HAND = "by_hand"  # a fix it needs before its move is one the engineer must make by hand first
    DRY_RUN = "dry_run"  # Azure's dry run refused it for a reason no fix of ours addresses
    NOT_FIXABLE = "not_fixable"  # a problem in the way that no fix of ours makes
    EMPTIED = "emptied"  # nothing left to move once the fixes before the moves ran


@dataclass(frozen=True, slots=True)
class LeftOut:
    group: str
    reason: LeftOutReason


@dataclass(frozen=True, slots=True)
class Joined:
    """A picked group the fixes empty into another group of the plan: its resources move with that one."""

    group: str
    into: str
