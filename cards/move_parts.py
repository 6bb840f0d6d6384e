"""What the move request cards share: the request's states in words, its facts, the groups it moves and
what Azure's dry run said of them."""

from __future__ import annotations

from collections.abc import Sequence

from adaptive_cards import types

from cards import _kit as k
from migration.azure.explain import reason_and_fix
from migration.model import DryRun, GroupMove, MoveRequest, RequestState

TOP_GROUPS = 15
REASON_CHARS = 320  # whole sentences of Azure's reason up to about this; the rest is in the assessment export
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


def request_data(request: MoveRequest) -> dict[str, str]:
    """What a button of a request's card carries: its id, re-checked on the server."""
    return {"requestId": request.id}


def request_facts(request: MoveRequest) -> k.Element:
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


def plan_table(groups: Sequence[GroupMove], limit: int) -> list[k.Element]:
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


def dry_run_summary(request: MoveRequest, dry_runs: Sequence[DryRun],
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


def status_banner(request: MoveRequest) -> list[k.Element]:
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
