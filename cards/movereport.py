"""The final report card of a move: what happened first (steps per outcome), then what needs the engineer
(failed and undone steps with their commands), then what went fine.

The card must stay under Teams' 28 KB, and a move of hundreds of groups has thousands of steps: the lists
are filled in that order until the card's byte budget is spent, and whatever does not fit is counted and
left to the downloadable move report, which holds all of it. Nothing is dropped without saying so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from cards.move_parts import STATE_LABEL, STATE_STYLE
from migration.model import name_of
from migration.model.commands import Script
from migration.model.tally import moved_tally, tally
from migration.reports.move import MoveReport, Outcome, StepLine, manual_title

BUDGET_BYTES = 26 * 1024  # of Teams' 28 KB: room for the serializer's overhead and the fallback text
DONE_RESERVE = 2 * 1024  # what the "needs you" list leaves at least for the list of what went fine
NEEDS_SHOWN = 25  # a card several screens long is not read: past these, the report has the rest
DONE_SHOWN = 25
CHECKLIST_MAX = 12
LEFTOVERS_SHOWN = 10
COMMAND_MAX = 600  # longer commands (a group's move names every resource id) stay in the report
COUNT_WORDS = {  # "12 steps: 9 done, 1 failed, ..."
    Outcome.DONE: "done",
    Outcome.FAILED: "failed",
    Outcome.SKIPPED: "not done because a step they wait for failed",
    Outcome.NOT_STARTED: "not started",
    Outcome.RUNNING: "still running",
}
_LEAD = {Outcome.FAILED: "Failed", Outcome.SKIPPED: "Not done", Outcome.NOT_STARTED: "Not started",
         Outcome.RUNNING: "Still running"}


def _size(elements: Sequence[k.Element] | k.Element) -> int:
    items = elements if isinstance(elements, list | tuple) else [elements]
    return sum(len(json.dumps(e.model_dump(mode="json", by_alias=True, exclude_none=True))) + 1 for e in items)


def _fill(entries: Sequence[list[k.Element]], budget: int) -> tuple[list[k.Element], int]:
    """As many entries (each a few elements) as fit in `budget` bytes, in order; and how many did."""
    out: list[k.Element] = []
    used = shown = 0
    for entry in entries:
        cost = _size(entry)
        if used + cost > budget:
            break
        out += entry
        used += cost
        shown += 1
    return out, shown


def summary_line(report: MoveReport) -> str:
    counts = report.counts()
    if not counts:
        return "No steps ran."
    parts = [f"{k.num(n)} {COUNT_WORDS[o]}" for o, n in counts.items()]
    return f"**{k.plural(len(report.steps), 'step')}**: {', '.join(parts)}."


def _undone_entry(s: StepLine, powershell: bool) -> list[k.Element]:
    why = ""
    if s.outcome is Outcome.FAILED and s.error is not None:
        why = f" Azure: {s.error.code}: {k.sentences(s.error.message, 220)[0]}"  # Azure's words may hold the tenant's
    elif s.waits_for:
        why = f" It waits for {k.listed(s.waits_for, shown=4)}, which did not succeed."
    elif s.error is not None:  # a group skipped for a reason of its own
        why = f" {k.sentences(s.error.message, 220)[0]}"
    lead = _LEAD[s.outcome]
    out: list[k.Element] = [k.text(f"**{lead}**: {k.untrusted(s.text)}.{k.untrusted(why)}",
                                   spacing=types.Spacing.SMALL)]
    return out + _command(s.command, powershell)


def _command(command: Script, powershell: bool) -> list[k.Element]:
    """A command to copy, whole: a clipped one would run and do part of the work (or fail). For a POSIX shell,
    and for PowerShell when the card has room for both."""
    if not command:
        return []
    if len(command) > COMMAND_MAX:
        return [k.text(f"Its command ({k.num(len(command))} characters, mostly resource ids) is in the move "
                       "report, to copy from there.", subtle=True, spacing=types.Spacing.NONE)]
    return k.command(command, powershell=powershell)


def _needs_you(report: MoveReport, budget: int) -> tuple[list[k.Element], int, int]:
    """The steps that need the engineer and the fixes the bot cannot make, most urgent first; with PowerShell's
    commands too when that leaves every entry that would fit without them (else those are in the report)."""
    def entries(powershell: bool) -> list[list[k.Element]]:
        out = [_undone_entry(s, powershell) for s in report.undone()]
        return out + [[k.text(f"**The bot cannot do this** ({k.untrusted(m.group)}): "
                              f"{k.untrusted(manual_title(m))}", spacing=types.Spacing.SMALL),
                       *_command(m.command, powershell)] for m in report.manual]

    both = entries(True)
    shown, count = _fill(both[:NEEDS_SHOWN], budget)
    if count < min(len(both), NEEDS_SHOWN):
        posix_only = entries(False)
        shown, count = _fill(posix_only[:NEEDS_SHOWN], budget)
    return shown, count, len(both)


def _done(report: MoveReport, budget: int) -> tuple[list[k.Element], int, int]:
    done = report.done_steps()
    lines: list[str] = []
    used = 0
    for s in done[:DONE_SHOWN]:
        line = f"✓ {k.untrusted(s.text)}"
        if used + len(line) + 4 > budget:
            break
        lines.append(line)
        used += len(json.dumps(line)) + 2
    return ([k.text("\n\n".join(lines), small=True)] if lines else []), len(lines), len(done)


def _banner(report: MoveReport) -> list[k.Element]:
    style = STATE_STYLE.get(report.state)
    if style is None:
        return []
    done, whole = moved_tally(report.groups), tally(report.groups)
    moved = f"{k.num(done.resources)} of {k.plural(whole.resources, 'resource')} moved."
    undone = len(report.undone()) + len(report.manual)
    todo = f" {k.num(undone)} to do by hand (below)." if undone else \
        " Every step is done; the checklist below is yours."
    return [k.note(f"{STATE_LABEL[report.state]}. {moved}{todo}", style=style)]


def _download(report: MoveReport, report_url: str | None, expires_at: datetime | None) -> list[k.Element]:
    ask = f"click New report link (or type `report {k.unbroken_id(report.request_id)}`)"
    if not report_url:
        return [k.text(f"For the whole report to download (CSV, JSON, Markdown, with every command for PowerShell "
                       f"too), {ask}.", subtle=True)]
    base = report_url.removesuffix(".csv")
    until = (f" Anyone with this link can download it until {k.utc(expires_at)} (each download is recorded);"
             if expires_at else " When the link has expired,")
    return [k.text(f"Download the move report ([CSV]({base}.csv) / [JSON]({base}.json) / "
                   f"[Markdown]({base}.md)): every group, step and role assignment, with the commands.{until} "
                   f"{ask} for a fresh one.", spacing=types.Spacing.SMALL)]


def _more(count: int, what: str, has_link: bool) -> k.Element:
    where = "the move report above" if has_link else "the move report"
    return k.text(f"And {k.num(count)} more {what}: every one is in {where}.", subtle=True)


def _checklist(report: MoveReport) -> list[k.Element]:
    if not report.checklist:
        return []
    shown = report.checklist[:CHECKLIST_MAX]
    out: list[k.Element] = [
        k.subheading("Checklist after the move"),
        # Ticked: what the bot did and Azure confirmed afterwards (locks back, role assignments, tags).
        k.facts((("✓ " if c.verified else "") + k.clip(c.title, 60), k.sentences(c.detail, 200)[0]) for c in shown),
    ]
    if len(report.checklist) > len(shown):
        out.append(k.text(f"And {k.num(len(report.checklist) - len(shown))} more in the move report.", subtle=True))
    return out


def _leftovers(report: MoveReport) -> list[k.Element]:
    if not report.leftovers:
        return []
    names = [name_of(i) or i for i in report.leftovers[:LEFTOVERS_SHOWN]]
    more = len(report.leftovers) - len(names)
    listed = ", ".join(names) + (f" and {k.num(more)} more" if more > 0 else "")
    return [k.subheading("Still in the source subscription"),
            k.text(f"{k.plural(len(report.leftovers), 'top-level resource')}: {k.untrusted(listed)}.")]


def _history(report: MoveReport) -> list[k.Element]:
    lines = [f"{k.untrusted(d.action.capitalize())} by {k.untrusted(d.by)}, {k.utc(d.at)}"
             + (f": “{k.untrusted(d.comment)}”" if d.comment else "") for d in report.decisions[-6:]]
    return [k.subheading("History"), k.bullets(lines)] if lines else []


def final_report_card(report: MoveReport, *, report_url: str | None = None,
                      expires_at: datetime | None = None) -> dict[str, Any]:
    """`report_url`: the move report's CSV link (the JSON and Markdown ones end in .json and .md)."""
    facts = [("From", report.source_name or report.source_subscription_id),
             ("To", report.target_name or report.target_subscription_id),
             ("Moved", moved_tally(report.groups).moved_of(tally(report.groups))),
             ("Not moved", k.plural(report.resources - report.moved, "resource"))]
    if report.assignments:
        again = sum(a.recreated for a in report.assignments)
        facts.append(("Role assignments", f"{k.num(again)} of {k.num(len(report.assignments))} re-created"))
    if report.finished_at:
        facts.append(("Finished", k.utc(report.finished_at)))
    head: list[k.Element] = [
        k.heading(f"Move {k.unbroken_id(report.request_id)}: {STATE_LABEL[report.state].lower()}"),
        *_banner(report),
        k.text(summary_line(report), spacing=types.Spacing.MEDIUM),
        k.facts(facts),
        *_download(report, report_url, expires_at),
    ]
    tail = [*_leftovers(report), *_checklist(report), *_history(report)]
    actions: list[k.Action] = []
    if report_url:
        actions.append(k.open_url("Download the move report (CSV)", report_url))
    # Links expire (and a card re-drawn later has none): a click brings a fresh one.
    actions.append(k.execute("New report link", verbs.REQUEST_REPORT, {"requestId": report.request_id}))
    actions.append(k.execute("Status of every group", verbs.REQUEST_STATUS, {"requestId": report.request_id}))
    fixed = len(json.dumps(k.card([*head, *tail], actions, fallback_text="x" * 80)))
    budget = BUDGET_BYTES - fixed - 600  # the subheadings and "And N more" lines below

    body = list(head)
    needs, shown, total = _needs_you(report, budget - min(DONE_RESERVE, budget // 4))
    if total:
        body += [k.subheading("Needs you"), *needs]
        if shown < total:
            body.append(_more(total - shown, "to do by hand", bool(report_url)))
    done, shown_done, total_done = _done(report, budget - _size(needs))
    rest: list[k.Element] = []
    if total_done:
        rest += [k.subheading("Done"), *done]
        if shown_done < total_done:
            rest.append(_more(total_done - shown_done, "done", bool(report_url)))
    # What happened and what needs the engineer on the first screen; what went fine behind "Show all".
    body += k.expandable([*rest, *tail], key="report")
    summary = summary_line(report).replace("**", "")
    return k.card(body, actions, fallback_text=f"Move {report.request_id}: {STATE_LABEL[report.state]}. {summary}")
