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
            request_data(request),
            style=types.ActionStyle.POSITIVE,
        ),
        k.execute("Cancel", verbs.REQUEST_CANCEL, request_data(request)),
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
    rid: dict[str, Any] = {**request_data(request), **({"revision": revision} if revision is not None else {})}
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
    if request.state is RequestState.DRAFT:
        choice = fix_choice(offered, kept)
        body += choice
        actions = [
            k.execute("Ask for approval", verbs.REQUEST_SUBMIT, rid, style=types.ActionStyle.POSITIVE,
                      inputs=False if choice else None),
            k.execute("Cancel", verbs.REQUEST_CANCEL, request_data(request), inputs=False if choice else None),
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
