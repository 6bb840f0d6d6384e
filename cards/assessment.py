"""Assessment cards: the summary, blocker details page by page, and Azure's dry-run results.

Every list is cut to a fixed number of rows plus "and N more", so a 10,000-resource subscription
stays far below Teams' 28 KB limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from migration.model import Assessment, Finding, GroupAssessment, ResourceId, Rule, Severity, Verdict
from migration.model.commands import Script

TOP_BLOCKERS = 5
TOP_GROUPS = 15
BLOCKERS_PER_PAGE = 10
DRY_RUNS_PER_PAGE = 10

VERDICT_LABEL = {
    Verdict.READY: "Ready",
    Verdict.AZURE_DECIDES: "Azure decides",
    Verdict.READY_AFTER_FIXES: "Ready after fixes",
    Verdict.BLOCKED: "Blocked",
}
SEVERITY_LABEL = {
    Severity.BLOCKER: "Blocked",
    Severity.FIX_FIRST: "Fix first",
    Severity.AZURE_DECIDES: "Azure decides",
    Severity.WARNING: "Warning",
    Severity.INFO: "Info",
}
# What stands before a move (warnings and info go to the post-move checklist), worst first.
STOPPING = (Severity.BLOCKER, Severity.FIX_FIRST, Severity.AZURE_DECIDES)
_COUNTED = {Severity.BLOCKER: "blocked", Severity.FIX_FIRST: "fix first", Severity.AZURE_DECIDES: "Azure decides"}
VERDICTS = (Verdict.READY, Verdict.AZURE_DECIDES, Verdict.READY_AFTER_FIXES, Verdict.BLOCKED)
# Ready groups first: the table answers "what can move now".
_VERDICT_ORDER = {v: i for i, v in enumerate(VERDICTS)}


def _ids(assessment: Assessment) -> dict[str, str]:
    return {"tenantId": assessment.tenant_id, "subscriptionId": assessment.source.id}


def _rule_title(rule_id: str, rules: Mapping[str, Rule]) -> str:
    rule = rules.get(rule_id)
    return rule.title if rule else f"Rule {rule_id}"


def stopping_findings(assessment: Assessment) -> list[Finding]:
    """Blockers, then fix-first findings, then what Azure decides; subscription-level ones first."""
    found = [f for f in assessment.findings if f.severity in STOPPING]
    return sorted(found, key=lambda f: (f.resource_group is not None, STOPPING.index(f.severity)))


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the blockers list: a resource (or a group, or the subscription) with all its findings."""

    name: str
    kind: str  # the resource type's last segment, "group" or "subscription"
    group: str | None
    findings: tuple[Finding, ...]

    @property
    def severity(self) -> Severity:
        return min((f.severity for f in self.findings), key=STOPPING.index)


def blocker_entries(assessment: Assessment) -> list[Entry]:
    """Each resource once, with every finding that stands before its move; the subscription first, then the
    worst (blocked, fix first, Azure decides), then by group and name."""
    by_key: dict[tuple[str, str], list[Finding]] = {}
    for f in stopping_findings(assessment):
        if f.resource_id:
            key = ("resource", f.resource_id.lower())
        elif f.resource_group:
            key = ("group", f.resource_group.lower())
        else:
            key = ("subscription", "")
        by_key.setdefault(key, []).append(f)
    entries: list[Entry] = []
    for (scope, _), found in by_key.items():
        first = found[0]
        if scope == "resource" and first.resource_id:
            rid = ResourceId.parse(first.resource_id) if ResourceId.is_valid(first.resource_id) else None
            _, kind, name = rid.levels[-1] if rid is not None and rid.levels else ("", "resource", first.resource_id)
            entries.append(Entry(name, kind, first.resource_group, tuple(found)))
        elif scope == "group":
            entries.append(Entry(first.resource_group or "", "group", first.resource_group, tuple(found)))
        else:
            entries.append(Entry(assessment.source.display_name, "subscription", None, tuple(found)))
    return sorted(entries, key=lambda e: (e.group is not None, STOPPING.index(e.severity), (e.group or "").lower(),
                                          e.kind != "group", e.name.lower()))


def _ordered_groups(groups: Sequence[GroupAssessment]) -> list[GroupAssessment]:
    return sorted(groups, key=lambda g: (_VERDICT_ORDER[g.final_verdict], -g.resource_count, g.name))


def assessment_summary_card(
    assessment: Assessment,
    *,
    rules: Mapping[str, Rule] | None = None,
    top_groups: int = TOP_GROUPS,
    report_url: str | None = None,
) -> dict[str, Any]:
    """`report_url`: the CSV export (the JSON one is the same address ending in .json)."""
    rules = rules or {}
    groups = assessment.groups
    source = assessment.source
    body: list[k.Element] = [
        k.heading(f"Assessment: {source.display_name}"),
        k.facts(
            [
                ("Subscription", source.id),
                ("Offer", assessment.offer.name),
                ("Target", assessment.target.display_name if assessment.target else "not chosen yet"),
                ("Resources", f"{k.num(assessment.resource_count)} in {k.plural(len(groups), 'group')}"),
                ("Assessed", k.utc(assessment.assessed_at)),
            ]
        ),
    ]
    if not assessment.offer.source_allowed:
        body.append(
            k.note(
                f"{k.untrusted(assessment.offer.name)} subscriptions cannot be moved to CSP by this bot.",
                style=types.ContainerStyle.ATTENTION,
            )
        )
    elif assessment.offer.note:
        body.append(k.text(k.untrusted(assessment.offer.note), subtle=True))

    # Counts per verdict, in groups and resources; where Azure's dry run disagrees, its answer counts.
    by_verdict = Counter(g.final_verdict for g in groups)
    resources_by_verdict: Counter[Verdict] = Counter()
    for g in groups:
        resources_by_verdict[g.final_verdict] += g.resource_count
    body += [
        k.subheading("Readiness"),
        k.table(
            ["Verdict", "Groups", "Resources"],
            [(VERDICT_LABEL[v], k.num(by_verdict[v]), k.num(resources_by_verdict[v])) for v in VERDICTS
             if v is not Verdict.AZURE_DECIDES or by_verdict[v]],
            widths=[3, 1, 1],
            numeric=(1, 2),
        ),
    ]
    overruled = [g.name for g in groups if g.dry_run is not None and g.final_verdict is not g.verdict]
    if overruled:
        body.append(k.text(f"Azure's dry run overruled the rules for {k.plural(len(overruled), 'group')} "
                           f"({k.untrusted(', '.join(overruled[:3]))}{', ...' if len(overruled) > 3 else ''}); "
                           "its answer is what counts here.", small=True))
    if by_verdict[Verdict.AZURE_DECIDES]:
        body.append(k.text("Azure decides: types Microsoft's table does not list. Azure's dry run gives the answer "
                           "before any move.", subtle=True, small=True))

    # Subscription-level preconditions stop every group, so they come before anything else.
    stopping_pre = [f for f in assessment.preconditions if f.severity in STOPPING]
    if stopping_pre:
        body.append(
            k.box(
                [k.text("**Before any move**"),
                 k.bullets(k.untrusted(k.sentences(f.message, 160)[0]) for f in stopping_pre[:5])],
                style=types.ContainerStyle.WARNING,
            )
        )

    # What stands before the move, by rule: blocked (redeploy) and fix first (a step in the source) counted apart.
    blocked: Counter[str] = Counter()
    fixes: Counter[str] = Counter()
    groups_hit: dict[str, set[str]] = {}
    for g in groups:
        for f in g.findings:
            if f.severity in (Severity.BLOCKER, Severity.FIX_FIRST):
                (blocked if f.severity is Severity.BLOCKER else fixes)[f.rule_id] += 1
                groups_hit.setdefault(f.rule_id, set()).add(g.name)
    counts = blocked + fixes
    if counts:
        top = sorted(counts, key=lambda r: (-blocked[r], -fixes[r], r))[: (top_n := TOP_BLOCKERS)]
        body += [
            k.subheading("What stands in the way"),
            k.table(
                ["Problem", "Blocked", "Fix first", "Groups"],
                [(_rule_title(r, rules), k.num(blocked[r]), k.num(fixes[r]), k.num(len(groups_hit[r]))) for r in top],
                widths=[4, 1, 1, 1],
                numeric=(1, 2, 3),
            ),
        ]
        if len(counts) > top_n:
            body.append(k.text(f"And {k.plural(len(counts) - top_n, 'other problem')}.", subtle=True))

    ordered = _ordered_groups(groups)
    shown = ordered[:top_groups]
    body += [
        k.subheading("Resource groups"),
        k.table(
            ["Group", "Resources", "Verdict"],
            [(k.clip(g.name, 60), k.num(g.resource_count), VERDICT_LABEL[g.final_verdict]) for g in shown],
            widths=[4, 2, 2],
            numeric=(1,),
        ),
    ]
    if len(ordered) > len(shown):
        body.append(k.text(f"And {k.plural(len(ordered) - len(shown), 'more group')}.", subtle=True))

    if assessment.manual_checks:
        body += [
            k.subheading("Check by hand"),
            k.text("The data cannot decide these. Check them before the move.", subtle=True),
            k.bullets(k.untrusted(k.sentences(m.title, 120)[0]) for m in assessment.manual_checks[:5]),
        ]
        if len(assessment.manual_checks) > 5:
            body.append(k.text(f"And {k.num(len(assessment.manual_checks) - 5)} more.", subtle=True))

    if assessment.catalog_source:
        body.append(k.text(f"Move support from {k.untrusted(assessment.catalog_source)}.", subtle=True, small=True))
    if not report_url:
        body.append(k.text("The export of every resource is linked once, on the card of the assessment that made "
                           "it (the bot keeps no working link); assess the subscription again for a new one.",
                           small=True, subtle=True, spacing=types.Spacing.MEDIUM))
    else:
        # A link in the text, not a sixth button: Teams cuts off a row of five at chat width.
        json_url = report_url.removesuffix(".csv") + ".json"
        body.append(
            k.text(
                f"Every resource with its findings: [download CSV]({report_url}) · [JSON]({json_url}). "
                "Anyone with this link can download it for 24 hours; each download is recorded.",
                small=True,
                spacing=types.Spacing.MEDIUM,
            )
        )
    ids = _ids(assessment)
    actions: list[k.Action] = []
    # Fix-first preconditions (a provider to register) do not hide the button; blockers do.
    hard_stop = any(f.severity is Severity.BLOCKER for f in stopping_pre)
    movable = sum(1 for g in groups if g.can_move)
    if movable and assessment.offer.source_allowed and not hard_stop:
        actions.append(
            k.execute(
                "Move ready groups",
                verbs.MOVE_START,
                {"tenantId": assessment.tenant_id, "sourceSubscriptionId": source.id},
                style=types.ActionStyle.POSITIVE,
            )
        )
    if stopping_findings(assessment):
        actions.append(k.execute("Show blockers", verbs.ASSESSMENT_BLOCKERS, {**ids, "page": 1}))
    if any(g.dry_run for g in groups):
        actions.append(k.execute("Show dry run", verbs.ASSESSMENT_DRY_RUN, {**ids, "page": 1}))
    actions.append(k.execute("Assess again", verbs.ASSESS_RUN, ids))
    ready = by_verdict[Verdict.READY]
    return k.card(
        body,
        actions,
        fallback_text=f"Assessment: {k.plural(ready, 'group')} ready to move.",
    )


def _pager(verb: str, ids: Mapping[str, Any], page: int, pages: int) -> list[k.Action]:
    """Previous / Next buttons; the first page has no Previous, the last no Next."""
    out: list[k.Action] = []
    if page > 1:
        out.append(k.execute("Previous page", verb, {**ids, "page": page - 1}))
    if page < pages:
        out.append(k.execute("Next page", verb, {**ids, "page": page + 1}))
    return out


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def clamp_page(page: int, pages: int) -> int:
    """A stale card may ask for a page that no longer exists; show the nearest one."""
    return min(max(1, page), pages)


def blockers_card(
    assessment: Assessment,
    *,
    page: int = 1,
    per_page: int = BLOCKERS_PER_PAGE,
    rules: Mapping[str, Rule] | None = None,
) -> dict[str, Any]:
    """Each resource once with all its findings: what it is, which kind (blocked / fix first / Azure decides),
    the step with its command (real names), and the source."""
    rules = rules or {}
    entries = blocker_entries(assessment)
    pages = page_count(len(entries), per_page)
    page = clamp_page(page, pages)
    start = (page - 1) * per_page
    kinds = Counter(e.severity for e in entries)
    counted = ", ".join(f"{k.num(kinds[s])} {_COUNTED[s]}" for s in STOPPING if kinds[s])
    body: list[k.Element] = [
        k.heading(f"Blockers: {assessment.source.display_name}"),
        k.text(
            f"{k.num(len(entries))} found. Page {k.num(page)} of {k.num(pages)}." if entries
            else "Nothing stops the move.",
            subtle=True,
            spacing=types.Spacing.SMALL,
        ),
    ]
    if entries:
        body.append(k.text(f"{counted[:1].upper()}{counted[1:]}.", spacing=types.Spacing.NONE))
    for i, e in enumerate(entries[start : start + per_page]):
        # Default (dark) text for "Fix first": Teams' yellow fails WCAG AA contrast on its white background.
        color = {Severity.BLOCKER: types.Colors.ATTENTION, Severity.FIX_FIRST: None}.get(e.severity,
                                                                                         types.Colors.ACCENT)
        where = f"Group {k.untrusted(e.group)}" if e.group else "Whole subscription"
        items: list[k.Element] = [
            k.text(f"**{start + i + 1}. {k.untrusted(k.clip(e.name, 60))}** ({k.untrusted(e.kind)}) · "
                   f"{SEVERITY_LABEL[e.severity]}",
                   color=color),
            k.text(where, subtle=True, small=True, spacing=types.Spacing.NONE),
        ]
        for f in e.findings[:4]:
            items += [
                k.text(f"**{k.untrusted(_rule_title(f.rule_id, rules))}** · {SEVERITY_LABEL[f.severity]}: "
                       f"{k.untrusted(k.sentences(f.message, 200)[0])}", spacing=types.Spacing.SMALL),
                k.text(f"**Fix:** {k.untrusted(k.sentences(f.remediation, 220)[0])} [Source]({f.source})",
                       spacing=types.Spacing.NONE),
            ]
            if f.fix is not None and f.fix.command:
                items += _fix_command(f.fix.command)
        if len(e.findings) > 4:
            items.append(k.text(f"And {k.plural(len(e.findings) - 4, 'more finding')} in the report.", subtle=True,
                                small=True))
        block = k.box(items)
        block.separator = i > 0 or None
        body.append(block)
    if any(f.fix is not None and f.fix.command for e in entries[start:start + per_page] for f in e.findings[:4]):
        body.append(k.text("The commands are for bash; for PowerShell, each is in the CSV export (column "
                           "fix_command_powershell).", subtle=True, small=True, spacing=types.Spacing.MEDIUM))
    ids = _ids(assessment)
    actions = _pager(verbs.ASSESSMENT_BLOCKERS, ids, page, pages)
    actions.append(k.execute("Back to summary", verbs.ASSESSMENT_SUMMARY, ids))
    return k.card(body, actions, fallback_text=f"{k.num(len(entries))} blockers, page {page} of {pages}.")


COMMAND_MAX = 600  # longer commands (many resource ids) are pointed at, never cut


def _fix_command(script: Script) -> list[k.Element]:
    """The fix's command for a POSIX shell, whole (a clipped one would run and do part of the work); the
    PowerShell one is in the CSV export, where a page of ten resources has room for it."""
    if len(script) > COMMAND_MAX:
        return [k.text(f"Its command ({k.num(len(script))} characters, mostly resource ids) is in the CSV export "
                       "(columns fix_command and fix_command_powershell).", subtle=True, spacing=types.Spacing.NONE)]
    return k.command(script, powershell=False)


def dry_run_card(
    assessment: Assessment,
    *,
    page: int = 1,
    per_page: int = DRY_RUNS_PER_PAGE,
) -> dict[str, Any]:
    """Azure's validateMoveResources answer per group, failures first."""
    runs = [g.dry_run for g in assessment.groups if g.dry_run is not None]
    runs.sort(key=lambda d: (d.valid, d.disagreement is None, d.resource_group))
    passed = sum(1 for d in runs if d.valid)
    failed = len(runs) - passed
    pages = page_count(len(runs), per_page)
    page = clamp_page(page, pages)
    start = (page - 1) * per_page
    body: list[k.Element] = [
        k.heading(f"Dry run: {assessment.source.display_name}"),
        k.text(
            "Azure checked each group's move without moving anything.",
            subtle=True,
            spacing=types.Spacing.SMALL,
        ),
        k.facts(
            [
                ("Passed", k.plural(passed, "group")),
                ("Failed", k.plural(failed, "group")),
                ("Not checked", k.plural(len(assessment.groups) - len(runs), "group")),
            ]
        ),
    ]
    if runs:
        body.append(k.subheading("Failures first" if failed else "Groups"))
    if pages > 1:
        body.append(k.text(f"Page {k.num(page)} of {k.num(pages)}.", subtle=True, spacing=types.Spacing.SMALL))
    for d in runs[start : start + per_page]:
        items: list[k.Element] = [
            k.text(
                f"**{k.untrusted(k.clip(d.resource_group, 60))}**: {'passed' if d.valid else 'failed'}",
                color=None if d.valid else types.Colors.ATTENTION,  # Teams' green fails WCAG AA on white
            )
        ]
        if d.disagreement:
            items.append(k.text(k.untrusted(k.sentences(d.disagreement, 160)[0]), spacing=types.Spacing.NONE))
        errors = [e for top in d.errors for e in top.walk() if not e.details] or list(d.errors)
        for e in errors[:2]:
            items.append(k.text(f"{k.untrusted(e.code)}: {k.untrusted(k.sentences(e.message, 200)[0])}", small=True,
                                spacing=types.Spacing.NONE))
        if len(errors) > 2:
            items.append(k.text(f"And {k.plural(len(errors) - 2, 'more error')}.", subtle=True, small=True))
        body.append(k.box(items))
    ids = _ids(assessment)
    actions = _pager(verbs.ASSESSMENT_DRY_RUN, ids, page, pages)
    actions.append(k.execute("Back to summary", verbs.ASSESSMENT_SUMMARY, ids))
    return k.card(body, actions, fallback_text=f"Dry run: {passed} passed, {failed} failed.")
