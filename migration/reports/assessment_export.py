"""The assessment export: every resource with its findings, as CSV and JSON (the expiring download links
live in `storage.reports`)."""

from __future__ import annotations

import json
from typing import Any

from migration.assessment.assess import resource_verdicts, summarize
from migration.assessment.dryrun import azure_verdict
from migration.model import Assessment, Finding, GroupAssessment
from migration.model.commands import Script, Shown
from migration.reports import csv_cells

CSV_COLUMNS = (
    "resource_group", "group_verdict", "azure_dry_run", "resource_name", "resource_type", "location",
    "resource_verdict", "rule_id", "severity", "message", "remediation", "source", "resource_id",
    "fix_action", "fix_command", "fix_command_powershell", "after_move", "after_move_command",
    "after_move_command_powershell", "command_note",
)


def _dry_run_text(group: GroupAssessment) -> str:
    if group.dry_run is None:
        return "not run"
    return "valid" if group.dry_run.valid else "refused"


def command_doc(script: Script) -> dict[str, Any] | None:
    """A command in a JSON export: its arguments, both renderings and the note that goes with them."""
    if not script:
        return None
    shown = Shown.of(script)
    return {"argv": [list(c.argv) for c in script], "posix": shown.posix, "powershell": shown.powershell,
            "note": shown.note or None}


def _finding(f: Finding) -> dict[str, Any]:
    return {"ruleId": f.rule_id, "severity": f.severity.value, "message": f.message,
            "remediation": f.remediation, "source": f.source,
            "fix": None if f.fix is None else {"action": f.fix.action.value, "resourceIds": list(f.fix.resource_ids),
                                               "command": command_doc(f.fix.command),
                                               "after": command_doc(f.fix.after), "afterNote": f.fix.after_note or None,
                                               "source": f.fix.source}}


def to_csv(assessment: Assessment) -> str:
    """One row per (resource, finding); a resource without findings still gets a row. Group-level findings
    have no resource; subscription-level ones have no group."""
    verdicts = resource_verdicts(assessment)
    by_resource: dict[str, list[Finding]] = {}
    for f in assessment.findings:
        if f.resource_id:
            by_resource.setdefault(f.resource_id.lower(), []).append(f)
    resources = {g.name.lower(): [] for g in assessment.groups}  # type: dict[str, list[Any]]
    for r in assessment.resources:
        resources.setdefault(r.resource_group.lower(), []).append(r)
    rows: list[list[str]] = []

    def row(group: str, gv: str, dry: str, name: str, type_: str, loc: str, rv: str, f: Finding | None,
            rid: str) -> None:
        fix = f.fix if f else None
        command = Shown.of(fix.command) if fix and fix.command else Shown("", "")
        after = Shown.of(fix.after) if fix and fix.after else Shown("", "")
        rows.append([group, gv, dry, name, type_, loc, rv, f.rule_id if f else "", f.severity.value if f else "",
                     f.message if f else "", f.remediation if f else "", f.source if f else "", rid,
                     fix.action.value if fix else "", command.posix, command.powershell,
                     fix.after_note if fix else "", after.posix, after.powershell,
                     " ".join(dict.fromkeys(n for n in (command.note, after.note) if n))])

    for f in assessment.preconditions:
        row("", "", "", "", "", "", "", f, "")
    for g in assessment.groups:
        gv, dry = g.verdict.value, _dry_run_text(g)
        for f in g.findings:
            if not f.resource_id:
                row(g.name, gv, dry, "", "", "", "", f, "")
        for r in resources.get(g.name.lower(), ()):
            rv = verdicts[r.id].value
            found: list[Finding | None] = [*by_resource.get(r.id.lower(), ())] or [None]
            for finding in found:
                row(g.name, gv, dry, r.name, r.type, r.location, rv, finding, r.id)
    return csv_cells.to_csv(CSV_COLUMNS, rows)


def to_json(assessment: Assessment) -> str:
    verdicts = resource_verdicts(assessment)
    s = summarize(assessment)
    by_resource: dict[str, list[Finding]] = {}
    for f in assessment.findings:
        if f.resource_id:
            by_resource.setdefault(f.resource_id.lower(), []).append(f)
    members: dict[str, list[Any]] = {}
    for r in assessment.resources:
        members.setdefault(r.resource_group.lower(), []).append(r)

    def sub(x: Any) -> dict[str, Any] | None:
        return None if x is None else {"id": x.id, "name": x.display_name, "tenantId": x.tenant_id,
                                       "state": x.state, "quotaId": x.quota_id}

    doc = {
        "tenantId": assessment.tenant_id,
        "assessedAt": assessment.assessed_at.isoformat() if assessment.assessed_at else None,
        "source": sub(assessment.source), "target": sub(assessment.target),
        "offer": {"name": assessment.offer.name, "category": assessment.offer.category},
        "moveSupportSource": assessment.catalog_source,
        "summary": {
            "resources": s.resources, "groups": s.groups,
            "groupsByVerdict": {k.value: v for k, v in s.groups_by_verdict.items()},
            "resourcesByVerdict": {k.value: v for k, v in s.resources_by_verdict.items()},
            "findingsByRule": dict(s.findings_by_rule), "disagreements": s.disagreements,
        },
        "preconditions": [_finding(f) for f in assessment.preconditions],
        "manualChecks": [{"ruleId": m.rule_id, "title": m.title, "howToCheck": m.how_to_check, "source": m.source}
                         for m in assessment.manual_checks],
    }

    def group_doc(g: GroupAssessment) -> dict[str, Any]:
        return {
            "name": g.name, "verdict": g.verdict.value, "azureVerdict": azure_verdict(g).value,
            "finalVerdict": g.final_verdict.value,
            "consolidateWith": list(g.consolidate_with),
            "dryRun": None if g.dry_run is None else {
                "valid": g.dry_run.valid, "targetGroupId": g.dry_run.target_group_id,
                "disagreement": g.dry_run.disagreement,
                "errors": [{"code": d.code, "message": d.message, "target": d.target}
                           for e in g.dry_run.errors for d in e.walk()]},
            "findings": [_finding(f) for f in g.findings if not f.resource_id],
            "resources": [{"id": r.id, "name": r.name, "type": r.type, "location": r.location,
                           "verdict": verdicts[r.id].value,
                           "findings": [_finding(f) for f in by_resource.get(r.id.lower(), ())]}
                          for r in members.get(g.name.lower(), ())],
        }

    # Group by group: a 50,000-resource report as one dict of dicts would double the worker's peak memory.
    pieces = [json.dumps(doc, indent=1, ensure_ascii=False)[:-2], ',\n "groups": [\n']  # the head without "\n}"
    for i, g in enumerate(assessment.groups):
        pieces += [",\n"] if i else []
        pieces.append(json.dumps(group_doc(g), indent=1, ensure_ascii=False))
    pieces.append("\n ]\n}")
    return "".join(pieces)
