"""An engineer asks to move two resource groups of the built-in sandbox tenant (contoso) in the Agents
Playground, another person approves, and the approval card follows the move in place until the
final report. Same flow as tests/dialogs/test_move.py, seen by two people in the Teams-like web chat.

The Playground has one current user per process, so each person gets their own Playground on the
same bot: Alex Wilber (engineer) and Megan Bowen (approver). It also shows no user-specific card
views (refresh.userIds): with no approver's Teams id known yet, the approval card posted in Alex's
chat carries Approve move / Reject for everyone and every click is checked on the server. Megan
never sees Alex's chat (it lives in his Playground); she opens the request in the approvers' group
chat with `status <id>`, which gives an approver the decision buttons."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.support.playground import engineer_and_approver, run_journey

E2E = Path(__file__).resolve().parent
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/")

pytestmark = pytest.mark.e2e


def _heads(timeline: list[dict]) -> list[str]:
    """First lines of the cards a message showed, repeats folded (the Playground re-renders a card
    several times while it updates it)."""
    heads: list[str] = []
    for step in timeline:
        if not heads or heads[-1] != step["head"]:
            heads.append(step["head"])
    return heads


def test_move_requested_by_alex_approved_by_megan_updates_the_card_in_place(
    bot_server, playground, e2e_out: Path
) -> None:
    alex_pg, megan_pg = engineer_and_approver(bot_server, playground)

    result = run_journey(E2E / "journey_approval.js", alex_pg, e2e_out, megan_pg, timeout=150)
    (e2e_out / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    rid = result["requestId"]

    # The one-line move asks before it creates anything in the CSP subscription.
    confirm = result["confirm"]
    assert confirm["text"].startswith("Create target resource groups?"), confirm["text"][:200]
    assert all(g in confirm["text"] for g in ("rg-web-prod", "rg-vm-app", "rg-integration"))
    assert confirm["buttons"] == ["Create groups and run dry run", "Cancel"]

    # The same card became the plan, with Azure's dry run, then the request. Its first screen says what asking
    # for approval requests, and what is left out and why; the details are behind "Show all".
    plan = result["plan"]
    assert plan["text"].startswith("Move plan MR-"), plan["text"][:200]
    assert "Asking for approval requests all of this: the moves of 11 resources in 2 groups" in plan["text"]
    assert "rg-integration: Azure's dry run refused it" in plan["text"]
    assert plan["buttons"] == ["Show all", "Ask for approval", "Cancel"]
    first = result["planFirstScreen"]
    assert first and first["inView"], f"what is requested is not on the plan's first screen: {first}"
    # Every reason whole: Azure's (a running SSIS runtime) and its fix, never cut mid-word.
    everything = plan["all"]
    assert "11 resources in 2 groups" in everything and "Azure accepted 2 of 2 groups." in everything
    assert "…" not in everything and "…" not in plan["text"]
    assert "integration runtimes" in everything
    assert "Fix: Change what Azure names, then assess again and request a new move." in everything
    assert "Show less" in everything
    heads = _heads(result["requestMessage"]["timeline"])
    assert heads[0] == "Create target resource groups?", heads
    assert heads[-1] == f"Move request {rid}: approval needed", heads
    assert any(h.startswith("Move plan MR-") for h in heads), heads

    # Alex's own view of his request: he may cancel it, not approve it.
    requested = result["requested"]
    assert requested["text"].startswith(f"Move request {rid}: approval needed")
    assert "You asked for this move. Another person must approve it." in requested["text"]
    assert requested["buttons"] == ["Show all", "Cancel request"]

    # The approval card was posted in his chat as one new message, with the decision buttons.
    card = result["approvalCard"]
    assert card["text"].startswith(f"Move request {rid}: approval needed")
    assert "Alex Wilber asks to move resources of Contoso Pay-As-You-Go" in card["text"]
    assert "Approving runs all of this: the moves of 11 resources in 2 groups (rg-vm-app and rg-web-prod)" in \
        card["text"] or "(rg-web-prod and rg-vm-app)" in card["text"], card["text"][:600]
    assert "rg-integration" not in card["text"]
    assert card["buttons"] == ["Show all", "Approve move", "Reject"]
    first = result["approvalFirstScreen"]
    assert first and first["inView"], f"what is approved is not on the approval card's first screen: {first}"
    assert "Reason (needed only to reject)" in card["text"] and "*" not in card["text"].split("Reason")[1][:40]
    messages = result["messages"]
    assert messages["afterAsk"] == messages["beforeAsk"] + 1, messages

    # Alex clicking Approve move on his own request: refused, nothing changed, no new message.
    refused = result["refused"]
    assert "Not allowed: Only approvers can approve or reject moves." in refused["text"]
    assert "An approver decides" in refused["text"] and "Nothing was changed." in refused["text"]
    assert "Approve move" not in refused["buttons"] and "Cancel request" in refused["buttons"]
    # The answer sits where Alex clicked: on screen right after the click, just above the card's buttons.
    place = refused["place"]
    assert place["inView"], f"the refusal is out of sight after the click: {place}"
    assert 0 <= place["buttonTop"] - place["bottom"] < 60, f"the refusal is not next to the buttons: {place}"
    assert messages["afterRefusal"] == messages["afterAsk"], messages

    # Megan, in the approvers' group chat, sees the request with her buttons and approves it.
    assert result["meganRequest"]["text"].startswith(f"Move request {rid}: approval needed")
    assert result["meganRequest"]["buttons"] == ["Show all", "Approve move", "Reject"]
    after = result["meganAfter"]
    assert re.match(rf"Move {rid}: (approved, starting soon|running the dry run|moving|moved)", after["text"]), after
    assert "Approve move" not in after["buttons"] and "Refresh status" in after["buttons"]

    # Alex's approval card followed the move in place: approved, moving, moved.
    heads = _heads(result["approvalMessage"]["timeline"])
    assert "(message gone)" not in heads, heads
    assert heads[0] == f"Move request {rid}: approval needed", heads
    assert f"Move {rid}: moving" in heads, heads
    assert heads[-1] == f"Move {rid}: moved", heads
    assert heads.index(f"Move {rid}: moving") < heads.index(f"Move {rid}: moved")
    final = result["final"]
    assert "Moved. 11 of 11 resources moved." in final["text"], final["text"][:300]
    assert "Approved by Megan Bowen" in final["all"]
    assert "Still in the source subscription" in final["all"]

    # The final report came as a new message after it.
    report = result["report"]
    assert not result["reportInApprovalMessage"]
    assert messages["atEnd"] == messages["afterRefusal"] + 1, messages
    assert report["text"].startswith(f"Move {rid}: moved"), report["text"][:200]
    assert "Moved. 11 of 11 resources moved." in report["text"]
    assert "11 of 11 resources, in 2 of 2 groups" in report["text"] and "Not moved\n0 resources" in report["text"]
    assert "Checklist after the move" in report["all"], "the post-move checklist"

    # Megan's card, refreshed, says the move is done.
    refreshed = result["meganRefreshed"]
    assert refreshed["text"].startswith(f"Move {rid}: moved"), refreshed["text"][:200]
    assert "Moved 11 of 11 resources (100%). 2 of 2 groups done." in refreshed["text"]

    # The browser stayed on loopback (CDN fonts were aborted) and the pages raised no script error.
    assert result["pageErrors"] == []
    assert not [u for u in result["blockedRequests"] if LOOPBACK.match(u)]

    shots = result["screenshots"]
    stages = {
        "confirm",
        "plan",
        "planFirst",
        "planAll",
        "approvalFirst",
        "refusedInChat",
        "requested",
        "approvalCard",
        "refused",
        "meganRequest",
        "meganAfter",
        "moving",
        "moved",
        "report",
        "meganRefreshed",
    }
    assert set(shots) >= stages, f"no screenshot of {sorted(stages - set(shots))}"
    for shot in shots.values():
        with Image.open(shot) as img:
            assert img.width > 300 and img.height > 150, (shot, img.size)
