"""Proactive messages and in-place card updates for move requests.

Conversation references are persisted (collection `conversations`, key = conversation id), so a
restarted bot still reaches every chat. The approval card's own reference and message id live on the
request, which is how the runner's progress reaches the same card everyone is looking at.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.port import Card, ConversationReference, Turn
from bot.proactive import Proactive
from cards._kit import untrusted
from cards.access import access_alert_card, waiting_for_access_card
from cards.approval import approval_card
from cards.move import move_progress_card
from cards.movereport import final_report_card
from migration.execution.stored import SETTINGS, utc_now
from migration.execution.workflow import Workflow
from migration.model import RequestState
from migration.model.digest import plan_digest
from migration.model.records import CardRef, StoredRequest
from migration.model.store import ConcurrencyError
from migration.reports.move import build
from storage.reports import ReportLink, ReportLinks

log = logging.getLogger(__name__)

CONVERSATIONS = "conversations"
APPROVALS_KEY = "approvals_conversation"
APPROVERS_KEY = "approver_mris"
_REPORTED = frozenset({RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})


# --------------------------------------------------------------------------- rendering


def render(stored: StoredRequest, *, approver_mris: Sequence[str], view: str = "base",
           report: ReportLink | None = None, base_url: str = "") -> dict[str, Any]:
    """The card for a request in its current state. `view` matters only while it waits for approval:
    "approver" (Approve / Reject), "requester" (Cancel), "base" (status, for everyone else). `report`: the
    move report's link, for the final card (without it, the card says how to get one)."""
    request = stored.request
    if request.state is RequestState.PENDING_APPROVAL or request.state in (
        RequestState.REJECTED,
        RequestState.CANCELLED,
    ):
        return approval_card(
            request, view=view, approver_mris=approver_mris,  # type: ignore[arg-type]  # a view string the card checks
            checklist=stored.checklist, dry_runs=stored.dry_runs, steps=stored.fix_steps,
            manual=stored.manual_fixes, plan_hash=plan_digest(stored),
        )
    if request.state in _REPORTED:
        return report_card(stored, report=report, base_url=base_url)
    return progress_card(stored)


def progress_card(stored: StoredRequest, *, resuming_at: datetime | None = None) -> dict[str, Any]:
    """Where the move stands (also `status`): with the wait and its fix while it waits for access; with when it
    resumes when the bot running it stopped."""
    if stored.access_wait is not None and not stored.state.is_final:
        return waiting_for_access_card(stored.request, stored.access_wait)
    return move_progress_card(stored.request, steps=stored.fix_steps, records=stored.step_records,
                              resuming_at=resuming_at)


def base_view(approver_mris: Sequence[str]) -> str:
    # Without a known approver MRI, Teams cannot refresh the card into the approvers' view, so the
    # shared card carries the buttons; every click is still authorized on the server.
    return "base" if approver_mris else "approver"


def report_card(stored: StoredRequest, *, report: ReportLink | None = None, base_url: str = "") -> dict[str, Any]:
    """The final report: every step's outcome (what needs the engineer first), what is still in the source
    subscription (read after the move), and the link to the downloadable move report."""
    built = build(stored, now=stored.finished_at or utc_now())
    return final_report_card(built, report_url=report.url(base_url) if report else None,
                             expires_at=report.expires_at if report else None)


NOTE_ID = "click-answer"  # the answer to a click, on the card it answers


def with_note(card: dict[str, Any], note: str, *, attention: bool = False) -> dict[str, Any]:
    """The card with the answer to a click (why it changed nothing) where the person clicked: at the end of
    the body, right above the card's buttons. Long cards keep their details behind "Show all", so the card
    is short enough that its top (what it is about) is on the same screen."""
    block = {"type": "Container", "id": NOTE_ID, "style": "attention" if attention else "emphasis",
             "spacing": "medium", "items": [{"type": "TextBlock", "text": untrusted(note), "wrap": True}]}
    return {**card, "body": [*(card.get("body") or []), block]}


# --------------------------------------------------------------------------- the notifier


class Notifier:
    """Posts and updates cards outside of a user's turn (`continue_conversation`)."""

    def __init__(self, proactive: Proactive, workflow: Workflow, *, reports: ReportLinks | None = None,
                 public_base_url: str = "") -> None:
        self._proactive = proactive
        self._workflow = workflow
        self._store = workflow.store
        self._reports = reports
        self._base_url = public_base_url

    # ------------------------------------------------------------------ references

    async def remember(self, turn: Turn) -> dict[str, Any]:
        reference = dict(turn.reference)
        conversation = (reference.get("conversation") or {}).get("id")
        if conversation:
            await self._store.put(CONVERSATIONS, conversation, reference)
        return reference

    async def set_approvals_conversation(self, reference: Mapping[str, Any]) -> None:
        await self._store.put(SETTINGS, APPROVALS_KEY, {"reference": dict(reference)})

    async def approvals_conversation(self) -> dict[str, Any] | None:
        record = await self._store.get(SETTINGS, APPROVALS_KEY)
        return dict(record.value["reference"]) if record else None

    async def approver_mris(self) -> list[str]:
        record = await self._store.get(SETTINGS, APPROVERS_KEY)
        return list(record.value.get("mris", [])) if record else []

    async def learn_approver(self, mri: str | None) -> None:
        """Remember an approver's Teams id: refresh.userIds takes MRIs, settings only hold object ids."""
        if not mri:
            return
        for _ in range(10):
            record = await self._store.get(SETTINGS, APPROVERS_KEY)
            mris = list(record.value.get("mris", [])) if record else []
            if mri in mris:
                return
            try:
                await self._store.put(SETTINGS, APPROVERS_KEY, {"mris": [*mris, mri][-60:]},
                                      etag=record.etag if record else "")
                return
            except ConcurrencyError:
                continue

    # ------------------------------------------------------------------ cards

    async def view(self, stored: StoredRequest, *, person_id: str | None, may_approve: bool) -> Card:
        """The card this person should see: buttons only for those who may press them."""
        mris = await self.approver_mris()
        view = base_view(mris)
        if stored.state is RequestState.PENDING_APPROVAL:
            if person_id is not None and person_id == stored.request.requested_by.id:
                view = "requester"
            elif may_approve:
                view = "approver"
            else:
                view = "base"
        return render(stored, approver_mris=mris, view=view)

    async def announce(self, request_id: str, requester_conversation: Mapping[str, Any]) -> StoredRequest:
        """Post the approval card to the approvals conversation (or, until an approver set one, to the
        requester's) and remember both places on the request."""
        stored = await self._workflow.set_requester_conversation(request_id, requester_conversation)
        target = await self.approvals_conversation() or dict(requester_conversation)
        mris = await self.approver_mris()
        card = render(stored, approver_mris=mris, view=base_view(mris))
        activity_id = await self._send(target, card)
        return await self._workflow.set_card(request_id, CardRef(target, activity_id))

    async def update_card(self, stored: StoredRequest, *, report: ReportLink | None = None,
                          card: Card | None = None) -> None:
        """Bring the shared approval card up to date (or show `card` there), in place (posted again if Teams
        lost it)."""
        if stored.card is None:
            return
        mris = await self.approver_mris()
        card = card or render(stored, approver_mris=mris, view=base_view(mris), report=report,
                              base_url=self._base_url)
        reference = stored.card.conversation
        if stored.card.activity_id:
            shown = await self._proactive.update_card(reference, stored.card.activity_id, card)
        else:
            shown = await self._proactive.send_card(reference, card)
        if shown != stored.card.activity_id:
            await self._workflow.set_card(stored.id, replace(stored.card, activity_id=shown))

    async def request_changed(self, stored: StoredRequest, *, final: bool) -> None:
        """The runner's progress: the shared card follows; at the end the report goes to the requester
        and the approvals conversation."""
        link = await self.move_report(stored) if final else None
        await self.update_card(stored, report=link)
        if not final:
            return
        report = report_card(stored, report=link, base_url=self._base_url)
        for place in self._places(stored):
            await self._send(place, report)

    async def resuming(self, stored: StoredRequest, *, at: datetime) -> None:
        """The bot running the move stopped: its card says the move resumes, and when (the runner's ResumeAlerts).
        """
        await self.update_card(stored, card=progress_card(stored, resuming_at=at))

    async def move_report(self, stored: StoredRequest) -> ReportLink | None:
        """The move report rendered now and stored behind a new expiring link (None when it could not be
        stored: the card then says how to ask for it again)."""
        if self._reports is None:
            return None
        try:
            return await self._reports.create_move(build(stored, now=self._workflow.now()))
        except Exception:  # noqa: BLE001 - the final card still goes out, without the link
            log.exception("move %s: could not store the move report", stored.id)
            return None

    def report_card(self, stored: StoredRequest, report: ReportLink | None) -> dict[str, Any]:
        return report_card(stored, report=report, base_url=self._base_url)

    async def access_lost(self, stored: StoredRequest) -> None:
        """A running move waits for access: the requester and the approvers are told what to fix."""
        if stored.access_wait is None:
            return
        card = access_alert_card(stored.request, stored.access_wait)
        for place in self._places(stored):
            await self._send(place, card)

    def _places(self, stored: StoredRequest) -> list[Mapping[str, Any]]:
        """The requester's conversation and the approvals conversation (the card's), each once."""
        places: list[Mapping[str, Any]] = []
        for place in (stored.requester_conversation, stored.card.conversation if stored.card else None):
            conversation = (place or {}).get("conversation") or {}
            if place and all(((p.get("conversation") or {}).get("id")) != conversation.get("id") for p in places):
                places.append(place)
        return places

    async def _send(self, reference: ConversationReference, card: Card) -> str | None:
        return await self._proactive.send_card(reference, card)
