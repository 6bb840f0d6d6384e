"""The move journey with fixes, over real HTTP to /api/messages, on a sandbox with a locked group, a web
app split from its plan, a Standard public IP and role assignments: the group picker offers the groups the
bot can fix, the plan lists the steps around the moves, the engineer can leave a fix out (and the group
that needs it drops out), and the approval card shows every step the approver approves."""

from __future__ import annotations

import re

from app import MOVES
from tests.support.cardtools import buttons, choices, click, text_of, wait_update
from tests.support.fixbot import approve_and_report, dry_run, group_picker
from tests.support.sandbox import CSP, FABRIKAM


async def _plan(bot, connector) -> dict:
    picker = await group_picker(bot, connector)
    offered = {c["value"]: c["title"] for c in choices(picker, "groups")}
    # Groups whose only problems the bot fixes are offered, and say so; blocked ones are not.
    assert "after fixes the bot makes" in offered["rg-locked"]
    assert "after fixes the bot makes" in offered["rg-app"] and "rg-webapp" in offered
    assert "rg-aks" not in offered and "rg-failed" not in offered
    confirm = await click(bot, connector, buttons(picker)["Continue"], groups="rg-app,rg-locked,rg-webapp")
    assert "Create target resource groups?" in text_of(confirm)
    assert "rg-web" in text_of(confirm), "the group app-2 goes back to joins the plan"
    return await dry_run(bot, connector, confirm)


async def test_the_plan_lists_the_fixes_and_the_approver_sees_every_step(fix_bot, connector):
    plan = await _plan(fix_bot, connector)
    text = text_of(plan)
    assert "Before the moves" in text and "After the moves" in text
    assert "Lift ReadOnly lock freeze on group rg-locked" in text
    assert "Move App Service app-2 from group rg-" in text and " back to group rg-web" in text
    assert "Disassociate Standard public IP pip-1 from vm-1-nic" in text
    assert "interrupts that traffic" in text
    assert "Register Microsoft.Web in the target subscription" in text
    kept = {c["value"] for c in choices(plan, "fixes")}
    assert {"lift_read_only_lock", "disassociate_public_ip", "move_app_service_back", "register_provider"} <= kept

    # Leaving the public IP fix out drops the group that needs it, and says so.
    connector.updated.clear()
    await click(fix_bot, connector, buttons(plan)["Update plan"],
                fixes="lift_read_only_lock,move_app_service_back,register_provider")
    narrower = await wait_update(connector, "Left out of this plan", timeout=60)
    assert "rg-app: a fix it needs is not ticked" in text_of(narrower)
    assert "Disassociate Standard public IP pip-1 from vm-1-nic" not in text_of(narrower)

    # Ticking it again brings it back; then one approval covers every step.
    connector.updated.clear()
    await click(fix_bot, connector, buttons(narrower)["Update plan"],
                fixes="lift_read_only_lock,move_app_service_back,register_provider,disassociate_public_ip")
    plan = await wait_update(connector, "pip-1 from vm-1-nic", timeout=60)
    connector.clear()
    submitted = await click(fix_bot, connector, buttons(plan)["Ask for approval"])
    text = text_of(submitted)
    assert "approval needed" in text
    assert "rg-locked" in text and "rg-web" in text and "rg-app" in text, "groups Azure refuses until fixed"
    assert "Lift ReadOnly lock freeze on group rg-locked" in text and "After the moves" in text
    assert "Give User a11ce000-0000-4000-8000-00000000a11c the role" in text


async def test_one_approval_then_the_report_lists_every_step(fix_bot, connector):
    plan = await _plan(fix_bot, connector)
    connector.clear()
    submitted = await click(fix_bot, connector, buttons(plan)["Ask for approval"])
    report = await approve_and_report(fix_bot, connector, submitted)
    request_id = next(a["data"]["requestId"] for a in buttons(submitted).values()
                      if "requestId" in (a.get("data") or {}))
    text = text_of(report)
    assert re.search(r"\*\*\d+ steps\*\*: 1 failed, \d+ done\.", text), "counts per outcome come first"
    needs, done = text.index('"Needs you"'), text.index('"Done"')
    assert needs < done
    assert "PrincipalNotFound" in text[needs:done]
    assert "--assignee-object-id b0b00000-0000-4000-8000-000000000b0b" in text[needs:done]  # the deleted user's
    assert "Lift ReadOnly lock freeze on group rg-locked" in text[done:] and "Put ReadOnly lock freeze back" in text
    assert "✓ Put the locks back" in text and "✓ Re-apply group tags" in text

    # The downloadable report has every step and every role assignment, re-created or not and why.
    csv_url = buttons(report)["Download the move report (CSV)"]["url"]
    path = csv_url.split("/reports/", 1)[1].removesuffix(".csv")
    async with fix_bot.session.get(f"{fix_bot.url}/reports/{path}.json") as response:
        assert response.status == 200
        doc = await response.json()
    stored = await fix_bot.runner.app[MOVES].workflow.get(request_id)
    assert [s["key"] for s in doc["steps"] if s["phase"] != "moves"] == [s.key for s in stored.fix_steps if
                                                                         s.phase == "before"] + [
        s.key for s in stored.fix_steps if s.phase == "after"]
    assert {s["group"] for s in doc["steps"] if s["phase"] == "moves"} == {g.source_group for g in
                                                                           stored.request.groups}
    assignments = {a["principalId"]: a for a in doc["roleAssignments"]}
    deleted = assignments["b0b00000-0000-4000-8000-000000000b0b"]
    assert not deleted["recreated"] and "no longer exists" in deleted["why"]
    assert deleted["command"]["posix"].startswith("az role assignment create --assignee-object-id b0b00000")
    assert assignments["a11ce000-0000-4000-8000-00000000a11c"]["recreated"]
    assert assignments["a11ce000-0000-4000-8000-00000000a11c"]["command"] is None
    async with fix_bot.session.get(f"{fix_bot.url}/reports/{path}.md") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/markdown")
        markdown = await response.text()
    assert "- [ ] **Failed**: Give Unknown b0b00000-0000-4000-8000-000000000b0b the role Reader" in markdown

    gateway = fix_bot.app_gateway()
    locks = {(lk.scope.rsplit("/", 1)[-1], lk.name) for lk in await gateway.for_tenant(FABRIKAM).locks.list_locks(CSP)}
    assert ("rg-locked", "freeze") in locks
