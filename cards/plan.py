"""The move plan cards the requester sees: target groups to create, the plan before asking for
approval, and the plan being updated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from cards.move_parts import (
    MOVE_BATCH,
    TOP_GROUPS,
    dry_run_reason,
    dry_run_summary,
    plan_table,
    request_data,
    request_facts,
)
from cards.steps import approved_scope, fix_choice, interruptions, plan_steps
from migration.fixes.families import labels
from migration.model import DryRun, GroupMove, MoveRequest, RequestState, name_of
from migration.model.plan import ChosenFix, PlanStep
from migration.model.scope import Joined, LeftOut, LeftOutReason

# Why a picked group is not in the plan, in words, after its name.
LEFT_OUT_WHY = {
    LeftOutReason.FIX_LEFT_OUT: "a fix it needs is not ticked below; tick it again and click Update plan.",
    LeftOutReason.BY_HAND: "a fix it needs before its move must be done by hand first (Show all: why, and the "
                           "command); then plan again.",
    LeftOutReason.NOT_FIXABLE: "a problem in its way is not one the bot fixes (the assessment's blockers say what "
                               "to do); fix it, then plan the move again.",
    LeftOutReason.EMPTIED: "nothing is left in it to move once the fixes before the moves ran.",
}
LEFT_OUT_SHOWN = 10  # groups named with their reason on the first screen; the rest counted per reason


def _why(entry: LeftOut, refused: dict[str, DryRun]) -> str:
    if entry.reason is LeftOutReason.DRY_RUN:
        dry_run = refused.get(entry.group.lower())
        said = dry_run_reason(dry_run) if dry_run else "Azure refused it without a reason."
        return f"Azure's dry run refused it, for a reason no fix of the bot's addresses. {said}"
    return LEFT_OUT_WHY[entry.reason]


def _left_out(left_out: Sequence[LeftOut], joined: Sequence[Joined], dry_runs: Sequence[DryRun]) -> list[k.Element]:
    """Every picked group the plan does not move as itself, with its reason: none vanishes."""
    refused = {d.resource_group.lower(): d for d in dry_runs if not d.valid}
    out: list[k.Element] = []
    if joined:
        out.append(k.text("; ".join(f"{k.untrusted(j.group)} moves with {k.untrusted(j.into)} (the fixes bring its "
                                    "resources together there first)" for j in joined) + "."))
    if left_out:
        lines = [f"{k.untrusted(e.group)}: {k.untrusted(_why(e, refused))}" for e in left_out[:LEFT_OUT_SHOWN]]
        rest = left_out[LEFT_OUT_SHOWN:]
        for reason in LeftOutReason:
            names = [e.group for e in rest if e.reason is reason]
            if names:
                lines.append(f"{k.untrusted(k.listed(names))}: " + (
                    "Azure's dry run refused them, for reasons no fix of the bot's addresses (the assessment's "
                    "Show dry run gives each one)." if reason is LeftOutReason.DRY_RUN
                    else LEFT_OUT_WHY[reason]))
        out.append(k.box([k.text(f"**Left out of this plan:** {k.plural(len(left_out), 'group')}."),
                          k.bullets(lines)], style=types.ContainerStyle.WARNING))
    return out


def _nothing_to_approve(left_out: Sequence[LeftOut]) -> k.Element:
    todo = ("Tick the fixes left out below and click Update plan, or fix what is listed under Left out and click "
            "Plan again." if any(e.reason is LeftOutReason.FIX_LEFT_OUT for e in left_out)
            else "Fix what is listed under Left out, then click Plan again, or Cancel.")
    return k.note(f"Nothing in this plan can move as it stands, so there is nothing to ask approval for. {todo}",
                  style=types.ContainerStyle.ATTENTION)


def create_groups_card(request: MoveRequest, *, new_groups: Sequence[GroupMove]) -> dict[str, Any]:
    """Confirmation before the bot creates empty target groups in the CSP subscription (when every target
    group exists already, it only runs the dry run)."""
    target = k.untrusted(request.target_name or request.target_subscription_id)
    shown = list(new_groups[:TOP_GROUPS])
    if not new_groups:
        body: list[k.Element] = [
            k.heading("Run Azure's dry run?"),
            k.text(f"The target groups exist already in {target}. I will run Azure's dry run of "
                   f"{k.plural(len(request.groups), 'group')}. Nothing moves yet."),
        ]
    else:
        body = [
            k.heading("Create target resource groups?"),
            k.text(f"I will create {k.plural(len(new_groups), 'empty resource group')} in {target}, then run Azure's "
                   "dry run. Nothing moves yet."),
            k.table(["New group", "Location"],
                    [(k.clip(name_of(g.target_group_id), 60), g.location) for g in shown], widths=[3, 2]),
        ]
    if len(new_groups) > len(shown):
        body.append(k.text(f"And {k.plural(len(new_groups) - len(shown), 'more group')}.", subtle=True))
    actions = [
        k.execute("Create groups and run dry run" if new_groups else "Run dry run", verbs.REQUEST_CREATE_GROUPS,
                  request_data(request), style=types.ActionStyle.POSITIVE),
        k.execute("Cancel", verbs.REQUEST_CANCEL, request_data(request)),
    ]
    fallback = f"Create {len(new_groups)} resource groups?" if new_groups else "Run Azure's dry run?"
    return k.card(body, actions, fallback_text=fallback)


def move_plan_card(request: MoveRequest, *, dry_runs: Sequence[DryRun] = (), steps: Sequence[PlanStep] = (),
                   manual: Sequence[ChosenFix] = (), offered: Sequence[str] = (), kept: Sequence[str] = (),
                   left_out: Sequence[LeftOut] = (), joined: Sequence[Joined] = (), revision: int | None = None,
                   notice: str = "") -> dict[str, Any]:
    """The plan the requester reviews before asking for approval: the fixes the bot makes first (the
    engineer may leave some out), the moves of `request.groups` (what the plan moves), the follow-through,
    and every other picked group with its reason. Its buttons carry the plan's `revision`: asking for
    approval submits exactly this plan, or nothing."""
    calls = sum(max(1, -(-len(g.resource_ids) // MOVE_BATCH)) for g in request.groups)
    data: dict[str, Any] = {**request_data(request), **({"revision": revision} if revision is not None else {})}
    draft = request.state is RequestState.DRAFT
    # Groups in the plan that Azure refuses only until the bot's fixes before the moves are made.
    after_fixes = [g.source_group for g in request.groups]
    # The first screen holds the decision (what is requested, what it interrupts, what is left out and why);
    # the rest is behind "Show all".
    body: list[k.Element] = [
        k.heading(f"Move plan {k.unbroken_id(request.id)}"),
        *([k.note(notice)] if notice else []),
        *(approved_scope(steps, request.groups, lead="Asking for approval requests" if draft else "This plan runs")
          if request.groups else ([_nothing_to_approve(left_out)] if draft else [])),
        *interruptions(steps),
        *_left_out(left_out, joined, dry_runs),
        *k.expandable([
            request_facts(request),
            k.text(f"Groups move side by side, in {k.plural(calls, 'move call')}. Azure locks the source and target "
                   "groups during each call, for up to 4 hours. Resources keep running.",
                   spacing=types.Spacing.MEDIUM),
            k.subheading("Groups"),
            *plan_table(request.groups, TOP_GROUPS),
            k.subheading("Dry run"),
            *dry_run_summary(request, dry_runs, after_fixes),
            *plan_steps(steps, request.groups, manual),
        ], key="plan"),
    ]
    actions: list[k.Action] = []
    if draft:
        choice = fix_choice(offered, kept)
        body += choice
        inputs = False if choice else None
        actions = [k.execute("Ask for approval", verbs.REQUEST_SUBMIT, data, style=types.ActionStyle.POSITIVE,
                             inputs=inputs)] if request.groups else []
        if choice:
            actions.append(k.execute("Update plan", verbs.REQUEST_FIXES, data, inputs=True))
        if not request.groups:
            actions.append(k.execute("Plan again", verbs.REQUEST_CREATE_GROUPS, request_data(request), inputs=inputs))
        actions.append(k.execute("Cancel", verbs.REQUEST_CANCEL, request_data(request), inputs=inputs))
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
        request_facts(request),
        *([k.text("**Fixes the bot makes:** " + "; ".join(chosen))] if chosen else []),
        *([k.text("**Left out:** " + "; ".join(dropped))] if dropped else []),
        k.text("If the new plan does not appear within a few minutes (the bot may have restarted), click "
               "Plan again.", subtle=True),
    ]
    actions = [k.execute("Show the plan", verbs.REQUEST_PLAN, request_data(request), style=types.ActionStyle.POSITIVE),
               k.execute("Plan again", verbs.REQUEST_CREATE_GROUPS, request_data(request)),
               k.execute("Cancel", verbs.REQUEST_CANCEL, request_data(request))]
    return k.card(body, actions, fallback_text=f"Move plan {request.id} is being updated.")
