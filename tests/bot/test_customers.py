"""Customers as the access model: each customer's data and actions belong to the people the partner assigned.
Teams-shaped activities to the real app over HTTP; the sandbox answers ARM and Microsoft Graph (group
memberships, nested groups) from its own facts."""

from __future__ import annotations

import pytest

from cards import verbs
from migration.model import RequestState
from settings import SettingsError, load_settings
from tests.support.cardtools import text_of
from tests.support.customers import (
    ADMIN,
    ALPHA,
    APPROVER_B,
    B_CORE,
    B_ENGINEERS,
    BETA,
    ENGINEER_B,
    SUBS,
    UNREGISTERED,
    submit_for,
)
from tests.support.teams import APPROVER, ENGINEER, PARTNER_TENANT

pytestmark = pytest.mark.http


def _last(bot) -> str:
    sent = bot.connector.sent[-1]
    return sent.get("text") or text_of(sent["attachments"][0]["content"])


async def _says(bot, text: str, user=ENGINEER, **kwargs) -> str:
    before = len(bot.connector.sent)
    assert await bot.say(text, user=user, **kwargs) in (200, 201)
    sent = [a for a in bot.connector.sent[before:] if a.get("type") == "message"]
    assert sent, f"no answer to {text!r}"
    return "\n".join(a.get("text") or text_of(a["attachments"][0]["content"]) for a in sent)


async def test_an_engineer_attaches_only_their_own_customers(customers_bot):
    bot = await customers_bot()
    assert "Alpha PAYG" in await _says(bot, f"attach {ALPHA}")
    refused = await _says(bot, f"attach {BETA}")
    assert "not an engineer of the customer" in refused and "Beta PAYG" not in refused
    refused = await _says(bot, "attach beta.onmicrosoft.com")  # the domain names the same customer
    assert "not an engineer of the customer" in refused and "Beta PAYG" not in refused


async def test_a_group_grant_is_resolved_through_graph_with_nested_groups(customers_bot):
    bot = await customers_bot()
    graph = bot.sandbox.server.graph
    assert "Beta PAYG" in await _says(bot, f"attach {BETA}", user=ENGINEER_B)
    assert graph.calls >= 1
    assert "not an engineer" in await _says(bot, f"attach {ALPHA}", user=ENGINEER_B)
    # Out of the group: once the cached answer is old, the grant no longer counts.
    graph.world.directory.groups[PARTNER_TENANT.lower()][B_CORE.lower()]["members"] = []
    assert "Beta PAYG" in await _says(bot, f"attach {BETA}", user=ENGINEER_B)  # still cached


async def test_group_memberships_are_asked_again_after_the_cache_time(customers_bot):
    bot = await customers_bot(GROUP_CACHE_SECONDS="0")
    assert "Beta PAYG" in await _says(bot, f"attach {BETA}", user=ENGINEER_B)
    bot.sandbox.world.directory.groups[PARTNER_TENANT.lower()][B_CORE.lower()]["members"] = []
    assert "not an engineer of the customer" in await _says(bot, f"attach {BETA}", user=ENGINEER_B)


async def test_without_graph_a_group_grant_counts_for_nothing(customers_bot):
    bot = await customers_bot(PARTNER_TENANT_ID="")  # the bot cannot get a Graph token for the partner's tenant
    answer = await _says(bot, f"attach {BETA}", user=ENGINEER_B)
    assert "Microsoft Graph" in answer and "Beta PAYG" not in answer


async def test_an_unknown_tenant_is_refused_with_what_to_ask(customers_bot):
    bot = await customers_bot()
    answer = await _says(bot, f"attach {UNREGISTERED}")
    assert "not one of the partner's registered customers" in answer
    assert "Ask a partner admin" in answer and "Gamma PAYG" not in answer


async def test_a_typed_answer_naming_another_customer_is_refused(customers_bot):
    bot = await customers_bot()
    assert "Which customer tenant?" in await _says(bot, "attach")
    answer = await _says(bot, BETA)
    assert "not an engineer of the customer" in answer and "Beta PAYG" not in answer


async def test_a_forged_click_naming_another_customer_is_refused(customers_bot):
    bot = await customers_bot()
    source, _ = SUBS[BETA]
    for verb in (verbs.ASSESS_SUBSCRIPTION, verbs.ASSESSMENT_SUMMARY, verbs.ASSESSMENT_BLOCKERS, verbs.MOVE_SOURCE):
        card = await bot.click(verb, {"tenantId": BETA, "subscriptionId": source, "sourceSubscriptionId": source},
                               user=ENGINEER, conversation="a:conv-personal")
        assert "Not allowed" in text_of(card), verb
        assert "not an engineer of the customer" in text_of(card), verb


async def test_status_history_report_show_nothing_of_another_customer(customers_bot):
    bot = await customers_bot()
    await bot.say("hello", user=ENGINEER)
    theirs = await submit_for(bot, BETA, ENGINEER_B)
    mine = await submit_for(bot, ALPHA, ENGINEER)
    assert theirs.id not in await _says(bot, f"status {theirs.id}")
    assert "I found no move request" in _last(bot)
    history = await _says(bot, "history")
    assert mine.id in history and theirs.id not in history
    assert theirs.id in await _says(bot, "history", user=APPROVER_B)  # B's approver sees B's request
    assert mine.id not in await _says(bot, "history", user=APPROVER_B)
    card = await bot.click(verbs.REQUEST_REFRESH, {"requestId": theirs.id}, user=ENGINEER)
    assert "Not allowed" in text_of(card) and "PAYG" not in text_of(card)
    card = await bot.click(verbs.REQUEST_STATUS, {"requestId": theirs.id}, user=ENGINEER)
    assert "Not allowed" in text_of(card)
    assert "whose report you may see" in await _says(bot, f"report {theirs.id}")
    refused = [e for e in await bot.parts.workflow.audit_trail(theirs.id) if e.action == "refused"]
    assert refused and all(e.by.id == ENGINEER["aadObjectId"] for e in refused)


async def test_an_approver_approves_only_for_their_customers(customers_bot):
    bot = await customers_bot()
    theirs = await submit_for(bot, BETA, ENGINEER_B)
    card = await bot.click(verbs.REQUEST_APPROVE, {"requestId": theirs.id}, user=APPROVER)
    assert "not an approver of the customer" in text_of(card)
    assert (await bot.parts.workflow.get(theirs.id)).state is RequestState.PENDING_APPROVAL
    card = await bot.click(verbs.REQUEST_APPROVE, {"requestId": theirs.id}, user=APPROVER_B)
    assert (await bot.parts.workflow.get(theirs.id)).state is not RequestState.PENDING_APPROVAL, text_of(card)


async def test_an_open_question_in_a_group_chat_belongs_to_the_person_asked(customers_bot):
    bot = await customers_bot()
    chat = "19:team-chat@thread.v2"
    assert "Which customer tenant?" in await _says(bot, "attach", conversation=chat, kind="groupChat")
    before = len(bot.connector.sent)
    await bot.say(ALPHA, user=ENGINEER_B, conversation=chat, kind="groupChat")
    answered = "\n".join(a.get("text") or text_of(a["attachments"][0]["content"])
                         for a in bot.connector.sent[before:] if a.get("type") == "message")
    assert "Alpha PAYG" not in answered


async def test_admins_manage_the_registry_in_chat_and_others_are_refused(customers_bot):
    bot = await customers_bot(registry=False)
    refused = await _says(bot, "customers", user=ENGINEER)
    assert "Only partner admins" in refused and "PARTNER_ADMIN_IDS" in refused
    assert "Registered" in await _says(bot, f"customer add {BETA} Beta GmbH", user=ADMIN)
    shown = await _says(bot, f"customer grant {BETA} engineer {B_ENGINEERS}", user=ADMIN)
    assert B_ENGINEERS in shown and "Nestor Wilke" in shown and "granted engineer" in shown
    # From the first customer on, only grants count: Alex (an engineer by the legacy settings) is nobody's.
    assert "not an engineer of the customer" in await _says(bot, f"attach {BETA}")
    assert "Beta PAYG" in await _says(bot, f"attach {BETA}", user=ENGINEER_B)
    assert "revoked engineer" in await _says(bot, f"customer revoke {BETA} engineer {B_ENGINEERS}", user=ADMIN)
    listed = await _says(bot, "customers", user=ADMIN)
    assert "Beta GmbH" in listed and BETA in listed
    assert "Usage:" in await _says(bot, f"customer grant {BETA} owner {B_ENGINEERS}", user=ADMIN)
    assert "already registered" in await _says(bot, f"customer add {BETA} Again", user=ADMIN)
    assert "Entra knows no tenant" in await _says(bot, "customer add nosuch.onmicrosoft.com Nobody", user=ADMIN)


def test_a_bad_customers_file_stops_start_up(tmp_path):
    bad = tmp_path / "customers.json"
    for content, says in (("{", "not JSON"), ('{"customers": [{"tenant": "x", "name": "X"}]}', "'tenant' must be"),
                          ('{"customers": [{"tenant": "' + ALPHA + '", "name": "A", "engineers": ["bob"]}]}',
                           "list of Entra object ids"),
                          ('{"clients": []}', 'expected {"customers"')):
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(SettingsError, match="CUSTOMERS_FILE") as refused:
            load_settings({"CUSTOMERS_FILE": str(bad)})
        assert says in str(refused.value)


async def test_a_plan_click_is_judged_by_the_stored_plans_customer_not_the_click(customers_bot):
    bot = await customers_bot()
    theirs = await submit_for(bot, BETA, ENGINEER_B)
    for verb in (verbs.REQUEST_PLAN, verbs.REQUEST_SUBMIT, verbs.REQUEST_CREATE_GROUPS):
        card = await bot.click(verb, {"requestId": theirs.id, "tenantId": ALPHA} if verb == verbs.REQUEST_PLAN
                               else {"requestId": theirs.id}, user=ENGINEER, conversation="a:conv-personal")
        assert "not an engineer of the customer" in text_of(card), verb


async def test_registered_approvers_see_and_set_where_approval_cards_go(customers_bot):
    bot = await customers_bot()
    said = await _says(bot, "approvals here", user=APPROVER_B, conversation="19:approvals@thread.v2",
                       kind="groupChat")
    assert "From now on" in said
    assert "Only approvers" in await _says(bot, "approvals here", user=ENGINEER_B,
                                           conversation="19:approvals@thread.v2", kind="groupChat")


async def test_an_approver_exports_the_audit_trail_only_of_their_customers(customers_bot):
    bot = await customers_bot()
    theirs = await submit_for(bot, BETA, ENGINEER_B)
    for subject in (theirs.id, BETA):
        assert "Only the customer's approvers" in await _says(bot, f"audit export {subject}", user=APPROVER)
    assert "Only approvers" in await _says(bot, f"audit export {theirs.id}", user=ENGINEER)
    assert "Only the customer's approvers" not in await _says(bot, f"audit export {theirs.id}", user=APPROVER_B)


async def test_an_admin_scopes_a_customers_subscriptions_and_others_are_refused_with_whom_to_ask(customers_bot):
    bot = await customers_bot()
    source, target = SUBS[ALPHA]
    assert "Only partner admins" in await _says(bot, f"customer scope {ALPHA} {source}", user=ENGINEER)
    assert "is not a subscription id" in await _says(bot, f"customer scope {ALPHA} not-a-guid", user=ADMIN)
    shown = await _says(bot, f"customer scope {ALPHA} {source}", user=ADMIN)
    assert "1 subscription(s) in scope" in shown and "set the subscriptions in scope to" in shown
    assert "Nestor Wilke" in shown
    assert source in await _says(bot, f"customer show {ALPHA}", user=ADMIN)

    # Outside the scope: assess and move refuse, and say whom to ask for what.
    for ask in (f"assess {ALPHA} {target}", f"move {ALPHA} {target} {source}"):
        refused = await _says(bot, ask)
        assert "is not in scope for this customer" in refused and "Ask a partner admin" in refused, refused
        assert f"customer scope {ALPHA}" in refused
    assert "is not in scope" not in await _says(bot, f"assess {ALPHA} {source}")

    back = await _says(bot, f"customer scope {ALPHA} all", user=ADMIN)
    assert "Every subscription the bot can read is in scope" in back and "all the bot can read" in back
    assert "is not in scope" not in await _says(bot, f"assess {ALPHA} {target}")
