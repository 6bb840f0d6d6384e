"""An engineer assesses a subscription of the built-in sandbox tenant (contoso) in the Agents
Playground by answering the bot's questions and clicking the cards, then pages through the
blockers. Same flow as tests/dialogs/test_flows.py, seen through the Teams-like web chat."""

from __future__ import annotations

import json
import re
import ssl
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from sandbox.tls import CA_FILE
from tests.support.playground import playground_config, playground_user, run_journey

E2E = Path(__file__).resolve().parent
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/")
TENANT = "contoso.onmicrosoft.com"
# Each sandbox Azure call waits this long, so the progress card stays on screen long enough to
# be seen and photographed (an assessment of contoso takes about five calls).
SANDBOX_LATENCY_MS = 1000

pytestmark = pytest.mark.e2e


def _slow_down_sandbox(data_dir: Path, latency_ms: int) -> None:
    """Make the bot's embedded sandbox Azure answer slowly (its loopback admin endpoint)."""
    sandbox_dir = data_dir / "sandbox"
    port = int((sandbox_dir / "port").read_text())
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}/_sandbox/faults",
        data=json.dumps({"latency_ms": latency_ms}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    context = ssl.create_default_context(cafile=str(sandbox_dir / CA_FILE))
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        assert json.load(response)["latency_ms"] == latency_ms


def _rows(table: list[list[str]]) -> dict[str, list[str]]:
    """Table rows by their first cell, header row left out."""
    return {row[0]: row[1:] for row in table[1:]}


def test_assess_by_clicking_the_choices_then_paging_blockers(
    bot_server, playground, e2e_out: Path, tmp_path: Path
) -> None:
    bot = bot_server(
        extra_env={
            "ALLOWED_TENANT_IDS": playground_config()["tenantId"],
            "ENGINEER_IDS": playground_user("Alex Wilber").aad_object_id,
            "APPROVER_IDS": playground_user("Megan Bowen").aad_object_id,
            # Our own data directory, to reach the embedded sandbox it keeps there.
            "STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        }
    )
    _slow_down_sandbox(tmp_path, SANDBOX_LATENCY_MS)
    pg = playground(bot + "/api/messages")

    result = run_journey(E2E / "journey_assess.js", pg, e2e_out, TENANT, "Pay-As-You-Go", timeout=120)
    (e2e_out / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))

    # "assess" alone: the bot asks for the tenant in plain text.
    assert result["question"].startswith("Which customer tenant?"), result["question"]

    # The tenant: a card with a choice of the subscriptions that can move (the CSP one is left out).
    picker = result["picker"]
    assert picker["text"].startswith("Which subscription?"), picker["text"]
    assert f"Subscriptions in {TENANT} that can move to CSP." in picker["text"]
    assert picker["offered"] == ["Contoso Pay-As-You-Go — Pay-As-You-Go"], picker["offered"]
    assert picker["picked"] == "Contoso Pay-As-You-Go — Pay-As-You-Go"
    assert picker["buttons"] == ["Continue", "Cancel"]

    # Continue: that same chat message turned into the progress card, then into the summary; the
    # summary came as an update of the message (not as a new one), and the picker is gone.
    slot = result["slot"]
    heads = [step["head"] for step in slot["timeline"]]
    assert heads[0] == "Which subscription?", heads
    assert heads[-1] == "Assessment: Contoso Pay-As-You-Go", heads
    assert any(h.startswith("Assessing subscription ") for h in heads[1:-1]), heads
    # The click's answer says "Reading resources"; "60 of 60" only comes in a later update (PUT to
    # the connector), re-rendered in the same message, like the summary after it.
    texts = [step["text"] for step in slot["timeline"]]
    assert any("Reading resources: 60 of 60" in t for t in texts), texts[1:-1]
    assert "(message gone)" not in heads, heads
    assert slot["sameMessage"], "the summary replaced the progress card in place"
    assert slot["cardsAfter"] == slot["cardsBefore"] == slot["cardsAtEnd"], slot
    assert slot["pickerLeft"] == 0, "the subscription picker is no longer on screen"
    assert result["progress"] and "Reading resources" in result["progress"], result["progress"]

    # The summary: what it says about the subscription, counts per verdict, the next steps.
    summary = result["summary"]
    assert summary["text"].startswith("Assessment: Contoso Pay-As-You-Go"), summary["text"][:200]
    assert "60 in 16 groups" in summary["text"]
    readiness = _rows(summary["tables"][0])
    assert summary["tables"][0][0] == ["Verdict", "Groups", "Resources"]
    # No target chosen yet, so "provider not registered in the target" cannot hold rg-data back:
    # 4 groups ready (rg-vm-app, rg-web-prod, rg-data, rg-integration), 6 after fixes, 6 blocked.
    assert readiness == {"Ready": ["4", "17"], "Ready after fixes": ["6", "16"], "Blocked": ["6", "27"]}, readiness
    groups = _rows(summary["tables"][-1])
    # A ReadOnly lock is lifted in minutes: the group is ready after fixes, not blocked.
    assert len(groups) == 15 and groups["rg-locked"] == ["3", "Ready after fixes"], groups
    assert "And 1 more group." in summary["text"]  # 15 rows at most
    # The next steps (the card may offer more, e.g. a report download).
    assert summary["buttons"][:3] == ["Move ready groups", "Show blockers", "Assess again"], summary["buttons"]

    # Blockers, forward and back: page 1 (no Previous), page 2 (both), page 1 again.
    pages = [re.search(r"(\d+) found\. Page (\d+) of (\d+)\.", b["text"]) for b in result["blockers"]]
    assert all(pages), [b["text"][:120] for b in result["blockers"]]
    found, _, total = pages[0].groups()
    assert [p.group(2) for p in pages] == ["1", "2", "1"]
    assert {p.group(3) for p in pages} == {total} and int(total) >= 2
    assert int(total) == -(-int(found) // 10), "10 blockers a page"
    first, second, back = result["blockers"]
    assert all(b["text"].startswith("Blockers: Contoso Pay-As-You-Go") for b in result["blockers"])
    assert first["buttons"] == ["Next page", "Back to summary"]
    assert second["buttons"] == ["Previous page", "Next page", "Back to summary"]
    assert "1. " in first["text"] and "11. " in second["text"] and "10. " not in second["text"]
    assert back["text"] == first["text"]

    # The browser stayed on loopback (CDN fonts were aborted) and the page raised no script error.
    assert result["pageErrors"] == []
    assert not [u for u in result["blockedRequests"] if LOOPBACK.match(u)]

    shots = result["screenshots"]
    stages = {"question", "choices", "picker", "progress", "summary", "blockers1", "blockers2", "blockers3"}
    assert set(shots) >= stages, f"no screenshot of {sorted(stages - set(shots))}"
    for shot in shots.values():
        with Image.open(shot) as img:
            assert img.width > 300 and img.height > 150, (shot, img.size)
