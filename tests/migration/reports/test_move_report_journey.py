"""The move report over real HTTP: `report <id>` to /api/messages answers with the final card and a fresh
link; the link serves CSV, JSON and Markdown holding every step of a 300-step plan, stops working once it
expires, and unknown tokens get a 404. Only the requester, the approvers and the people in the request's
conversations get it."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta

from cards import verbs
from cards._kit import MAX_CARD_BYTES
from migration.model import GroupMove, GroupState, RequestState
from migration.model.records import CardRef, StoredRequest
from storage.reports import ReportLinks, token_hash
from tests.support.cards import fixtures as fx
from tests.support.cardtools import buttons, text_of
from tests.support.moves import APPROVALS_CHAT, OUTSIDER, REQUESTER, MoveBot
from tests.support.teams import APPROVER, ENGINEER, PARTNER_TENANT

PERSONAL = "a:conv-personal"
GROUPS = 60  # fx.fix_plan gives 5 steps per group: 300 fix steps, and 60 moves


async def _finished(bot: MoveBot, *, state: RequestState = RequestState.PARTIALLY_SUCCEEDED) -> StoredRequest:
    """A finished move of 60 groups with 300 fix steps, every fourth of which failed; its final report was
    posted to the requester's chat and to the approvals chat."""
    steps = fx.fix_plan(GROUPS)
    groups = tuple(
        GroupMove(f"rg-workload-{i:03d}", f"/subscriptions/{fx.CSP_MAIN.id}/resourceGroups/rg-workload-{i:03d}",
                  "westeurope", (f"/subscriptions/{fx.PROD.id}/resourceGroups/rg-workload-{i:03d}/providers/"
                                 f"Microsoft.Storage/storageAccounts/st{i:03d}",))
        for i in range(GROUPS))
    stored = await bot.parts.workflow.submit(
        customer_tenant_id=fx.TENANT_ID, source_subscription_id=fx.PROD.id, target_subscription_id=fx.CSP_MAIN.id,
        groups=groups, requester=REQUESTER, requester_tenant_id=PARTNER_TENANT, fix_steps=steps,
        source_name="Contoso Production", target_name="Contoso CSP")
    if state is RequestState.PENDING_APPROVAL:
        return stored
    records = fx.step_records(steps)

    def finish(s: StoredRequest) -> StoredRequest:
        moved = tuple(replace(g, state=GroupState.SUCCEEDED, moved_count=1) for g in s.request.groups)
        return replace(s, request=replace(s.request, state=state, groups=moved), step_records=records,
                       finished_at=bot.parts.workflow.now(), report_sent=True,
                       requester_conversation={"conversation": {"id": PERSONAL}},
                       card=CardRef({"conversation": {"id": APPROVALS_CHAT}}, "activity-1"))

    return await bot.parts.workflow.update(stored.id, finish)


async def _ask(bot: MoveBot, text: str, **where: object) -> dict:
    bot.connector.clear()
    assert await bot.say(text, **where) in (200, 201)  # type: ignore[arg-type]
    [answer] = await bot.connector.wait_for(1)
    return answer


def _card(answer: dict) -> dict:
    return answer["attachments"][0]["content"]


async def _get(bot: MoveBot, url: str) -> tuple[int, str, dict]:
    path = "/reports/" + url.split("/reports/", 1)[1]
    async with bot.session.get(f"{bot.url}{path}") as response:
        return response.status, await response.text(), dict(response.headers)


async def test_report_gives_the_final_card_and_a_link_to_every_step(move_bot: MoveBot):
    bot = move_bot
    stored = await _finished(bot)
    card = _card(await _ask(bot, f"report {stored.id.lower()}"))
    text = text_of(card)
    assert len(json.dumps(card).encode()) <= MAX_CARD_BYTES
    assert f"{GROUPS * 6:,} steps**: 75 failed, 285 done." in text, "what happened, first"
    assert text.index('"Needs you"') < text.index('"Done"'), "what needs the engineer before what went fine"
    assert "And 50 more to do by hand: every one is in the move report above." in text, "capped, and said so"
    assert "And 260 more done" in text
    url = buttons(card)["Download the move report (CSV)"]["url"]
    assert url.startswith(bot.parts.notifier._base_url + "/reports/") and url.endswith(".csv")

    status, body, headers = await _get(bot, url)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Cache-Control"] == "no-store"
    assert f'filename="move-{stored.id}-' in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body)))
    keys = [r["key"] for r in rows if r["section"] in ("step", "role assignment") and r["phase"] != "moves"]
    assert sorted(keys) == sorted(s.key for s in stored.fix_steps) and len(keys) == 300
    failed = [r for r in rows if r["outcome"] == "Failed"]
    assert len(failed) == 75 and all(r["command"].startswith("az ") and r["azure_code"] for r in failed)

    status, body, _ = await _get(bot, url.removesuffix(".csv") + ".json")
    doc = json.loads(body)
    assert status == 200 and len(doc["steps"]) == 360 and len(doc["roleAssignments"]) == GROUPS
    status, body, headers = await _get(bot, url.removesuffix(".csv") + ".md")
    assert status == 200 and headers["Content-Type"].startswith("text/markdown")
    assert body.count("- [ ] **Failed**") == 75

    trail = await bot.parts.workflow.audit_trail(stored.id)
    assert [(e.action, e.by.id if e.by else None) for e in trail if e.action == "report"] == [
        ("report", ENGINEER["aadObjectId"])]


async def test_a_link_expires_and_report_gives_a_fresh_one(move_bot: MoveBot):
    bot = move_bot
    stored = await _finished(bot)
    card = _card(await _ask(bot, f"report {stored.id}"))
    first = buttons(card)["Download the move report (CSV)"]["url"]
    assert "Anyone with this link can download it until" in text_of(card), "the card says the link is a bearer's"
    assert (await _get(bot, first))[0] == 200
    [downloaded] = [e for e in await bot.parts.workflow.audit_trail(stored.id) if e.action == "downloaded"]
    assert downloaded.by is None and downloaded.detail["identity"].startswith("none")
    assert downloaded.detail["report"].startswith(f"move-{stored.id}-") and downloaded.detail["report"].endswith(".csv")

    # A day later: the link's time is up (its index record, under the token's hash, says when).
    store = bot.parts.workflow.store
    key = token_hash(first.rsplit("/", 1)[1].removesuffix(".csv"))
    index = await store.get(ReportLinks.INDEX, key)
    past = bot.parts.workflow.now() - timedelta(seconds=1)
    await store.put(ReportLinks.INDEX, key, {**index.value, "expiresAt": past.isoformat()})
    status, body, _ = await _get(bot, first)
    assert status == 404 and "type `report <request id>`" in body
    assert await store.get(ReportLinks.COLLECTION, f"{key}.csv") is None, "an expired report is deleted"

    second = buttons(_card(await _ask(bot, "report")))["Download the move report (CSV)"]["url"]
    assert second != first and (await _get(bot, second))[0] == 200, "the requester's newest request, fresh link"
    unknown = second.rsplit("/", 1)[0] + "/" + "x" * 43 + ".csv"  # well-formed, never issued
    for wrong in (unknown, second.removesuffix(".csv") + ".exe", f"{bot.url}/reports/abc.csv"):
        assert (await _get(bot, wrong))[0] == 404


async def test_only_those_who_may_see_the_request_get_its_report(move_bot: MoveBot):
    bot = move_bot
    stored = await _finished(bot)
    # An approver, from any chat.
    approver = _card(await _ask(bot, f"report {stored.id}", user=APPROVER, conversation="a:conv-approver"))
    assert "Download the move report (CSV)" in buttons(approver)
    # Someone else in the approvals chat, where the request was posted: they saw the card already.
    colleague = _card(await _ask(bot, f"report {stored.id}", user=OUTSIDER, conversation=APPROVALS_CHAT,
                                 kind="groupChat"))
    assert "Download the move report (CSV)" in buttons(colleague)
    # The same person in their own chat: as if the request did not exist, and audited.
    refused = await _ask(bot, f"report {stored.id}", user=OUTSIDER, conversation="a:conv-outsider")
    assert "attachments" not in refused and "whose report you may see" in refused["text"]
    unknown = await _ask(bot, "report MR-ZZZZZZ", user=OUTSIDER, conversation="a:conv-outsider")
    assert unknown["text"].replace("MR-ZZZZZZ", stored.id) == refused["text"], "nothing tells the two apart"
    trail = await bot.parts.workflow.audit_trail(stored.id)
    assert [e.detail.get("attempted") for e in trail if e.action == "refused"] == ["report"]
    assert [e.by.id for e in trail if e.action == "report" and e.by] == [APPROVER["aadObjectId"],
                                                                        OUTSIDER["aadObjectId"]]


async def test_a_request_that_has_not_run_has_no_report_yet(move_bot: MoveBot):
    bot = move_bot
    stored = await _finished(bot, state=RequestState.PENDING_APPROVAL)
    answer = await _ask(bot, f"report {stored.id}")
    assert "has not run (pending approval)" in answer["text"] and f"status {stored.id}" in answer["text"]
    assert await bot.parts.workflow.store.list(ReportLinks.INDEX) == [], "no report stored"


async def test_new_report_link_on_the_card_answers_the_click_with_a_fresh_link(move_bot: MoveBot):
    bot = move_bot
    stored = await _finished(bot)
    card = await bot.click(verbs.REQUEST_REPORT, {"requestId": stored.id}, user=ENGINEER, conversation=PERSONAL)
    url = buttons(card)["Download the move report (CSV)"]["url"]
    assert (await _get(bot, url))[0] == 200
    assert "New report link" in buttons(card), "and again once this one has expired"
    refused = await bot.click(verbs.REQUEST_REPORT, {"requestId": stored.id}, user=OUTSIDER,
                              conversation="a:conv-outsider")
    assert "Not allowed" in text_of(refused) and "Download the move report (CSV)" not in buttons(refused)
    assert stored.id not in text_of(refused) and "rg-workload" not in text_of(refused), "nothing of the request"
