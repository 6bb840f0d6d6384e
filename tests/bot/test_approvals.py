"""Move requests over real HTTP: Teams-shaped activities to the real app, the ARM sandbox behind it,
the Bot Connector stand-in recording every card the bot posts or updates."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from cards import verbs
from migration.model import GroupState, RequestState
from tests.support.cardtools import buttons
from tests.support.cardtools import text_of as _text
from tests.support.moves import APPROVALS_CHAT, OUTSIDER, TARGET, MoveBot, submit_move
from tests.support.teams import APPROVER, ENGINEER

FOREIGN_TENANT = "9b1d4a3e-0000-4000-8000-0000000000ff"


def _titles(card: dict) -> list[str]:
    return [a.get("title", "") for a in card.get("actions") or []] + [
        a.get("title", "") for e in card.get("body") or [] for a in e.get("actions") or []
    ]


async def _setup(bot: MoveBot) -> None:
    """An approver sets the approvals chat; the engineer talks to the bot once."""
    assert await bot.say("approvals here", user=APPROVER, conversation=APPROVALS_CHAT, kind="groupChat") in (200, 201)
    assert await bot.say("status") in (200, 201)
    await bot.connector.wait_for(2)
    assert "come to this conversation" in bot.connector.sent[0]["text"]
    bot.connector.clear()


async def test_whole_journey_request_approve_move_report(move_bot: MoveBot):
    bot = move_bot
    await _setup(bot)
    stored = await bot.request("rg-app", "rg-bad")
    [posted] = await bot.connector.wait_for(1)
    assert posted["_conversation"] == APPROVALS_CHAT, "the approval card goes to the approvals chat"
    card = posted["attachments"][0]["content"]
    assert stored.card is not None and stored.card.activity_id
    assert "Approve move" not in _titles(card), "the shared card shows status; approvers refresh into buttons"
    assert APPROVER["id"] in card["refresh"]["userIds"] and ENGINEER["id"] in card["refresh"]["userIds"]
    assert "Role assignments" in _text(card), "the post-move checklist is on the approval card"

    approver_view = await bot.click(verbs.REQUEST_REFRESH, {"requestId": stored.id})
    assert {"Approve move", "Reject"} <= set(_titles(approver_view))
    requester_view = await bot.click(verbs.REQUEST_REFRESH, {"requestId": stored.id}, user=ENGINEER)
    assert "Approve move" not in _titles(requester_view) and "Cancel request" in _titles(requester_view)

    answer = await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id}, reply_to_id=stored.card.activity_id)
    assert "Approve move" not in _titles(answer)

    done = await bot.until(stored.id, lambda s: s.report_sent)
    assert done.state is RequestState.PARTIALLY_SUCCEEDED
    # Moved in the sandbox: rg-app entirely, rg-bad's first batch; its second batch failed.
    world = bot.sandbox.world
    assert len(world.group(TARGET, "rg-app-csp").resources) == 7
    assert {r.name for r in world.group(TARGET, "rg-bad-csp").resources.values()} == {"stbad0", "stbad1", "stbad2"}
    # The approval card was updated in place (same message id), ending with the outcome.
    updates = [u for u in bot.connector.updated if u["_activity_id"] == stored.card.activity_id]
    assert len(updates) >= 3
    assert "Partly moved" in _text(updates[-1]["attachments"][0]["content"])
    # The report went to the requester's chat and to the approvals chat, proactively.
    reports = [a for a in bot.connector.sent if f"Move {stored.id}: partly moved" in _text(a)]
    assert sorted(a["_conversation"] for a in reports) == sorted([APPROVALS_CHAT, "a:conv-personal"])
    report = _text(reports[0])
    assert "rg-bad" in report and "Fix:" in report and "stbad3" in report and "Role assignments" in report
    assert report.index("Needs you") < report.index('"Done"'), "what did not move comes before what did"

    # The card links the whole move report; the link works over HTTP and names what did not move.
    csv_url = buttons(reports[0]["attachments"][0]["content"])["Download the move report (CSV)"]["url"]
    path = csv_url.split("/reports/", 1)[1]
    async with bot.session.get(f"{bot.url}/reports/{path}") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
        assert f'filename="move-{stored.id}-' in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(await response.text())))
    moves = {r["group"]: r for r in rows if r["section"] == "step" and r["phase"] == "moves"}
    assert set(moves) == {"rg-app", "rg-bad"}
    assert moves["rg-app"]["outcome"] == "Done" and moves["rg-app"]["command"] == ""
    assert moves["rg-bad"]["outcome"] == "Failed" and moves["rg-bad"]["azure_code"] == "ResourceMoveFailed"
    assert moves["rg-bad"]["command"].endswith("/stbad3"), "only what is still in the source is to move by hand"


async def test_reject_needs_a_reason_and_nothing_moves(move_bot: MoveBot):
    bot = move_bot
    await _setup(bot)
    stored = await bot.request("rg-web")
    await bot.connector.wait_for(1)
    again = await bot.click(verbs.REQUEST_REJECT, {"requestId": stored.id, "comment": " "})
    assert "Say why" in _text(again)
    answer = await bot.click(verbs.REQUEST_REJECT, {"requestId": stored.id, "comment": "Wrong CSP subscription"})
    assert "Rejected" in _text(answer) and "Wrong CSP subscription" in _text(answer)
    late = await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id})
    # Said to Megan, who rejected it, in her own words.
    assert "You rejected this request at " in _text(late) and "already rejected" not in _text(late)
    await asyncio.sleep(0.6)  # a few runner scans
    current = await bot.parts.workflow.get(stored.id)
    assert current is not None and current.state is RequestState.REJECTED
    assert bot.sandbox.stats()["moves"] == {}
    assert any("Rejected" in _text(u) for u in bot.connector.updated), "the shared card shows the rejection"


async def test_cancel_by_the_requester_before_the_move(move_bot: MoveBot):
    bot = move_bot
    await _setup(bot)
    stored = await bot.request("rg-web")
    await bot.say(f"cancel {stored.id}", user=APPROVER, conversation=APPROVALS_CHAT, kind="groupChat")
    await bot.say("cancel")
    await bot.connector.wait_for(3)
    texts = bot.connector.texts()
    assert any("Only the person who asked" in t for t in texts)
    assert any(f"{stored.id} is cancelled" in t for t in texts)
    late = await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id})
    assert "already cancelled" in _text(late)
    await asyncio.sleep(0.6)
    assert bot.sandbox.stats()["moves"] == {}
    trail = [e.action for e in await bot.parts.workflow.audit_trail(stored.id)]
    assert trail == ["requested", "refused", "cancelled"]


@pytest.mark.parametrize("move_bot", [f"{APPROVER['aadObjectId']},{ENGINEER['aadObjectId']}"], indirect=True)
async def test_self_approval_is_refused_and_audited(move_bot: MoveBot):
    bot = move_bot
    await _setup(bot)
    stored = await bot.request("rg-web")
    answer = await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id}, user=ENGINEER)
    assert "another approver must decide" in _text(answer) and "Nothing was changed" in _text(answer)
    current = await bot.parts.workflow.get(stored.id)
    assert current is not None and current.state is RequestState.PENDING_APPROVAL
    refused = [e for e in await bot.parts.workflow.audit_trail(stored.id) if e.action == "refused"]
    assert [(e.by.id if e.by else None, e.detail["attempted"]) for e in refused] == [(ENGINEER["aadObjectId"],
                                                                                     "approved")]


async def test_non_approvers_and_other_tenants_are_refused(move_bot: MoveBot):
    bot = move_bot
    await _setup(bot)
    stored = await bot.request("rg-web")
    answer = await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id}, user=OUTSIDER)
    assert "Only approvers" in _text(answer)
    foreign = await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id}, tenant=FOREIGN_TENANT)
    assert "Not allowed" in _text(foreign)
    current = await bot.parts.workflow.get(stored.id)
    assert current is not None and current.etag == stored.etag, "a refusal changes nothing"
    refused = [e for e in await bot.parts.workflow.audit_trail(stored.id) if e.action == "refused"]
    # Both refusals are audited, the foreign one with the tenant it came from.
    assert [e.by.id for e in refused if e.by] == [OUTSIDER["aadObjectId"], APPROVER["aadObjectId"]]
    assert refused[1].tenant_id == FOREIGN_TENANT and refused[1].detail["reason"] == "tenant not allowed"


async def test_twenty_concurrent_approve_clicks_move_once(move_bot: MoveBot):
    bot = move_bot
    await _setup(bot)
    stored = await bot.request("rg-app")
    cards = await asyncio.gather(*(bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id}) for _ in range(20)))
    assert all("Approve move" not in _titles(c) for c in cards)
    done = await bot.until(stored.id, lambda s: s.report_sent)
    assert done.state is RequestState.SUCCEEDED
    assert [d.action for d in done.request.decisions] == ["requested", "approved"]
    stats = bot.sandbox.stats()
    # 7 resources in batches of 3: three move calls, each POSTed once, nothing more.
    assert stats["by_operation"]["Resources_MoveResources"] == 3
    assert stats["moves"] == {"started": 3, "succeeded": 3}
    assert all(g.state is GroupState.SUCCEEDED for g in done.request.groups)


@pytest.mark.parametrize("move_bot", [""], indirect=True)
async def test_with_no_approver_named_the_refusal_says_how_to_name_one_next_to_the_buttons(move_bot: MoveBot):
    bot = move_bot
    assert await bot.say("status") in (200, 201)
    stored = await submit_move(bot.parts.workflow, "rg-web")
    card = await bot.click(verbs.REQUEST_APPROVE, {"requestId": stored.id})
    answer = card["body"][-1]  # the last element before the card's buttons: where the click was
    said = _text(answer)
    assert "Only approvers can approve or reject moves. Nobody is an approver yet" in said, said
    assert "APPROVER_IDS" in said and "Nothing was changed." in said
    assert (await bot.parts.workflow.get(stored.id)).state is RequestState.PENDING_APPROVAL
