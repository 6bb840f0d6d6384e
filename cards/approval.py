"""The approval card: what one click approves, in the approver's, the requester's and everyone's view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from cards.move_parts import (
    STATE_LABEL,
    TOP_GROUPS,
    dry_run_summary,
    plan_table,
    request_data,
    request_facts,
    status_banner,
)
from cards.steps import approved_scope, interruptions, plan_steps
from migration.model import DryRun, MoveRequest, RequestState
from migration.model.digest import short
from migration.model.plan import ChosenFix, PlanStep

CHECKLIST_MAX = 12

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
        *status_banner(request),
        k.text(f"{k.untrusted(request.requested_by.name)} asks to move resources of "
               f"{k.untrusted(request.source_name or request.source_subscription_id)} to "
               f"{k.untrusted(request.target_name or request.target_subscription_id)}.", spacing=types.Spacing.SMALL),
        *([k.text(f"Plan hash {short(plan_hash)}: the approval records it, and the bot carries out only the "
                  "plan with this hash.", subtle=True, spacing=types.Spacing.SMALL)] if plan_hash else []),
        *approved_scope(steps, request.groups, lead="Approving runs" if pending else "The request runs"),
        *interruptions(steps),
        *k.expandable([
            request_facts(request),
            k.subheading("Plan"),
            *plan_table(request.groups, TOP_GROUPS if not pending else 10),
            k.subheading("Dry run"),
            *dry_run_summary(request, dry_runs, [g.source_group for g in request.groups]),
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
            k.execute("Approve move", verbs.REQUEST_APPROVE, request_data(request), style=types.ActionStyle.POSITIVE,
                      inputs=False),
            k.execute("Reject", verbs.REQUEST_REJECT, request_data(request), style=types.ActionStyle.DESTRUCTIVE,
                      inputs=True),
        ]
    elif pending and view == "requester":
        body.append(k.text("You asked for this move. Another person must approve it.", subtle=True))
        actions = [k.execute("Cancel request", verbs.REQUEST_CANCEL, request_data(request))]
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
                "data": request_data(request),
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
