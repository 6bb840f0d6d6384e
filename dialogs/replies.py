"""Answers the flows share: what went wrong in Azure, a click that no longer fits, a page number, and a
card click's ids checked before anything reaches Azure (anyone can forge a click)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.port import Card
from cards.messages import error_card
from cards.progress import Step, work_progress_card
from dialogs.inputs import subscription_problem, tenant_problem
from migration.application.assessment_queue import AssessmentsBusy, Crowded
from migration.model import ArmError, ResourceId, ScopeKind

TENANT_QUESTION = "Type the customer's domain (contoso.onmicrosoft.com) or tenant id."


def ok_tenant(value: Any) -> bool:
    return isinstance(value, str) and tenant_problem(value) is None


def ok_subscription(value: Any) -> bool:
    return isinstance(value, str) and subscription_problem(value) is None


def page_of(data: Mapping[str, Any]) -> int:
    page = data.get("page")
    return page if isinstance(page, int) and not isinstance(page, bool) else 1


def revision_of(data: Mapping[str, Any]) -> int | None:
    value = data.get("revision")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def progress(title: str, step: str) -> Card:
    return work_progress_card(title, [Step(step, "running")], started_at=datetime.now(UTC))


def tenant_not_found_card(tenant: str) -> Card:
    return error_card(
        f"I could not find a tenant named {tenant}.",
        "Check the spelling, or use the tenant id (a GUID) from the customer's Entra admin center.",
        title="Tenant not found",
    )


_CROWDED = {
    Crowded.USER: "You already have as many assessments waiting or running as one person may ({limit}).",
    Crowded.CUSTOMER: "This customer already has as many assessments waiting or running as one customer may "
                      "({limit}).",
    Crowded.QUEUE: "As many assessments as may wait for the assessment workers are waiting ({limit}).",
}


def busy_card(busy: AssessmentsBusy, *, retry_verb: str | None = None,
              retry_data: dict[str, str] | None = None) -> Card:
    """An ask refused by a limit: which one, and when a place is likely to be free. Nothing was started."""
    minutes = max(1, math.ceil(busy.retry_after.total_seconds() / 60))
    at = (datetime.now(UTC) + busy.retry_after).strftime("%H:%M UTC")
    return error_card(
        _CROWDED[busy.crowded].format(limit=busy.limit) + " Nothing was started.",
        f"Try again in about {minutes} minute{'s' if minutes > 1 else ''} (after {at}); an assessment of a "
        "subscription already on its way is shared: ask for it again and you get its result.",
        title="Too many assessments at once", retry_verb=retry_verb, retry_data=retry_data)


def azure_error_card(error: ArmError) -> Card:
    return error_card(
        "Azure did not answer as expected. Nothing was changed.",
        "Try again in a minute. If it keeps failing, check the bot's Azure permissions.",
        title="Azure error",
        code=error.code,
    )


def subscription_not_found_card(subscription_id: str, *, command: str = "") -> Card:
    return error_card(
        f"Subscription {subscription_id} is not in that tenant, or we cannot see it.",
        f"Check the id, or type {command} and pick the subscription from the list." if command else
        "Check the id, or pick the subscription from the list.",
        title="Subscription not found",
    )


def not_found_card(missing: ResourceId) -> Card:
    """Azure does not know (or does not show the bot) what a call was about: the subscription, or the resource."""
    if missing.kind is ScopeKind.SUBSCRIPTION:
        return subscription_not_found_card(missing.subscription)
    return error_card(
        f"{missing.name} ({missing.type}) is not in subscription {missing.subscription}, or we cannot see it.",
        "Assess the subscription again, then retry.",
        title="Not found",
    )


def no_assessment_card() -> Card:
    return error_card(
        "I have no assessment for that subscription any more.",
        "Type assess to run it again.",
        title="Assessment not found",
    )


def bad_click_card() -> Card:
    return error_card("That card is out of date or incomplete.", "Type move to start again.")


def pick_subscription_card(what: str = "a subscription") -> Card:
    return error_card(f"Pick {what} first.", "Choose one in the list, then click Continue.")
