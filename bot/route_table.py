"""Every chat command and card verb the bot answers, each with its handler and its guard, in one table.

A route without a guard is open to everyone of an allowed tenant: help and `history` (which lists only what the
caller may see). A request's status, refresh and "Check again" are for the people of its customer once
customers are registered (without a registry, for everyone of an allowed tenant).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.guards import Guards
from bot.plan_guard import plan_owner
from bot.routes import Guard, Routes
from cards import verbs
from dialogs.assess import AssessFlow
from dialogs.attach import AttachFlow
from dialogs.audit import AuditFlow
from dialogs.cancel import CancelFlow
from dialogs.customers import CustomersFlow
from dialogs.decisions import DecisionFlow
from dialogs.move import MoveFlow
from dialogs.move_plan import MovePlanFlow
from dialogs.questions import Questions
from dialogs.requests import RequestsFlow


@dataclass(frozen=True, slots=True)
class Flows:
    questions: Questions
    attach: AttachFlow
    assess: AssessFlow
    move: MoveFlow
    plan: MovePlanFlow
    decisions: DecisionFlow
    requests: RequestsFlow
    cancel: CancelFlow
    customers: CustomersFlow
    audit: AuditFlow


def route_table(flows: Flows, guards: Guards, *, auditors: Guard) -> Routes:
    routes = Routes()
    engineers = guards.engineers

    routes.greeting(flows.questions.welcome)
    routes.free_text(flows.questions.on_text)
    routes.command("help", flows.questions.help_command)
    routes.verb(verbs.HELP, flows.questions.help_verb)

    routes.command("attach", flows.attach.attach_command, guard=engineers)
    routes.verb(verbs.ATTACH_START, flows.attach.start_verb, guard=engineers)
    routes.verb(verbs.ATTACH_CHECK, flows.attach.check_verb, guard=engineers)

    routes.command("assess", flows.assess.assess_command, guard=engineers)
    routes.verb(verbs.ASSESS_START, flows.assess.start_verb, guard=engineers)
    routes.verb(verbs.ASSESS_SUBSCRIPTION, flows.assess.subscription_verb, guard=engineers)
    routes.verb(verbs.ASSESS_RUN, flows.assess.subscription_verb, guard=engineers)
    routes.verb(verbs.ASSESSMENT_SUMMARY, flows.assess.summary_verb, guard=engineers)
    routes.verb(verbs.ASSESSMENT_BLOCKERS, flows.assess.blockers_verb, guard=engineers)
    routes.verb(verbs.ASSESSMENT_DRY_RUN, flows.assess.dry_run_verb, guard=engineers)

    routes.command("move", flows.move.move_command, guard=engineers)
    routes.verb(verbs.MOVE_START, flows.move.start_verb, guard=engineers)
    routes.verb(verbs.MOVE_SOURCE, flows.move.source_verb, guard=engineers)
    routes.verb(verbs.MOVE_TARGET, flows.move.target_verb, guard=engineers)
    routes.verb(verbs.MOVE_GROUPS, flows.move.groups_verb, guard=engineers)
    routes.verb(verbs.MOVE_GROUPS_PAGE, flows.move.groups_page_verb, guard=engineers)
    # A draft's verbs: its own engineer's only (bot/plan_guard.py).
    for verb, handler in ((verbs.REQUEST_CREATE_GROUPS, flows.plan.create_groups_verb),
                          (verbs.REQUEST_FIXES, flows.plan.fixes_verb), (verbs.REQUEST_PLAN, flows.plan.plan_verb),
                          (verbs.REQUEST_SUBMIT, flows.plan.submit_verb)):
        routes.verb(verb, handler, guard=plan_owner(flows.plan.plans, verb, then=engineers))

    # Cancelling is checked against the plan's (or request's) own maker, not the engineer list.
    routes.command("cancel", flows.cancel.cancel_command, guard=guards.cancellers)
    routes.verb(verbs.REQUEST_CANCEL, flows.cancel.cancel_verb, guard=guards.cancellers)

    routes.verb(verbs.REQUEST_APPROVE, flows.decisions.approve, guard=guards.deciders("approved"))
    routes.verb(verbs.REQUEST_REJECT, flows.decisions.reject, guard=guards.deciders("rejected"))
    viewers = guards.request_viewers
    routes.verb(verbs.REQUEST_REFRESH, flows.decisions.refresh, guard=viewers)
    routes.verb(verbs.REQUEST_STATUS, flows.decisions.status_click, guard=viewers)
    routes.verb(verbs.REQUEST_RECHECK, flows.decisions.recheck, guard=viewers)

    routes.command("status", flows.requests.status, guard=viewers)
    routes.command("history", flows.requests.history)
    routes.verb(verbs.HISTORY_PAGE, flows.requests.history_page)
    routes.command("report", flows.requests.report, guard=guards.report_viewers)
    routes.verb(verbs.REQUEST_REPORT, flows.requests.report_click, guard=guards.report_viewers)
    routes.command("approvals", flows.requests.approvals_here, guard=guards.approvers_choose_where)

    routes.command("customers", flows.customers.list_command, guard=guards.admins)
    routes.command("customer", flows.customers.customer_command, guard=guards.admins)
    routes.command("audit", flows.audit.audit_command, guard=auditors)
    return routes
