"""A scenario whose groups Azure refuses to move: the dry run accepts them, the move itself fails and moves
nothing (the sandbox's scripted `move` outcome on each of their resources)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.support.sandbox import PAYG

REFUSED = {"code": "ResourceMoveFailed", "message": "The resource move operation failed; no resource was moved."}


def refused_moves(data: dict[str, Any], groups: Iterable[str], *, source: str = PAYG) -> dict[str, Any]:
    """`data` with every resource of these groups of `source` refused at the move (changed in place, returned)."""
    names = set(groups)
    payg = next(s for s in data["subscriptions"] if s["id"] == source)
    for group in payg["resourceGroups"]:
        if group["name"] in names:
            for resource in group["resources"]:
                resource.setdefault("outcome", {})["move"] = REFUSED
    return data
