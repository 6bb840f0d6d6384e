"""Card clicks and commands around move requests: approve, reject, refresh, cancel, status, report,
history, and `approvals here`.

Each click is answered at once with the card the clicker should now see (the decision is one
compare-and-swap in the store); the shared card update and the move itself run in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from botbuilder.core import TurnContext

from bot.access import AccessPolicy, Caller
from bot.commands import Command
from bot.handler import CommandHandler, VerbHandler, card_reply
from bot.notifier import Notifier, base_view, progress_card, render, with_note
from cards import verbs
from cards.messages import error_card, not_allowed_card
from cards.move import HISTORY_PER_PAGE, history_card
from migration.execution.workflow import Workflow, normalize_id
from migration.model import Person, RequestState
from migration.model.records import Actor, Outcome, StoredRequest

log = logging.getLogger(__name__)

_GROUP_CONVERSATIONS = frozenset({"channel", "groupChat"})
_CANCELLABLE = frozenset({RequestState.DRAFT, RequestState.PENDING_APPROVAL, RequestState.APPROVED})
# A request has a report once it ran: approved (about to run), running, or finished.
_REPORTABLE = frozenset({RequestState.APPROVED, RequestState.VALIDATING, RequestState.MOVING,
                         RequestState.SUCCEEDED, RequestState.PARTIALLY_SUCCEEDED, RequestState.FAILED})


def person_of(caller: Caller) -> Person:
    return Person(caller.user_id or caller.mri or "unknown", caller.name, caller.mri)


class Approvals:
    """`commands` and `verbs` go into the bot's Routes; `on_approved` wakes the move runner."""

    def __init__(
        self,
        workflow: Workflow,
        notifier: Notifier,
        policy: AccessPolicy,
        *,
        on_approved: Callable[[], None] = lambda: None,
        on_recheck: Callable[[str], bool] = lambda _request_id: False,
    ) -> None:
        self._workflow = workflow
        self._notifier = notifier
        self._policy = policy
        self._on_approved = on_approved
        self._on_recheck = on_recheck
        self._background: set[asyncio.Task[None]] = set()

    @property
    def commands(self) -> dict[str, CommandHandler]:
        return {"approvals": self.approvals_here, "status": self.status, "history": self.history,
                "cancel": self.cancel_command, "report": self.report}

    @property
    def verbs(self) -> dict[str, VerbHandler]:
        return {
            verbs.REQUEST_APPROVE: self.approve,
            verbs.REQUEST_REJECT: self.reject,
            verbs.REQUEST_REFRESH: self.refresh,
            verbs.REQUEST_CANCEL: self.cancel,
            verbs.REQUEST_STATUS: self.status_click,
            verbs.REQUEST_RECHECK: self.recheck,
            verbs.REQUEST_REPORT: self.report_click,
            verbs.HISTORY_PAGE: self.history_page,
        }

    async def audit_refusal(self, caller: Caller, verb: str, data: Mapping[str, Any]) -> None:
        """A click from a tenant outside ALLOWED_TENANT_IDS: nothing changes, but a click on a real
        request is recorded (forged ids are not, so nobody can fill the trail with noise)."""
        request_id = data.get("requestId")
        if not isinstance(request_id, str) or not request_id.strip():
            return
        if await self._workflow.get(normalize_id(request_id)) is None:
            return
        await self._workflow.audit(
            normalize_id(request_id),
            "refused",
            by=person_of(caller),
            tenant_id=caller.tenant_id,
            detail={"verb": verb[:60], "reason": "tenant not allowed"},
        )

    async def drain(self) -> None:
        """Wait for the background card updates (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # ------------------------------------------------------------------ helpers

    def _actor(self, caller: Caller) -> Actor:
        return Actor(person_of(caller), caller.tenant_id, may_approve=self._policy.may_approve(caller),
                     tenant_allowed=self._policy.tenant_allowed(caller))

    async def _seen(self, turn_context: TurnContext, caller: Caller) -> None:
        await self._notifier.remember(turn_context)
        if self._policy.may_approve(caller):
            await self._notifier.learn_approver(caller.mri)

    async def _view(self, stored: StoredRequest, caller: Caller) -> dict[str, Any]:
        """The card this person should see: buttons only for those who may press them."""
        mris = await self._notifier.approver_mris()
        view = base_view(mris)
        if stored.state is RequestState.PENDING_APPROVAL:
            is_requester = caller.user_id is not None and caller.user_id == stored.request.requested_by.id
            if is_requester:
                view = "requester"
            elif self._policy.may_approve(caller):
                view = "approver"
            else:
                view = "base"
        return render(stored, approver_mris=mris, view=view)

    def _later(self, stored: StoredRequest) -> None:
        task = asyncio.create_task(self._update_shared(stored))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _update_shared(self, stored: StoredRequest) -> None:
        try:
            await self._notifier.update_card(stored)
        except Exception:  # noqa: BLE001 - the clicker already has the new card; others refresh later
            log.exception("move %s: could not update the shared approval card", stored.id)

    @staticmethod
    def _missing() -> dict[str, Any]:
        return error_card("I cannot find this move request.",
                          "Type history to see the requests, then status followed by an id.",
                          title="Unknown move request")

    async def _answer(self, outcome: Outcome, caller: Caller) -> dict[str, Any]:
        if outcome.stored is None:
            return self._missing()
        if outcome.changed:
            self._later(outcome.stored)
        card = await self._view(outcome.stored, caller)
        if outcome.refusal:
            return with_note(card, f"Not allowed: {outcome.refusal} Nothing was changed.", attention=True)
        if outcome.note:
            return with_note(card, outcome.note)
        return card

    @staticmethod
    def _request_id(data: Mapping[str, Any]) -> str | None:
        value = data.get("requestId")
        return normalize_id(value) if isinstance(value, str) and value.strip() else None

    # ------------------------------------------------------------------ card clicks

    async def approve(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        request_id = self._request_id(data)
        if request_id is None:
            return self._missing()
        await self._seen(turn_context, caller)
        outcome = await self._workflow.approve(request_id, self._actor(caller))
        if outcome.changed:
            self._on_approved()
        return await self._answer(outcome, caller)

    async def reject(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        request_id = self._request_id(data)
        if request_id is None:
            return self._missing()
        await self._seen(turn_context, caller)
        comment = data.get("comment") if isinstance(data.get("comment"), str) else ""
        outcome = await self._workflow.reject(request_id, self._actor(caller), str(comment)[:500])
        return await self._answer(outcome, caller)

    async def cancel(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        request_id = self._request_id(data)
        if request_id is None:
            return self._missing()
        await self._seen(turn_context, caller)
        return await self._answer(await self._workflow.cancel(request_id, self._actor(caller)), caller)

    async def refresh(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        # Teams sends this on its own (trigger "automatic"): read-only, whatever the data says.
        request_id = self._request_id(data)
        stored = await self._workflow.get(request_id) if request_id else None
        if stored is None:
            return self._missing()
        if self._policy.may_approve(caller):
            await self._notifier.learn_approver(caller.mri)
        return await self._view(stored, caller)

    async def status_click(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        request_id = self._request_id(data)
        stored = await self._workflow.get(request_id) if request_id else None
        if stored is None:
            return self._missing()
        return progress_card(stored)

    async def recheck(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        """Check again: a move waiting for access tries its step again now instead of at the next backoff."""
        request_id = self._request_id(data)
        stored = await self._workflow.get(request_id) if request_id else None
        if stored is None:
            return self._missing()
        if stored.access_wait is None or stored.state.is_final:
            return with_note(await self._view(stored, caller), "This move is not waiting for access.")
        await self._workflow.audit(stored.id, "access_recheck", by=person_of(caller), tenant_id=caller.tenant_id,
                                   detail={})
        if self._on_recheck(stored.id):
            note = "Checking access again now. This card updates when the move carries on."
        else:
            note = "The move checks access again by itself at the time shown (another bot instance runs it)."
        return with_note(progress_card(stored), note)

    async def history_page(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        page = data.get("page")
        return await self._history_card(page if isinstance(page, int) else 1)

    async def _history_card(self, page: int) -> dict[str, Any]:
        found, total = await self._workflow.history_page(page, per_page=HISTORY_PER_PAGE)
        return history_card([s.request for s in found], page=page, total=total)

    # ------------------------------------------------------------------ commands

    async def approvals_here(self, turn_context: TurnContext, caller: Caller, command: Command) -> None:
        await self._seen(turn_context, caller)
        if not command.args or command.args[0].lower() != "here":
            where = await self._notifier.approvals_conversation()
            await turn_context.send_activity(
                "Approval cards go to the approvals conversation set by an approver."
                if where else
                "No approvals conversation is set, so approval cards go to the requester's chat. An approver "
                "can type `approvals here` in a channel or group chat to change that."
            )
            return
        if not self._policy.may_approve(caller):
            await turn_context.send_activity(card_reply(not_allowed_card(
                "Only approvers can choose where approval cards go.")))
            return
        kind = getattr(turn_context.activity.conversation, "conversation_type", None)
        if kind not in _GROUP_CONVERSATIONS:
            await turn_context.send_activity(
                "Type `approvals here` in a channel or group chat, so every approver sees the cards.")
            return
        reference = await self._notifier.remember(turn_context)
        await self._notifier.set_approvals_conversation(reference)
        await self._workflow.audit("settings", "approvals_conversation", by=person_of(caller),
                                   tenant_id=caller.tenant_id,
                                   detail={"conversation": (reference.get("conversation") or {}).get("id")})
        await turn_context.send_activity("From now on, approval cards for move requests come to this conversation.")

    async def status(self, turn_context: TurnContext, caller: Caller, command: Command) -> None:
        await self._seen(turn_context, caller)
        stored = await self._pick(caller, command, lambda s: True)
        if stored is None:
            await turn_context.send_activity(
                "I found no move request. Type `history` to see them, or `status <request id>`.")
            return
        card = progress_card(stored) if stored.state is not RequestState.PENDING_APPROVAL else \
            await self._view(stored, caller)
        await turn_context.send_activity(card_reply(card))

    async def report(self, turn_context: TurnContext, caller: Caller, command: Command) -> None:
        """`report [<request id>]`: the final report card with a fresh link to the whole move report (links
        expire). Only for those who may see the request; to anyone else the request does not exist."""
        await self._seen(turn_context, caller)
        stored = await self._pick(caller, command, lambda s: s.state in _REPORTABLE)
        if stored is not None and not await self._may_report(turn_context, caller, stored):
            stored = None
        if stored is None:
            named = f" {command.args[0][:20]}" if command.args else ""
            await turn_context.send_activity(
                f"I found no move request{named} whose report you may see. Reports go to the requester, the "
                "approvers and the chats the request was posted to. Type `history` to see the requests.")
            return
        if stored.state not in _REPORTABLE:
            await turn_context.send_activity(
                f"Move request {stored.id} has not run ({stored.state.value.replace('_', ' ')}), so there is no "
                f"report yet. Type `status {stored.id}` to see where it stands.")
            return
        await turn_context.send_activity(card_reply(await self._fresh_report(caller, stored)))

    async def report_click(self, turn_context: TurnContext, caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
        """New report link on the final card: the card again, with a fresh link, for the clicker."""
        request_id = self._request_id(data)
        stored = await self._workflow.get(request_id) if request_id else None
        if stored is None:
            return self._missing()
        if not await self._may_report(turn_context, caller, stored):
            # Not the request's card either: a forged click learns nothing about it.
            return not_allowed_card("A move's report goes to its requester, the approvers and the chats it was "
                                    "posted to.")
        if stored.state not in _REPORTABLE:
            return with_note(await self._view(stored, caller), "This request has not run: there is no report yet.")
        return await self._fresh_report(caller, stored)

    async def _fresh_report(self, caller: Caller, stored: StoredRequest) -> dict[str, Any]:
        link = await self._notifier.move_report(stored)
        await self._workflow.audit(stored.id, "report", by=person_of(caller), tenant_id=caller.tenant_id,
                                   detail={"link": link is not None})
        return self._notifier.report_card(stored, link)

    async def _may_report(self, turn_context: TurnContext, caller: Caller, stored: StoredRequest) -> bool:
        """May see the request's report; a refusal is audited."""
        if self._may_see(caller, stored, getattr(turn_context.activity.conversation, "id", None)):
            return True
        await self._workflow.audit(stored.id, "refused", by=person_of(caller), tenant_id=caller.tenant_id,
                                   detail={"attempted": "report", "reason": "not the requester, an approver or in "
                                           "the request's conversations"})
        return False

    def _may_see(self, caller: Caller, stored: StoredRequest, conversation: str | None) -> bool:
        places = [stored.requester_conversation, stored.card.conversation if stored.card else None]
        conversations = {str((p.get("conversation") or {}).get("id")) for p in places if p}
        requested = next((d for d in stored.request.decisions if d.action == "requested"), None)
        return self._policy.may_see_request(caller, requester_id=stored.request.requested_by.id,
                                            requester_tenant_id=requested.tenant_id if requested else None,
                                            conversations=conversations, conversation_id=conversation)

    async def history(self, turn_context: TurnContext, caller: Caller, command: Command) -> None:
        await self._seen(turn_context, caller)
        await turn_context.send_activity(card_reply(await self._history_card(1)))

    async def cancel_command(self, turn_context: TurnContext, caller: Caller, command: Command) -> None:
        await self._seen(turn_context, caller)
        stored = await self._pick(caller, command, lambda s: s.state in _CANCELLABLE)
        if stored is None:
            await turn_context.send_activity("You have no move request that can still be cancelled.")
            return
        outcome = await self._workflow.cancel(stored.id, self._actor(caller))
        if outcome.changed and outcome.stored is not None:
            self._later(outcome.stored)
            await turn_context.send_activity(f"Move request {stored.id} is cancelled. Nothing was moved.")
        elif outcome.refusal:
            await turn_context.send_activity(f"Not allowed: {outcome.refusal} Nothing was changed.")
        else:
            await turn_context.send_activity(outcome.note or "Nothing was changed.")

    async def _pick(
        self, caller: Caller, command: Command, wanted: Callable[[StoredRequest], bool]
    ) -> StoredRequest | None:
        """The request named in the command, else the caller's newest one that fits."""
        if command.args:
            return await self._workflow.get(command.args[0])
        if caller.user_id is None:
            return None
        mine = await self._workflow.history(limit=200, requester_id=caller.user_id)
        return next((s for s in mine if wanted(s)), None)
