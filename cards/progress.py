"""Progress of slow work the user waits for (reading resources, assessing, dry run), updated in
place as it goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from adaptive_cards import types

from cards import _kit as k

StepState = Literal["done", "running", "waiting", "failed"]

_MARK = {"done": "✓", "running": "▶", "waiting": "○", "failed": "✗"}
_COLOR = {
    "done": None,  # the ✓ says it; Teams' green fails WCAG AA contrast on its white background
    "running": types.Colors.ACCENT,
    "waiting": None,
    "failed": types.Colors.ATTENTION,
}


@dataclass(frozen=True, slots=True)
class Step:
    label: str  # "Reading resources"
    state: StepState
    done: int | None = None  # with total: "4,000 of 10,000"
    total: int | None = None


def step_line(step: Step) -> str:
    line = step.label
    if step.total is not None:
        line += f": {k.num(step.done or 0)} of {k.num(step.total)}"
    return line


def work_progress_card(
    title: str,
    steps: Sequence[Step],
    *,
    started_at: datetime | None = None,
    updated_at: datetime | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """E.g. "Assessing Contoso Production" with "Reading resources: 4,000 of 10,000" running."""
    current = next((s for s in steps if s.state in ("running", "failed")), None)
    body: list[k.Element] = [k.heading(title)]
    if current is not None:
        body.append(k.text(f"**{k.untrusted(step_line(current))}**", spacing=types.Spacing.SMALL))
    for s in steps:
        # The current step's numbers are in the line above; the list only says where we are.
        body.append(
            k.text(
                f"{_MARK[s.state]} {k.untrusted(s.label if s is current else step_line(s))}",
                color=_COLOR[s.state],
                subtle=s.state == "waiting",
                spacing=types.Spacing.SMALL,
            )
        )
    times = []
    if started_at:
        times.append(f"Started {k.utc(started_at)}")
    if updated_at:
        times.append(f"Updated {k.utc(updated_at)}")
    if times:
        body.append(k.text(". ".join(times) + ".", subtle=True, small=True, spacing=types.Spacing.MEDIUM))
    if note:
        body.append(k.text(k.untrusted(note), subtle=True))
    fallback = f"{title}: {step_line(current)}" if current else title
    return k.card(body, fallback_text=fallback)
