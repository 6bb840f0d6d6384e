"""Move request status and history cards (the plan cards are in cards.plan, the approval card in
cards.approval, the final report in cards.movereport)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from cards.move_parts import STATE_LABEL, TOP_GROUPS, request_data, request_facts, status_banner
from migration.model import GroupMove, GroupState, MoveRequest, RequestState
from migration.model.plan import PlanStep

HISTORY_PER_PAGE = 10

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
        *status_banner(request),
        *([k.note(f"Resuming: the bot running this move stopped (a restart). It resumes by "
                  f"{k.utc(resuming_at, seconds=True)}, where it stopped; nothing done is done again, and this "
                  "card carries on then.", style=types.ContainerStyle.EMPHASIS)] if resuming_at else []),
        k.text(
            f"**Moved {k.num(moved)} of {k.plural(total, 'resource')}** "
            f"({moved * 100 // total if total else 0}%). "
            f"{k.num(counts[GroupState.SUCCEEDED])} of {k.plural(len(request.groups), 'group')} done.{step_line}",
            spacing=types.Spacing.MEDIUM,
        ),
        request_facts(request),
        k.subheading("Groups"),
        *_progress_table(request.groups, TOP_GROUPS),
    ]
    actions: list[k.Action] = [k.execute("Refresh status", verbs.REQUEST_STATUS, request_data(request))]
    if request.state in (RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.APPROVED):
        actions.append(k.execute("Cancel request", verbs.REQUEST_CANCEL, request_data(request)))
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
