"""The post-move checklist (data/post-move-checklist.json): what must be done by hand after a move."""

from __future__ import annotations

import json
from collections.abc import Sequence, Set
from dataclasses import replace
from functools import cache

from migration import DATA_DIR
from migration.model.plan import PlanStep
from migration.model.records import ChecklistEntry, StepRecord, StepStatus

_FILE = DATA_DIR / "post-move-checklist.json"


@cache
def post_move_checklist() -> tuple[ChecklistEntry, ...]:
    data = json.loads(_FILE.read_text(encoding="utf-8"))
    return tuple(ChecklistEntry(item["title"], item["detail"], kinds=tuple(item.get("doneBy", ())))
                 for item in data["items"])


def tick(checklist: Sequence[ChecklistEntry], steps: Sequence[PlanStep], records: Sequence[StepRecord],
         verified: Set[str] | None = None) -> tuple[ChecklistEntry, ...]:
    """Tick the entries the bot did itself: every step of their kinds succeeded (and there was one), and,
    when `verified` is given, Azure confirmed each of them afterwards."""
    ok = {r.key for r in records if r.status is StepStatus.SUCCEEDED}
    if verified is not None:
        ok &= set(verified)
    out = []
    for entry in checklist:
        mine = [s for s in steps if s.kind.value in entry.kinds]
        out.append(replace(entry, done=bool(mine) and all(s.key in ok for s in mine)))
    return tuple(out)
