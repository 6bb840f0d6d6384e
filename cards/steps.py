"""The steps of a move plan on the cards: the fixes before the moves, the moves, the follow-through after
them, and the fixes left to the engineer (with their commands). Each step's outcome is on the final report
(cards.movereport)."""

from __future__ import annotations

from collections.abc import Sequence

from adaptive_cards import types
from adaptive_cards.card import InputChoice, InputChoiceSet

from cards import _kit as k
from migration.fixes.families import labels
from migration.model import GroupMove
from migration.model.commands import Script
from migration.model.plan import ChosenFix, PlanStep
from migration.model.tally import tally

STEPS_SHOWN = 8  # per phase; the rest is counted
MANUAL_SHOWN = 5
COMMAND_MAX = 600  # longer commands (many resource ids) are pointed at, never cut
WARNINGS_SHOWN = 6  # what steps before the moves interrupt or lose (their families' texts), said once each


def _lines(steps: Sequence[PlanStep]) -> list[k.Element]:
    shown = [k.untrusted(s.text) for s in steps[:STEPS_SHOWN]]
    out: list[k.Element] = [k.numbered(shown)]
    if len(steps) > STEPS_SHOWN:
        out.append(k.text(f"And {k.plural(len(steps) - STEPS_SHOWN, 'more step')}.", subtle=True))
    return out


def plan_steps(steps: Sequence[PlanStep], groups: Sequence[GroupMove], manual: Sequence[ChosenFix]) -> list[k.Element]:
    """Before, the moves, after; then what stays with the engineer. Approving approves all of it. What the steps
    interrupt is said once, on the card's first screen (`interruptions`)."""
    if not steps and not manual:
        return []
    before = [s for s in steps if s.phase == "before"]
    after = [s for s in steps if s.phase == "after"]
    out: list[k.Element] = [k.subheading("Steps")]
    if before:
        out += [k.text("**Before the moves**"), *_lines(before)]
    out.append(k.text(f"**The moves**: {k.plural(len(groups), 'group')}, side by side.",
                      spacing=types.Spacing.SMALL))
    if after:
        out += [k.text("**After the moves**"), *_lines(after)]
    return out + _manual(manual)


def approved_scope(steps: Sequence[PlanStep], groups: Sequence[GroupMove], *, lead: str) -> list[k.Element]:
    """What one click approves, in one sentence for the first screen: the steps before, the moves (which groups),
    the steps after. `lead`: "Asking for approval requests" on the plan, "Approving runs" on the request."""
    before = sum(1 for s in steps if s.phase == "before")
    after = sum(1 for s in steps if s.phase == "after")
    parts = [f"{k.plural(before, 'step')} in the source subscription first"] if before else []
    parts.append(f"the moves of {tally(groups).said()} "
                 f"({k.untrusted(k.listed([g.source_group for g in groups]))})")
    if after:
        parts.append(f"{k.plural(after, 'step')} after them")
    return [k.text(f"**{lead} all of this:** {'; then '.join(parts)}.", spacing=types.Spacing.MEDIUM)]


def interruptions(steps: Sequence[PlanStep]) -> list[k.Element]:
    """What stops working from a step before the moves until the step after them restores it (a host name
    without its certificate, a stopped job, a NIC without its public IP), said before anyone approves."""
    said = list(dict.fromkeys(s.warning for s in steps if s.phase == "before" and s.warning))
    if not said:
        return []
    lines = [k.untrusted(w) for w in said[:WARNINGS_SHOWN]]
    if len(said) > WARNINGS_SHOWN:
        lines.append(f"And {k.num(len(said) - WARNINGS_SHOWN)} more like these.")
    return [k.box([k.bullets(lines)], style=types.ContainerStyle.WARNING)]


def fix_choice(offered: Sequence[str], kept: Sequence[str]) -> list[k.Element]:
    """The fixes the engineer lets the bot make (every one it can, unless told otherwise)."""
    names = labels()  # each fix family's, in the order they are registered
    choices = [a for a in names if a in offered]
    if not choices:
        return []
    return [InputChoiceSet(
        id="fixes", label="Fixes the bot makes", is_multi_select=True, style=types.ChoiceInputStyle.EXPANDED,
        choices=[InputChoice(title=names[a], value=a) for a in choices],
        value=",".join(a for a in choices if a in kept) or None)]


def _command(command: Script) -> list[k.Element]:
    """A command to copy is shown whole (a clipped one would run and do part of the work, or fail), for a
    POSIX shell and for PowerShell."""
    if not command:
        return []
    if len(command) <= COMMAND_MAX:
        return k.command(command)
    return [k.text(f"Its command ({k.num(len(command))} characters, mostly resource ids) is too long for the card: "
                   "it is in the assessment's CSV export (columns fix_command and fix_command_powershell).",
                   subtle=True, spacing=types.Spacing.NONE)]


def _manual(manual: Sequence[ChosenFix]) -> list[k.Element]:
    if not manual:
        return []
    out: list[k.Element] = [k.text("**Left to you** (the bot cannot do these):")]
    for fix in manual[:MANUAL_SHOWN]:
        if fix.reason:
            out.append(k.text(k.untrusted(fix.reason), spacing=types.Spacing.SMALL))
        out += _command(fix.command)
    if len(manual) > MANUAL_SHOWN:
        out.append(k.text(f"And {k.num(len(manual) - MANUAL_SHOWN)} more.", subtle=True))
    return out
