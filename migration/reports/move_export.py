"""The move report as files: CSV for spreadsheets, JSON for tools, Markdown to paste into a ticket.

Each holds every group, step, role assignment, fix left to the engineer and checklist entry: nothing is
capped here (the final card caps, and points here)."""

from __future__ import annotations

import json
from typing import Any

from migration.model import ArmErrorDetail, name_of
from migration.model.commands import Script, Shown
from migration.reports import csv_cells
from migration.reports.assessment_export import command_doc
from migration.reports.markdown import fence
from migration.reports.markdown import literal as md
from migration.reports.move import MoveReport, Outcome, StepLine, manual_title, state_label

_NONE = Script()
CSV_COLUMNS = (
    "section", "phase", "group", "item", "outcome", "azure_code", "azure_message", "fix", "waits_for", "command",
    "command_powershell", "command_note", "principal_id", "principal_type", "role", "scope", "source", "key",
)


def _error(e: ArmErrorDetail | None) -> dict[str, str] | None:
    return None if e is None else {"code": e.code, "message": e.message}


def _step_why(s: StepLine) -> str:
    if s.outcome is Outcome.SKIPPED and s.waits_for:
        return "waits for " + "; ".join(s.waits_for)
    return ""


def to_csv(report: MoveReport) -> str:
    """One row per request, group, step, fix left to the engineer, checklist entry and leftover, with a
    `section` column to filter on. Role assignment steps are rows of section "role assignment"."""
    rows: list[tuple[str, ...]] = []

    def row(section: str, *, phase: str = "", group: str = "", item: str = "", outcome: str = "",
            error: ArmErrorDetail | None = None, fix: str = "", waits: str = "", command: Script = _NONE,
            principal: str = "", principal_type: str = "", role: str = "", scope: str = "", source: str = "",
            key: str = "") -> None:
        shown = Shown.of(command) if command else Shown("", "")
        rows.append((section, phase, group, item, outcome, error.code if error else "", error.message if error else "",
                     fix, waits, shown.posix, shown.powershell, shown.note, principal, principal_type, role, scope,
                     source, key))

    row("request", item=f"{report.request_id}: {report.source_name or report.source_subscription_id} -> "
        f"{report.target_name or report.target_subscription_id}, {report.moved} of {report.resources} resources "
        "moved", outcome=state_label(report.state), key=report.request_id)
    for g in report.groups:
        row("group", group=g.name, item=f"{g.moved} of {g.resources} resources moved to {g.target_group_id}",
            outcome=state_label(g.state), error=g.error, fix=g.fix, command=g.command, scope=g.target_group_id)
    assignments = iter(report.assignments)
    for s in report.steps:
        if s.kind == "recreate_assignment":
            a = next(assignments)
            row("role assignment", phase=s.phase, group=s.group, item=s.text, outcome=s.outcome.label, error=s.error,
                waits=_step_why(s), command=s.command, principal=a.principal_id, principal_type=a.principal_type,
                role=a.role_name or a.role_definition_id, scope=a.scope, source=s.source, key=s.key)
        else:
            row("step", phase=s.phase, group=s.group, item=s.text, outcome=s.outcome.label, error=s.error,
                waits=_step_why(s), command=s.command, source=s.source, key=s.key)
    for m in report.manual:
        row("left to you", group=m.group, item=manual_title(m), outcome="The bot cannot do this",
            command=m.command)
    for c in report.checklist:
        row("checklist", item=f"{c.title}: {c.detail}", outcome="Verified by the bot" if c.verified else "To check")
    for r in report.leftovers:
        row("still in source", item=name_of(r) or r, key=r)
    return csv_cells.to_csv(CSV_COLUMNS, rows)


def to_json(report: MoveReport) -> str:
    doc: dict[str, Any] = {
        "requestId": report.request_id, "state": report.state.value, "stateLabel": state_label(report.state),
        "tenantId": report.tenant_id,
        "source": {"subscriptionId": report.source_subscription_id, "name": report.source_name},
        "target": {"subscriptionId": report.target_subscription_id, "name": report.target_name},
        "requestedBy": report.requested_by, "requestedAt": report.requested_at.isoformat(),
        "finishedAt": report.finished_at.isoformat() if report.finished_at else None,
        "generatedAt": report.generated_at.isoformat(),
        "summary": {"resources": report.resources, "moved": report.moved, "groups": len(report.groups),
                    "steps": len(report.steps),
                    "stepsByOutcome": {o.value: n for o, n in report.counts().items()},
                    "roleAssignments": len(report.assignments),
                    "roleAssignmentsRecreated": sum(a.recreated for a in report.assignments)},
        "decisions": [{"action": d.action, "by": d.by, "at": d.at.isoformat(), "comment": d.comment or None}
                      for d in report.decisions],
        "groups": [{"name": g.name, "targetGroupId": g.target_group_id, "state": g.state.value,
                    "resources": g.resources, "moved": g.moved, "error": _error(g.error), "fix": g.fix or None,
                    "command": command_doc(g.command)} for g in report.groups],
        "steps": [{"key": s.key, "phase": s.phase, "kind": s.kind, "group": s.group or None, "text": s.text,
                   "outcome": s.outcome.value, "outcomeLabel": s.outcome.label, "error": _error(s.error),
                   "waitsFor": list(s.waits_for), "command": command_doc(s.command), "source": s.source or None}
                  for s in report.steps],
        "roleAssignments": [{"principalId": a.principal_id, "principalType": a.principal_type,
                             "roleDefinitionId": a.role_definition_id, "roleName": a.role_name, "scope": a.scope,
                             "sourceScope": a.source_scope, "condition": a.condition or None,
                             "description": a.description or None, "recreated": a.recreated,
                             "outcome": a.outcome.value, "why": a.why or None, "command": command_doc(a.command)}
                            for a in report.assignments],
        "leftToYou": [{"group": m.group, "action": m.action, "command": command_doc(m.command),
                       "reason": m.reason or None} for m in report.manual],
        "checklist": [{"title": c.title, "detail": c.detail, "verifiedByBot": c.verified} for c in report.checklist],
        "stillInSource": list(report.leftovers),
    }
    return json.dumps(doc, indent=1, ensure_ascii=False)


def _commands(script: Script) -> list[str]:
    """A command under a task of the list: for a POSIX shell and for PowerShell, each in a fence its text
    cannot close, and what it carries (names from the customer's tenant, quoted) or why it is withheld."""
    if not script:
        return []
    shown = Shown.of(script)
    if script.withheld:
        return ["", f"  {md(shown.note)}"]
    out = ["", *(f"  {line}" for line in fence(shown.posix, info="sh")),
           "", *(f"  {line}" for line in fence(shown.powershell, info="powershell"))]
    return out + (["", f"  {md(shown.note)}"] if shown.note else [])


def to_markdown(report: MoveReport) -> str:
    """For a ticket: what needs doing first (as a task list with the commands), then what went fine. Every
    text not the bot's own goes through `md` (as the cards' do); commands are fenced."""
    counts = ", ".join(f"{n} {o.label.split(':')[0].lower()}" for o, n in report.counts().items())
    lines = [
        f"# Move {md(report.request_id)}: {state_label(report.state).lower()}",
        "",
        f"- From: {md(report.source_name or '')} ({md(report.source_subscription_id)})",
        f"- To: {md(report.target_name or '')} ({md(report.target_subscription_id)})",
        f"- Customer tenant: {md(report.tenant_id)}",
        f"- Moved: {report.moved} of {report.resources} resources in {len(report.groups)} groups",
        f"- Steps: {len(report.steps)} ({counts or 'none'})",
        *(f"- {md(d.action.capitalize())} by {md(d.by)}, {d.at:%Y-%m-%d %H:%M} UTC"
          + (f": {md(d.comment)}" if d.comment else "") for d in report.decisions),
        *([f"- Finished: {report.finished_at:%Y-%m-%d %H:%M} UTC"] if report.finished_at else []),
        f"- Report made: {report.generated_at:%Y-%m-%d %H:%M} UTC",
    ]
    undone = report.undone()
    if undone or report.manual:
        lines += ["", "## To do by hand", ""]
        for s in undone:
            why = f" Azure: {s.error.code}: {s.error.message}" if s.error else ""
            waits = f" It waits for {'; '.join(s.waits_for)}." if s.waits_for and s.outcome is not Outcome.FAILED \
                else ""
            lines.append(f"- [ ] **{s.outcome.label}**: {md(s.text)}.{md(waits)}{md(why)}")
            lines += _commands(s.command)
        for m in report.manual:
            lines.append(f"- [ ] **The bot cannot do this** ({md(m.group)}): {md(manual_title(m))}")
            lines += _commands(m.command)
    lines += ["", "## Groups", "", "| Group | Moved | State | Azure's error |", "|---|---:|---|---|"]
    lines += [f"| {md(g.name)} | {g.moved} of {g.resources} | {state_label(g.state)} | "
              f"{md(f'{g.error.code}: {g.error.message}') if g.error else ''} |" for g in report.groups]
    if report.assignments:
        lines += ["", "## Role assignments", "", "| Principal | Role | New scope | Re-created | Why not |",
                  "|---|---|---|---|---|"]
        lines += [f"| {md(a.principal_type)} {md(a.principal_id)} | {md(a.role_name or a.role_definition_id)} | "
                  f"{md(a.scope)} | {'yes' if a.recreated else 'no'} | {md(a.why)} |" for a in report.assignments]
    done = report.done_steps()
    if done:
        lines += ["", "## Done", ""] + [f"- [x] {md(s.text)}" for s in done]
    if report.checklist:
        lines += ["", "## Checklist after the move", ""]
        lines += [f"- [{'x' if c.verified else ' '}] **{md(c.title)}**: {md(c.detail)}"
                  + (" (verified by the bot)" if c.verified else "") for c in report.checklist]
    if report.leftovers:
        lines += ["", "## Still in the source subscription", ""] + [f"- {md(r)}" for r in report.leftovers]
    return "\n".join(lines) + "\n"


RENDERERS = {"csv": to_csv, "json": to_json, "md": to_markdown}
