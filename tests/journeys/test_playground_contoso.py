"""The whole contoso scenario in the Agents Playground: Alex Wilber plans the move of every resource group the
picker offers (every fix the plan offers ticked), Megan Bowen approves, and the final report says, for each
group offered, that it moved or why it did not. Two Playgrounds on one bot, as in test_playground_approval."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.support.playground import engineer_and_approver, run_journey

E2E = Path(__file__).resolve().parent
SCOPE = re.compile(r"the moves of (\d+) resources in (\d+) groups")

pytestmark = pytest.mark.e2e


def _whole(reason: str) -> bool:
    """A reason as a person reads it whole: a full sentence, never cut ("…", "asse", a dangling "Fix:")."""
    return "…" not in reason and reason.rstrip().endswith((".", ")")) and not reason.rstrip().endswith("Fix:")


def test_every_group_the_picker_offers_is_moved_or_the_report_says_why(
    bot_server, playground, e2e_out: Path
) -> None:
    alex_pg, megan_pg = engineer_and_approver(bot_server, playground)
    result = run_journey(E2E / "journey_contoso.js", alex_pg, e2e_out, megan_pg, timeout=180)
    (e2e_out / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    rid = result["requestId"]

    # The picker offers the groups ready now or after the bot's fixes; Alex ticked all of them, and every fix.
    offered = [label.split(" (")[0] for label in result["picker"]["offered"]]
    assert len(offered) >= 5 and "rg-vm-app" in offered, result["picker"]["offered"]
    fixes = result["plan"]["fixes"]
    assert fixes and all(f["checked"] for f in fixes), fixes

    # One count of what is asked for and approved: the plan's, the approval card's and the report's agree.
    plan, approval, report = result["plan"], result["approvalCard"], result["report"]
    planned = SCOPE.search(plan["text"])
    assert planned, plan["text"][:600]
    resources, groups = planned.groups()
    assert SCOPE.search(approval["text"]) and SCOPE.search(approval["text"]).groups() == (resources, groups), \
        approval["text"][:600]
    assert f"{resources} resources in {groups} groups" in plan["all"]
    # The approval card's first screen names what is approved.
    first = result["approvalFirstScreen"]
    assert first and first["inView"], f"what is approved is not on the approval card's first screen: {first}"
    assert result["planFirstScreen"] and result["planFirstScreen"]["inView"], result["planFirstScreen"]

    # Every group offered: moved, moved with another group that moved, or left out with its whole reason.
    assert report["text"].startswith(f"Move {rid}: moved"), report["text"][:300]
    assert f"Moved\n{resources} of {resources} resources, in {groups} of {groups} groups" in report["all"], \
        report["all"][:600]
    moved = set(re.findall(r"✓ Move group (\S+) to ", report["all"]))
    joined = dict(re.findall(r"(\S+) moves with (\S+) \(the fixes bring", plan["all"]))
    left = dict(re.findall(r"^• (\S+): (.+)$", plan["all"].split("Left out of this plan", 1)[-1], re.M))
    for group in offered:
        if group in moved:
            continue
        if group in joined:
            assert joined[group] in moved, f"{group} was to move with {joined[group]}, which did not move"
            continue
        assert group in left, f"{group} was offered, did not move, and nothing says why"
        assert _whole(left[group]), f"the reason {group} is left out is cut: {left[group]!r}"
    assert len(moved) == int(groups), (moved, groups)

    # Every reason whole, on the plan, the approval card and the report; every failed step says Azure's reason.
    for text in (plan["all"], approval["text"], report["all"]):
        assert "…" not in text and "asse…" not in text
    for failed in re.findall(r"^Failed: (.+)$", report["all"], re.M):
        assert "Azure: " in failed and _whole(failed), failed

    # Alex clicking Approve on his own request: refused, the answer next to the button he clicked.
    refused = result["refused"]
    assert "Not allowed: Only approvers can approve or reject moves." in refused["text"]
    assert "Nothing was changed." in refused["text"] and "Approve move" not in refused["buttons"]
    place = refused["place"]
    assert place["inView"], f"the refusal is out of sight after the click: {place}"
    assert 0 <= place["buttonTop"] - place["bottom"] < 60, f"the refusal is not next to the buttons: {place}"

    assert result["pageErrors"] == []
    shots = result["screenshots"]
    stages = {"picker", "confirm", "plan", "planFirst", "planAll", "approvalCard", "approvalFirst",
              "refusedInChat", "report", "alexEnd"}
    assert set(shots) >= stages, f"no screenshot of {sorted(stages - set(shots))}"
    for shot in shots.values():
        with Image.open(shot) as img:
            assert img.width > 300 and img.height > 150, (shot, img.size)
