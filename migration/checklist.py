"""The post-move checklist (data/post-move-checklist.json): what must be done by hand after a move."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from migration.workflow import ChecklistEntry

_FILE = Path(__file__).with_name("data") / "post-move-checklist.json"


@cache
def post_move_checklist() -> tuple[ChecklistEntry, ...]:
    data = json.loads(_FILE.read_text(encoding="utf-8"))
    return tuple(ChecklistEntry(item["title"], item["detail"]) for item in data["items"])
