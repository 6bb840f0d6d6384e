"""`audit export <request id>` in chat, over real HTTP to /api/messages: an approver gets a file link and the
chain's head; the file downloads from the bot's own route, and `python -m tools.verify_audit FILE`, run as an
auditor would (a separate process, no bot), passes it and fails a copy with one entry edited."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cards import verbs
from migration.model.digest import short
from tests.support.cardtools import buttons, text_of
from tests.support.moves import APPROVALS_CHAT, MoveBot
from tests.support.teams import APPROVER, ENGINEER

ROOT = Path(__file__).resolve().parents[2]


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tools.verify_audit", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)


async def test_an_approver_exports_a_requests_audit_trail_and_an_auditor_checks_it(move_bot: MoveBot,
                                                                                  tmp_path: Path):
    bot = move_bot
    assert await bot.say("status") in (200, 201)  # the requester talks to the bot once
    stored = await bot.request("rg-web")
    await bot.say(f"audit export {stored.id}")  # the engineer: not an approver
    await bot.connector.wait_for(3)
    assert any("Only approvers can export the audit trail" in t for t in bot.connector.texts())
    bot.connector.clear()

    await bot.say(f"audit export {stored.id}", user=APPROVER, conversation=APPROVALS_CHAT, kind="groupChat")
    [answer] = await bot.connector.wait_for(1)
    card = answer["attachments"][0]["content"]
    head = (await bot.parts.workflow.trail.chain(stored.id))[0].hash  # the one entry before the export
    assert f"{stored.id}" in text_of(card) and short(head) in text_of(card)
    assert "Anyone with this link can download it until" in text_of(card)
    url = buttons(card)["Download the audit file (JSON Lines)"]["url"]
    async with bot.session.get(f"{bot.url}/reports/{url.split('/reports/', 1)[1]}") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("application/x-ndjson")
        content = await response.text()
    exported = tmp_path / "audit.jsonl"
    exported.write_text(content, encoding="utf-8")
    checked = _verify(exported)
    assert checked.returncode == 0 and "OK: 1 entries in 1 chains" in checked.stdout, checked.stdout

    manifest, entry = content.splitlines()
    forged = json.loads(entry)
    forged["detail"]["resources"] = 1
    exported.write_text(f"{manifest}\n{json.dumps(forged)}\n", encoding="utf-8")
    tampered = _verify(exported)
    assert tampered.returncode == 1 and "TAMPERED" in tampered.stdout and "edited" in tampered.stdout


async def test_who_looked_at_a_request_is_recorded_and_a_tenant_export_covers_its_requests(move_bot: MoveBot,
                                                                                          tmp_path: Path):
    bot = move_bot
    assert await bot.say("status") in (200, 201)
    stored = await bot.request("rg-web")
    await bot.click(verbs.REQUEST_REFRESH, {"requestId": stored.id})  # Teams refreshes the approver's card
    await bot.click(verbs.REQUEST_STATUS, {"requestId": stored.id}, user=ENGINEER)
    viewed = [(e.by.id, e.detail["view"]) for e in await bot.parts.workflow.audit_trail(stored.id)
              if e.action == "viewed" and e.by]
    assert viewed == [(APPROVER["aadObjectId"], "card"), (ENGINEER["aadObjectId"], "status")]

    bot.connector.clear()
    await bot.say(f"audit export {stored.request.tenant_id}", user=APPROVER, conversation=APPROVALS_CHAT,
                  kind="groupChat")
    [answer] = await bot.connector.wait_for(1)
    card = answer["attachments"][0]["content"]
    assert f"Audit export of {stored.request.tenant_id}" in text_of(card) and stored.id in text_of(card)
    url = buttons(card)["Download the audit file (JSON Lines)"]["url"]
    async with bot.session.get(f"{bot.url}/reports/{url.split('/reports/', 1)[1]}") as response:
        exported = tmp_path / "tenant.jsonl"
        exported.write_text(await response.text(), encoding="utf-8")
    checked = _verify(exported)
    assert checked.returncode == 0 and "OK: 3 entries" in checked.stdout, checked.stdout
