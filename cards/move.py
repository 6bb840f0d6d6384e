"""Move request cards: target groups to create, plan, approval (user-specific views), progress, status
and history (the final report is in cards.movereport)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from cards.steps import approved_scope, fix_choice, interruptions, plan_steps
from migration.azure.explain import reason_and_fix
from migration.fixes.families import labels
from migration.model import DryRun, GroupMove, GroupState, MoveRequest, RequestState, name_of
from migration.model.digest import short
from migration.model.plan import ChosenFix, PlanStep

TOP_GROUPS = 15
REASON_CHARS = 320  # whole sentences of Azure's reason up to about this; the rest is in the assessment export
CHECKLIST_MAX = 12
HISTORY_PER_PAGE = 10
MOVE_BATCH = 800  # ARM's documented ceiling per move call

STATE_LABEL = {
    RequestState.DRAFT: "Draft",
    RequestState.PENDING_APPROVAL: "Waiting for approval",
    RequestState.APPROVED: "Approved, starting soon",
    RequestState.VALIDATING: "Running the dry run",
    RequestState.MOVING: "Moving",
    RequestState.SUCCEEDED: "Moved",
    RequestState.PARTIALLY_SUCCEEDED: "Partly moved",
    RequestState.FAILED: "Failed",
    RequestState.REJECTED: "Rejected",
    RequestState.CANCELLED: "Cancelled",
}
STATE_STYLE = {
    RequestState.SUCCEEDED: types.ContainerStyle.GOOD,
    RequestState.PARTIALLY_SUCCEEDED: types.ContainerStyle.WARNING,
    RequestState.FAILED: types.ContainerStyle.ATTENTION,
    RequestState.REJECTED: types.ContainerStyle.ATTENTION,
    RequestState.CANCELLED: types.ContainerStyle.EMPHASIS,
}
GROUP_STATE_LABEL = {
    GroupState.PENDING: "Waiting",
    GroupState.VALIDATING: "Dry run",
    GroupState.MOVING: "Moving",
    GroupState.SUCCEEDED: "Moved",
    GroupState.FAILED: "Failed",
    GroupState.SKIPPED: "Skipped",
}
# Failures and work in progress first: that is what a reader of a long list looks for.
_GROUP_ORDER = {
    GroupState.FAILED: 0,
    GroupState.MOVING: 1,
    GroupState.VALIDATING: 2,
    GroupState.PENDING: 3,
    GroupState.SKIPPED: 4,
    GroupState.SUCCEEDED: 5,
}
DECISION_LABEL = {
    "requested": "Requested",
    "approved": "Approved",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
    "refused": "Refused",
}

View = Literal["base", "approver", "requester"]


class ChecklistItem(Protocol):
    """One thing to do by hand after the move (domain notes §2.4); the catalog provides them."""

    @property
    def title(self) -> str: ...

    @property
    def detail(self) -> str: ...


def _rid(request: MoveRequest) -> dict[str, str]:
    return {"requestId": request.id}


def _request_facts(request: MoveRequest) -> k.Element:
    return k.facts(
        [
            ("Request", k.unbroken_id(request.id)),
            ("From", request.source_name or request.source_subscription_id),
            ("To", request.target_name or request.target_subscription_id),
            ("Resources", f"{k.num(request.resource_count)} in {k.plural(len(request.groups), 'group')}"),
            ("Requested by", f"{request.requested_by.name}, {k.utc(request.requested_at)}"),
            ("Status", STATE_LABEL[request.state]),
        ]
    )


def _plan_table(groups: Sequence[GroupMove], limit: int) -> list[k.Element]:
    ordered = sorted(groups, key=lambda g: (-len(g.resource_ids), g.source_group))
    shown = ordered[:limit]
    out: list[k.Element] = [
        k.table(
            ["Group", "Resources", "Calls"],
            [
                (
                    k.clip(g.source_group, 60),
                    k.num(len(g.resource_ids)),
                    k.num(max(1, -(-len(g.resource_ids) // MOVE_BATCH))),
                )
                for g in shown
            ],
            widths=[4, 2, 1],
            numeric=(1, 2),
        )
    ]
    if len(ordered) > len(shown):
        rest = ordered[len(shown) :]
        more = sum(len(g.resource_ids) for g in rest)
        out.append(k.text(f"And {k.plural(len(rest), 'more group')} with {k.plural(more, 'resource')}.", subtle=True))
    return out


def _progress_table(groups: Sequence[GroupMove], limit: int) -> list[k.Element]:
    ordered = sorted(groups, key=lambda g: (_GROUP_ORDER[g.state], g.source_group))
    shown = ordered[:limit]
    out: list[k.Element] = [
        k.table(
            ["Group", "Moved", "State"],
            [
                (
                    k.clip(g.source_group, 60),
                    f"{k.num(g.moved_count)} of {k.num(len(g.resource_ids))}",
                    GROUP_STATE_LABEL[g.state],
                )
                for g in shown
            ],
            widths=[4, 2, 2],
            numeric=(1,),
        )
    ]
    if len(ordered) > len(shown):
        rest = Counter(g.state for g in ordered[len(shown) :])
        parts = ", ".join(
            f"{k.num(n)} {GROUP_STATE_LABEL[s].lower()}"
            for s, n in sorted(rest.items(), key=lambda i: _GROUP_ORDER[i[0]])
        )
        out.append(k.text(f"And {k.plural(sum(rest.values()), 'more group')}: {parts}.", subtle=True))
    return out


def _dry_run_summary(request: MoveRequest, dry_runs: Sequence[DryRun],
                     after_fixes: Sequence[str] = ()) -> list[k.Element]:
    # Callers may pass the whole assessment's dry runs; only this request's groups count.
    mine = {g.source_group for g in request.groups}
    dry_runs = [d for d in dry_runs if d.resource_group in mine]
    if not dry_runs:
        return [k.text("No dry run yet. The bot runs one before moving.", subtle=True)]
    failed = [d for d in dry_runs if not d.valid]
    passed = len(dry_runs) - len(failed)
    # Default text colour: Teams' green and yellow fail WCAG AA contrast on its white background.
    out: list[k.Element] = [k.text(f"Azure accepted {k.num(passed)} of {k.plural(len(dry_runs), 'group')}.")]
    if failed:
        # Each refused group with Azure's reason, in plain words where the code is known.
        fixed = {name.lower() for name in after_fixes}
        shown = failed[:TOP_GROUPS]
        out.append(k.table(["Refused group", "Azure's reason"],
                           [(d.resource_group, dry_run_reason(d, fixed_by_bot=d.resource_group.lower() in fixed))
                            for d in shown], widths=[2, 5]))
        if len(failed) > len(shown):
            out.append(k.text(f"And {k.plural(len(failed) - len(shown), 'more refused group')}.", subtle=True))
    return out


FIXED_BY_BOT = ("The bot makes this fix before the moves (steps below); Azure checks the group again right before "
                "it moves.")


def dry_run_reason(dry_run: DryRun, *, fixed_by_bot: bool = False) -> str:
    """Why Azure's dry run refused a group and what to do, in whole sentences: Azure's reason (its first
    sentences), then the fix, which is the bot's own step when the plan makes it (`fixed_by_bot`)."""
    if not dry_run.errors:
        return "Azure refused it without a reason."
    plain, fix, _ = reason_and_fix(dry_run.errors[0])
    return f"{k.sentences(plain, REASON_CHARS)[0]} {FIXED_BY_BOT if fixed_by_bot else 'Fix: ' + fix}"


def _approval_scope(request: MoveRequest, dry_runs: Sequence[DryRun],
                    after_fixes: Sequence[str] = ()) -> list[k.Element]:
    """What "Ask for approval" will request, and what it leaves out and why. `after_fixes`: groups Azure
    refused only until the fixes before the moves are made (it validates them again right before)."""
    verdict = {d.resource_group.lower(): d.valid for d in dry_runs}
    verdict.update({name.lower(): True for name in after_fixes})
    if not verdict:
        return []
    going = [g.source_group for g in request.groups if verdict.get(g.source_group.lower())]
    left = [g.source_group for g in request.groups if not verdict.get(g.source_group.lower())]
    if not left:
        return []
    if not going:
        return [k.note("Azure's dry run refused every group, so there is nothing to ask approval for. Fix what "
                       "it reported (Show all), then plan the move again.", style=types.ContainerStyle.ATTENTION)]
    refused = {d.resource_group.lower(): d for d in dry_runs if not d.valid}
    why = [f"{k.untrusted(name)}: {k.untrusted(dry_run_reason(refused[name.lower()]))}" for name in left[:5]
           if name.lower() in refused]
    return [k.box([k.text(f"**Left out of the request:** {k.untrusted(k.listed(left))}. Azure's dry run refused "
                          "them; plan them again once fixed."),
                   *([k.bullets(why)] if why else [])], style=types.ContainerStyle.WARNING)]


def _going(request: MoveRequest, dry_runs: Sequence[DryRun], after_fixes: Sequence[str]) -> list[GroupMove]:
    """The groups "Ask for approval" requests: those Azure accepted or refused only until the bot's fixes."""
    verdict = {d.resource_group.lower(): d.valid for d in dry_runs}
    verdict.update({name.lower(): True for name in after_fixes})
    return [g for g in request.groups if not verdict or verdict.get(g.source_group.lower())]


def _checklist(checklist: Sequence[ChecklistItem], steps: Sequence[PlanStep] = ()) -> list[k.Element]:
    if not checklist:
        return []
    planned = {s.kind.value for s in steps}

    def detail(c: ChecklistItem) -> str:
        # An entry the plan's own steps carry out: say so, rather than ask the engineer to do it too.
        if set(getattr(c, "kinds", ())) & planned and not getattr(c, "done", False):
            return "The bot does this after the moves (steps above) and ticks it once Azure confirms it."
        return c.detail

    out: list[k.Element] = [
        k.subheading("Checklist after the move"),
        # Ticked: what the bot did and checked itself (locks back, role assignments, tags).
        k.facts((("✓ " if getattr(c, "done", False) else "") + k.clip(c.title, 60), detail(c))
                for c in checklist[:CHECKLIST_MAX]),
    ]
    if len(checklist) > CHECKLIST_MAX:
        out.append(k.text(f"And {k.num(len(checklist) - CHECKLIST_MAX)} more.", subtle=True))
    return out


def _decisions(request: MoveRequest) -> list[k.Element]:
    lines = []
    for d in request.decisions[-6:]:
        line = f"{k.untrusted(DECISION_LABEL.get(d.action, d.action.capitalize()))} by {k.untrusted(d.by.name)}, " \
               f"{k.utc(d.at)}"
        if d.comment:
            line += f": “{k.untrusted(d.comment)}”"
        lines.append(line)
    return [k.subheading("History"), k.bullets(lines)] if lines else []


def _status_banner(request: MoveRequest) -> list[k.Element]:
    style = STATE_STYLE.get(request.state)
    if style is None:
        return []
    if request.state in (RequestState.REJECTED, RequestState.CANCELLED):
        # Nothing moved; who stopped it is what the reader wants to know.
        last = next((d for d in reversed(request.decisions) if d.action == request.state.value), None)
        who = f" by {k.untrusted(last.by.name)}, {k.utc(last.at)}" if last else ""
        return [k.note(f"{STATE_LABEL[request.state]}{who}. Nothing was moved.", style=style)]
    moved = f"{k.num(request.moved_count)} of {k.plural(request.resource_count, 'resource')} moved."
    return [k.note(f"{STATE_LABEL[request.state]}. {moved}", style=style)]


# --------------------------------------------------------------------------- cards


def create_groups_card(request: MoveRequest, *, new_groups: Sequence[GroupMove]) -> dict[str, Any]:
    """Confirmation before the bot creates empty target groups in the CSP subscription."""
    shown = list(new_groups[:TOP_GROUPS])
    body: list[k.Element] = [
        k.heading("Create target resource groups?"),
        k.text(
            f"I will create {k.plural(len(new_groups), 'empty resource group')} in "
            f"{k.untrusted(request.target_name or request.target_subscription_id)}, then run Azure's dry run. "
            "Nothing moves yet.",
        ),
        k.table(
            ["New group", "Location"],
            [(k.clip(name_of(g.target_group_id), 60), g.location) for g in shown],
            widths=[3, 2],
        ),
    ]
    if len(new_groups) > len(shown):
        body.append(k.text(f"And {k.plural(len(new_groups) - len(shown), 'more group')}.", subtle=True))
    actions = [
        k.execute(
            "Create groups and run dry run",
            verbs.REQUEST_CREATE_GROUPS,
            _rid(request),
            style=types.ActionStyle.POSITIVE,
        ),
        k.execute("Cancel", verbs.REQUEST_CANCEL, _rid(request)),
    ]
    return k.card(body, actions, fallback_text=f"Create {len(new_groups)} resource groups?")


def move_plan_card(request: MoveRequest, *, dry_runs: Sequence[DryRun] = (), steps: Sequence[PlanStep] = (),
                   manual: Sequence[ChosenFix] = (), offered: Sequence[str] = (),
                   kept: Sequence[str] = (), left_out: Sequence[str] = (), held: Sequence[str] = (),
                   revision: int | None = None, notice: str = "", after_fixes: Sequence[str] = ()) -> dict[str, Any]:
    """The plan the requester reviews before asking for approval: the fixes the bot makes first (the
    engineer may leave some out), the moves, the follow-through. Its buttons carry the plan's `revision`:
    asking for approval submits exactly this plan, or nothing."""
    calls = sum(max(1, -(-len(g.resource_ids) // MOVE_BATCH)) for g in request.groups)
    rid: dict[str, Any] = {**_rid(request), **({"revision": revision} if revision is not None else {})}
    draft = request.state is RequestState.DRAFT
    # The first screen holds the decision (what is requested, what it interrupts, what is left out and why);
    # the rest is behind "Show all".
    body: list[k.Element] = [
        k.heading(f"Move plan {k.unbroken_id(request.id)}"),
        *([k.note(notice)] if notice else []),
        *([k.note(f"Left out of this plan: {k.untrusted(k.listed(left_out, shown=5))}. A fix it needs is not "
                  "included; tick it again to move it.")] if left_out else []),
        *([k.note(f"Not in this plan: {k.untrusted(k.listed(held, shown=5))}. A fix it needs before its move must "
                  "be done by hand first (Show all: why, and the command); then plan again.")] if held else []),
        *approved_scope(steps, _going(request, dry_runs, after_fixes),
                        lead="Asking for approval requests" if draft else "This plan runs"),
        *interruptions(steps),
        *(_approval_scope(request, dry_runs, after_fixes) if draft else []),
        *k.expandable([
            _request_facts(request),
            k.text(f"Groups move side by side, in {k.plural(calls, 'move call')}. Azure locks the source and target "
                   "groups during each call, for up to 4 hours. Resources keep running.",
                   spacing=types.Spacing.MEDIUM),
            k.subheading("Groups"),
            *_plan_table(request.groups, TOP_GROUPS),
            k.subheading("Dry run"),
            *_dry_run_summary(request, dry_runs, after_fixes),
            *plan_steps(steps, request.groups, manual),
        ], key="plan"),
    ]
    actions: list[k.Action] = []
    if request.state is RequestState.DRAFT:
        choice = fix_choice(offered, kept)
        body += choice
        actions = [
            k.execute("Ask for approval", verbs.REQUEST_SUBMIT, rid, style=types.ActionStyle.POSITIVE,
                      inputs=False if choice else None),
            k.execute("Cancel", verbs.REQUEST_CANCEL, _rid(request), inputs=False if choice else None),
        ]
        if choice:
            actions.insert(1, k.execute("Update plan", verbs.REQUEST_FIXES, rid, inputs=True))
    return k.card(body, actions, fallback_text=f"Move plan {request.id}.")


def plan_updating_card(request: MoveRequest, *, kept: Sequence[str], offered: Sequence[str]) -> dict[str, Any]:
    """A click on a plan that is being planned again: nothing was submitted or changed; the new plan
    replaces this card when it is ready (or on Show the plan); Plan again starts over if it never comes
    (the bot restarted meanwhile)."""
    names = labels()
    chosen = [names[a] for a in names if a in offered and a in kept]
    dropped = [names[a] for a in names if a in offered and a not in kept]
    body: list[k.Element] = [
        k.heading(f"Move plan {k.unbroken_id(request.id)}: being updated"),
        k.note("The plan is being updated with the fixes you chose, so nothing was submitted and nothing "
               "changed. The new plan shows here when it is ready; check it, then ask for approval."),
        _request_facts(request),
        *([k.text("**Fixes the bot makes:** " + "; ".join(chosen))] if chosen else []),
        *([k.text("**Left out:** " + "; ".join(dropped))] if dropped else []),
        k.text("If the new plan does not appear within a few minutes (the bot may have restarted), click "
               "Plan again.", subtle=True),
    ]
    actions = [k.execute("Show the plan", verbs.REQUEST_PLAN, _rid(request), style=types.ActionStyle.POSITIVE),
               k.execute("Plan again", verbs.REQUEST_CREATE_GROUPS, _rid(request)),
               k.execute("Cancel", verbs.REQUEST_CANCEL, _rid(request))]
    return k.card(body, actions, fallback_text=f"Move plan {request.id} is being updated.")


def approval_card(
    request: MoveRequest,
    *,
    view: View,
    approver_mris: Sequence[str],
    checklist: Sequence[ChecklistItem],
    dry_runs: Sequence[DryRun] = (),
    steps: Sequence[PlanStep] = (),
    manual: Sequence[ChosenFix] = (),
    plan_hash: str = "",
) -> dict[str, Any]:
    """The approval card; approving approves every step shown, and `plan_hash` (the plan's digest, shown
    shortened) is what the approval records. Everyone sees `base`; while the request
    waits, Teams refreshes it into
    `approver` (Approve move / Reject) for the approvers and `requester` (Cancel request) for the
    requester. The refresh is read-only; decisions come only from the buttons."""
    pending = request.state is RequestState.PENDING_APPROVAL
    # The first screen: who asks, and exactly what one click approves and interrupts; the rest behind "Show all".
    body: list[k.Element] = [
        k.heading(f"Move request {k.unbroken_id(request.id)}" + (": approval needed" if pending else "")),
        *_status_banner(request),
        k.text(f"{k.untrusted(request.requested_by.name)} asks to move resources of "
               f"{k.untrusted(request.source_name or request.source_subscription_id)} to "
               f"{k.untrusted(request.target_name or request.target_subscription_id)}.", spacing=types.Spacing.SMALL),
        *([k.text(f"Plan hash {short(plan_hash)}: the approval records it, and the bot carries out only the "
                  "plan with this hash.", subtle=True, spacing=types.Spacing.SMALL)] if plan_hash else []),
        *approved_scope(steps, request.groups, lead="Approving runs" if pending else "The request runs"),
        *interruptions(steps),
        *k.expandable([
            _request_facts(request),
            k.subheading("Plan"),
            *_plan_table(request.groups, TOP_GROUPS if not pending else 10),
            k.subheading("Dry run"),
            *_dry_run_summary(request, dry_runs, [g.source_group for g in request.groups]),
            *plan_steps(steps, request.groups, manual),
            *_checklist(checklist, steps),
            *_decisions(request),
        ], key="request"),
    ]
    actions: list[k.Action] = []
    if pending and view == "approver":
        body += [
            k.subheading("Your decision"),
            k.text(
                "Approving starts the move. Azure locks each group while it moves.",
                subtle=True,
            ),
            _comment_input(),
        ]
        actions = [
            k.execute(
                "Approve move", verbs.REQUEST_APPROVE, _rid(request), style=types.ActionStyle.POSITIVE, inputs=False
            ),
            k.execute("Reject", verbs.REQUEST_REJECT, _rid(request), style=types.ActionStyle.DESTRUCTIVE, inputs=True),
        ]
    elif pending and view == "requester":
        body.append(k.text("You asked for this move. Another person must approve it.", subtle=True))
        actions = [k.execute("Cancel request", verbs.REQUEST_CANCEL, _rid(request))]
    elif view == "base" and pending:
        body.append(k.text("Waiting for an approver.", subtle=True))

    refresh = None
    if pending:
        # Approvers first: they are the ones who must see buttons. Teams takes at most 60 MRIs.
        users = list(dict.fromkeys([*approver_mris, *([request.requested_by.mri] if request.requested_by.mri else [])]))
        refresh = {
            "action": {
                "type": "Action.Execute",
                "title": "Refresh",
                "verb": verbs.REQUEST_REFRESH,
                "data": _rid(request),
            },
            "userIds": users[: k.MAX_REFRESH_USERS],
        }
    return k.card(
        body, actions, refresh=refresh, fallback_text=f"Move request {request.id}: {STATE_LABEL[request.state]}."
    )


def _comment_input() -> Any:
    from adaptive_cards.card import InputText  # local: only the approver view has an input

    return InputText(
        id="comment",
        label="Reason (needed only to reject)",
        placeholder="Why should this move not happen?",
        is_multiline=True,
        max_length=500,
    )


def move_progress_card(request: MoveRequest, *, steps: Sequence[PlanStep] = (),
                       records: Sequence[Any] = (), resuming_at: datetime | None = None) -> dict[str, Any]:
    """Live status of a request, with how far the fixes and the follow-through got; also the `status <id>`
    answer. `resuming_at`: the bot running the move stopped (a restart): when another run takes it up."""
    total, moved = request.resource_count, request.moved_count
    counts = Counter(g.state for g in request.groups)
    ended = {r.key: r.status.value for r in records if r.status.value != "started"}
    step_line = ""
    if steps:
        done = sum(1 for s in steps if ended.get(s.key) == "succeeded")
        failed = sum(1 for s in steps if ended.get(s.key) in ("failed", "skipped"))
        step_line = f" {k.num(done)} of {k.plural(len(steps), 'fix step')} done" + (
            f", {k.num(failed)} not done (the report gives their commands)." if failed else ".")
    body: list[k.Element] = [
        k.heading(f"Move {k.unbroken_id(request.id)}: {STATE_LABEL[request.state].lower()}"),
        *_status_banner(request),
        *([k.note(f"Resuming: the bot running this move stopped (a restart). It resumes by "
                  f"{k.utc(resuming_at, seconds=True)}, where it stopped; nothing done is done again, and this "
                  "card carries on then.", style=types.ContainerStyle.EMPHASIS)] if resuming_at else []),
        k.text(
            f"**Moved {k.num(moved)} of {k.plural(total, 'resource')}** "
            f"({moved * 100 // total if total else 0}%). "
            f"{k.num(counts[GroupState.SUCCEEDED])} of {k.plural(len(request.groups), 'group')} done.{step_line}",
            spacing=types.Spacing.MEDIUM,
        ),
        _request_facts(request),
        k.subheading("Groups"),
        *_progress_table(request.groups, TOP_GROUPS),
    ]
    actions: list[k.Action] = [k.execute("Refresh status", verbs.REQUEST_STATUS, _rid(request))]
    if request.state in (RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.APPROVED):
        actions.append(k.execute("Cancel request", verbs.REQUEST_CANCEL, _rid(request)))
    return k.card(body, actions, fallback_text=f"Move {request.id}: {k.num(moved)} of {k.num(total)} moved.")


def history_card(
    requests: Sequence[MoveRequest],
    *,
    page: int = 1,
    per_page: int = HISTORY_PER_PAGE,
    total: int | None = None,
) -> dict[str, Any]:
    """Past and open requests, newest first, paged. Each request opens its status card. With `total`,
    `requests` is already the page (the store pages the history); else all of them."""
    ordered = sorted(requests, key=lambda r: r.requested_at, reverse=True)
    count = len(ordered) if total is None else total
    pages = max(1, -(-count // per_page))
    page = min(max(1, page), pages)
    chunk = ordered[(page - 1) * per_page : page * per_page] if total is None else ordered
    body: list[k.Element] = [k.heading("Move requests")]
    if not count:
        body.append(k.text("No move requests yet. Type assess to start."))
    else:
        body.append(k.text(f"{k.plural(count, 'request')}. Page {k.num(page)} of {k.num(pages)}.", subtle=True))
        body.append(
            k.table(
                ["Request", "Groups", "Status", "Requested"],
                [
                    (
                        k.unbroken_id(r.id),
                        k.listed([g.source_group for g in r.groups], shown=6)
                        + (f" ({r.source_name} → {r.target_name})" if r.source_name else ""),
                        STATE_LABEL[r.state],
                        k.utc(r.requested_at),
                    )
                    for r in chunk
                ],
                widths=[3, 5, 3, 3],
            )
        )
        body.append(k.text("Type status followed by a request id for details.", subtle=True, small=True))
    actions: list[k.Action] = []
    if page > 1:
        actions.append(k.execute("Previous page", verbs.HISTORY_PAGE, {"page": page - 1}))
    if page < pages:
        actions.append(k.execute("Next page", verbs.HISTORY_PAGE, {"page": page + 1}))
    return k.card(body, actions, fallback_text=f"{count} move requests.")
