"""Four eyes are two people, over real HTTP to /api/messages against the sandbox.

The bypass of issue 19: an approver who is also an engineer (no ENGINEER_IDS, so everyone of the partner's
tenant plans moves) takes a colleague's plan, drops its public-IP fix, submits it as the colleague's and
approves it. Each of those steps is now refused, audited on the plan's id, and changes nothing; the plan's
own engineer submits it as themselves.
"""

from __future__ import annotations

from app import STORE
from cards import verbs
from migration.execution.workflow import Workflow
from migration.model.digest import plan_digest, short
from migration.planning.revisions import FixDrafts
from tests.support import teams
from tests.support.cardtools import buttons, click, text_of
from tests.support.fixbot import FixBot, plan_card

GROUPS = "rg-app,rg-locked,rg-webapp"
WITHOUT_IP = "lift_read_only_lock,move_app_service_back,register_provider"
IP_STEP = "Disassociate Standard public IP pip-1 from vm-1-nic"


def _request_id(card: dict) -> str:
    return next(a["data"]["requestId"] for a in buttons(card).values() if "requestId" in (a.get("data") or {}))


async def test_an_approver_cannot_edit_submit_or_approve_a_colleagues_plan(fix_bots: FixBot, connector):
    bot = fix_bots.bot
    store = bot.runner.app[STORE]
    plan = await plan_card(bot, connector, GROUPS)  # Alex's plan, with the public-IP fix
    request_id = _request_id(plan)
    assert IP_STEP in text_of(plan)
    before = await FixDrafts(store).get(request_id)

    megan = teams.APPROVER
    dropped = await click(bot, connector, buttons(plan)["Update plan"], user=megan, fixes=WITHOUT_IP)
    assert "Alex Wilber's" in text_of(dropped) and "Nothing was changed" in text_of(dropped)
    assert "Planning again" not in text_of(dropped)
    submitted = await click(bot, connector, buttons(plan)["Ask for approval"], user=megan)
    assert "Alex Wilber's" in text_of(submitted) and "approval needed" not in text_of(submitted)
    shown = await click(bot, connector, {"verb": verbs.REQUEST_PLAN, "data": {"requestId": request_id}}, user=megan)
    assert "Alex Wilber's" in text_of(shown) and IP_STEP not in text_of(shown), "a stranger does not see the plan"
    again = await click(bot, connector, {"verb": verbs.REQUEST_CREATE_GROUPS, "data": {"requestId": request_id}},
                        user=megan)
    assert "Alex Wilber's" in text_of(again)

    after = await FixDrafts(store).get(request_id)
    assert after.revision == before.revision and after.skip == before.skip, "the plan is as Alex left it"
    workflow = Workflow(store)
    assert await workflow.get(request_id) is None, "nothing was submitted"
    refused = [e for e in await workflow.audit_trail(request_id) if e.action == "refused"]
    assert [(e.by.id if e.by else None, e.detail["attempted"]) for e in refused] == [
        (megan["aadObjectId"], verb) for verb in
        (verbs.REQUEST_FIXES, verbs.REQUEST_SUBMIT, verbs.REQUEST_PLAN, verbs.REQUEST_CREATE_GROUPS)]

    # Alex asks for approval himself: the request is his, public-IP fix included.
    mine = await click(bot, connector, buttons(plan)["Ask for approval"])
    assert "approval needed" in text_of(mine) and IP_STEP in text_of(mine)
    stored = await workflow.get(request_id)
    assert stored is not None and stored.request.requested_by.id == teams.ENGINEER["aadObjectId"]
    assert stored.request.requested_by.mri == teams.ENGINEER["id"]
    assert stored.authors == (teams.ENGINEER["aadObjectId"],)
    assert any(s.kind.value == "disassociate_ip" for s in stored.fix_steps)
    assert f"Plan hash {short(plan_digest(stored))}" in text_of(mine), "the card names the plan an approval approves"
