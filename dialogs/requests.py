"""Looking move requests up: `status [<id>]`, `history` (and its pages), `report [<id>]` (the final report
with a fresh link to the whole move report), and `approvals here` (where approval cards go). Who may see a
report, and who may choose where approval cards go, are the routes' guards (`bot/guards.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.access import CustomerScope, person_of
from bot.commands import Command
from bot.notifier import Notifier, progress_card, with_note
from bot.port import Card, Turn
from cards.move import HISTORY_PER_PAGE, history_card
from dialogs.decisions import DecisionFlow, missing_request_card
from migration.application.decisions import RequestDecisions
from migration.model import RequestState
from migration.model.records import StoredRequest

HISTORY_SCAN = 500  # the newest requests a scoped history looks through
_GROUP_CONVERSATIONS = frozenset({"channel", "groupChat"})
# A request has a report once it ran: approved (about to run), running, or finished.
REPORTABLE = frozenset({RequestState.APPROVED, RequestState.VALIDATING, RequestState.MOVING,
                        RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})


def no_report_text(command: Command) -> str:
    named = f" {command.args[0][:20]}" if command.args else ""
    return (f"I found no move request{named} whose report you may see. Reports go to the requester, the approvers "
            "and the chats the request was posted to. Type `history` to see the requests.")


class RequestsFlow:
    def __init__(self, *, decisions: RequestDecisions, notifier: Notifier, answers: DecisionFlow,
                 scope: CustomerScope) -> None:
        self._scope = scope
        self._decisions = decisions
        self._notifier = notifier
        self._answers = answers

    async def picked(self, turn: Turn, command: Command, *, reportable: bool = False) -> StoredRequest | None:
        """The request named in the command, else the caller's newest one (that has a report)."""
        return await self._decisions.named_or_newest(
            command.args[0] if command.args else None, requester_id=turn.caller.user_id,
            wanted=(lambda s: s.state in REPORTABLE) if reportable else (lambda s: True))

    async def status(self, turn: Turn, command: Command) -> None:
        await self._answers.seen(turn)
        stored = await self.picked(turn, command)
        if stored is None:
            await turn.reply("I found no move request. Type `history` to see them, or `status <request id>`.")
            return
        await self._answers.viewed(turn, stored, view="status")
        card = progress_card(stored) if stored.state is not RequestState.PENDING_APPROVAL else \
            await self._answers.view(stored, turn.caller)
        await turn.reply_card(card)

    async def history(self, turn: Turn, command: Command) -> None:
        await self._answers.seen(turn)
        await turn.reply_card(await self._history_card(turn, 1))

    async def history_page(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        page = data.get("page")
        return await self._history_card(turn, page if isinstance(page, int) and page > 0 else 1)

    async def _history_card(self, turn: Turn, page: int) -> Card:
        if not await self._scope.active():
            found, total = await self._decisions.history_page(page, per_page=HISTORY_PER_PAGE)
            return history_card([s.request for s in found], page=page, total=total)
        # With customers registered: the caller's own requests, and those of the customers they approve for.
        recent, _ = await self._decisions.history_page(1, per_page=HISTORY_SCAN)
        me = turn.caller.user_id
        shown = [s for s in recent if (me is not None and s.request.requested_by.id == me)
                 or await self._scope.may_approve(turn.caller, s.request.tenant_id)]
        start = (page - 1) * HISTORY_PER_PAGE
        return history_card([s.request for s in shown[start:start + HISTORY_PER_PAGE]], page=page, total=len(shown))

    async def report(self, turn: Turn, command: Command) -> None:
        """`report [<request id>]`: the final report card with a fresh link to the whole move report (links
        expire)."""
        await self._answers.seen(turn)
        stored = await self.picked(turn, command, reportable=True)
        if stored is None:
            await turn.reply(no_report_text(command))
            return
        if stored.state not in REPORTABLE:
            await turn.reply(f"Move request {stored.id} has not run ({stored.state.value.replace('_', ' ')}), so "
                             f"there is no report yet. Type `status {stored.id}` to see where it stands.")
            return
        await turn.reply_card(await self._fresh_report(turn, stored))

    async def report_click(self, turn: Turn, data: Mapping[str, Any]) -> Card:
        """New report link on the final card: the card again, with a fresh link, for the clicker."""
        stored = await self._decisions.find(data.get("requestId"))
        if stored is None:
            return missing_request_card()
        if stored.state not in REPORTABLE:
            return with_note(await self._answers.view(stored, turn.caller),
                             "This request has not run: there is no report yet.")
        return await self._fresh_report(turn, stored)

    async def _fresh_report(self, turn: Turn, stored: StoredRequest) -> Card:
        link = await self._notifier.move_report(stored)
        await self._decisions.audit(stored.id, "report", by=person_of(turn.caller), tenant_id=turn.caller.tenant_id,
                                    detail={"link": link is not None})
        return self._notifier.report_card(stored, link)

    async def approvals_here(self, turn: Turn, command: Command) -> None:
        await self._answers.seen(turn)
        if not command.args or command.args[0].lower() != "here":
            where = await self._notifier.approvals_conversation()
            await turn.reply(
                "Approval cards go to the approvals conversation set by an approver." if where else
                "No approvals conversation is set, so approval cards go to the requester's chat. An approver "
                "can type `approvals here` in a channel or group chat to change that.")
            return
        if turn.conversation.kind not in _GROUP_CONVERSATIONS:
            await turn.reply("Type `approvals here` in a channel or group chat, so every approver sees the cards.")
            return
        reference = await self._notifier.remember(turn)
        await self._notifier.set_approvals_conversation(reference)
        await self._decisions.audit("settings", "approvals_conversation", by=person_of(turn.caller),
                                    tenant_id=turn.caller.tenant_id,
                                    detail={"conversation": (reference.get("conversation") or {}).get("id")})
        await turn.reply("From now on, approval cards for move requests come to this conversation.")
