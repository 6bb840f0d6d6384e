"""Cards that ask for a choice in the chat flows: source subscription, target CSP subscription and
the ready resource groups to move."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import InputChoice, InputChoiceSet

from cards import _kit as k
from cards import verbs
from migration.assessment.dryrun import top_level_ids
from migration.fixes.choice import chosen_fixes, movable_with
from migration.model import Assessment, Offer, Subscription, Verdict

GROUPS_PER_PAGE = 100  # 100 choices stay near 6 KB; 500 would not fit in 28 KB
MAX_SUBSCRIPTIONS = 100


def subscription_label(subscription: Subscription, offer: Offer) -> str:
    """ "Contoso Production — Pay-As-You-Go": names repeat across customers, the offer tells them apart."""
    return k.choice_title(f"{k.clip(subscription.display_name, 60)} — {offer.name}")


def _choices(options: Sequence[tuple[Subscription, Offer]]) -> list[InputChoice]:
    ordered = sorted(options, key=lambda so: so[0].display_name.lower())[:MAX_SUBSCRIPTIONS]
    return [InputChoice(title=subscription_label(s, o), value=s.id) for s, o in ordered]


def subscription_picker_card(
    *,
    tenant_id: str,
    tenant: str,
    subscriptions: Sequence[tuple[Subscription, Offer]],
    verb: str = verbs.ASSESS_SUBSCRIPTION,
) -> dict[str, Any]:
    """Pick a source subscription (offers that cannot move to CSP are left out).
    `verb` is ASSESS_SUBSCRIPTION for `assess`, MOVE_SOURCE for `move`."""
    options = [(s, o) for s, o in subscriptions if o.source_allowed]
    body: list[k.Element] = [k.heading("Which subscription?")]
    if not options:
        body.append(k.text(f"{k.untrusted(tenant)} has no subscription that can move to CSP."))
        return k.card(body, [k.execute("Show help", verbs.HELP)])
    body += [
        k.text(f"Subscriptions in {k.untrusted(tenant)} that can move to CSP.", subtle=True,
               spacing=types.Spacing.SMALL),
        InputChoiceSet(
            id="subscriptionId",
            label="Subscription",
            choices=_choices(options),
            value=options[0][0].id if len(options) == 1 else None,
            is_required=True,
            error_message="Pick a subscription.",
        ),
    ]
    actions = [
        k.execute("Continue", verb, {"tenantId": tenant_id}, style=types.ActionStyle.POSITIVE, inputs=True),
        k.execute("Cancel", verbs.HELP, inputs=False),
    ]
    return k.card(body, actions, fallback_text="Which subscription?")


def target_picker_card(
    *,
    tenant_id: str,
    source: Subscription,
    targets: Sequence[tuple[Subscription, Offer]],
) -> dict[str, Any]:
    """Pick the CSP subscription to move into (only CSP offers are offered)."""
    options = [(s, o) for s, o in targets if o.target_allowed and s.id != source.id]
    body: list[k.Element] = [k.heading("Move into which CSP subscription?")]
    if not options:
        body.append(k.note("This tenant has no CSP subscription. Create one in Partner Center, then try again."))
        return k.card(body, [k.execute("Show help", verbs.HELP)])
    body += [
        k.text(f"From {k.untrusted(source.display_name)}.", subtle=True, spacing=types.Spacing.SMALL),
        InputChoiceSet(
            id="targetSubscriptionId",
            label="CSP subscription",
            choices=_choices(options),
            value=options[0][0].id if len(options) == 1 else None,
            is_required=True,
            error_message="Pick a CSP subscription.",
        ),
    ]
    data = {"tenantId": tenant_id, "sourceSubscriptionId": source.id}
    actions = [
        k.execute("Continue", verbs.MOVE_TARGET, data, style=types.ActionStyle.POSITIVE, inputs=True),
        k.execute("Cancel", verbs.HELP, inputs=False),
    ]
    return k.card(body, actions, fallback_text="Move into which CSP subscription?")


def group_picker_card(
    assessment: Assessment,
    *,
    target: Subscription,
    page: int = 1,
    per_page: int = GROUPS_PER_PAGE,
) -> dict[str, Any]:
    """Multi-select of the groups the assessment found ready, largest first, paged."""
    # Ready, or ready once the fixes the bot makes are made (the plan lists them; the engineer may drop some).
    ready = sorted(
        (g for g in assessment.groups if g.can_move or movable_with(g, chosen_fixes([g]))),
        key=lambda g: (-len(top_level_ids(g)), g.name),
    )
    # What the summary counts as ready after fixes but needs a fix the bot does not make: said, not dropped.
    offered = {g.name for g in ready}
    unoffered = [g.name for g in assessment.groups
                 if g.final_verdict is Verdict.READY_AFTER_FIXES and g.name not in offered]
    where = {"tenantId": assessment.tenant_id, "subscriptionId": assessment.source.id, "page": 1}
    pages = max(1, -(-len(ready) // per_page))
    page = min(max(1, page), pages)
    chunk = ready[(page - 1) * per_page : page * per_page]
    data = {
        "tenantId": assessment.tenant_id,
        "sourceSubscriptionId": assessment.source.id,
        "targetSubscriptionId": target.id,
    }
    body: list[k.Element] = [k.heading("Which resource groups?")]
    if not ready:
        body.append(k.text("No resource group is ready to move. Fix the blockers first."))
        body += _unoffered(unoffered)
        return k.card(body, [k.execute("Show blockers", verbs.ASSESSMENT_BLOCKERS, where)])
    verb = "is" if len(ready) == 1 else "are"
    summary = (
        f"{k.plural(len(ready), 'group')} in {k.untrusted(assessment.source.display_name)} {verb} ready to move "
        f"to {k.untrusted(target.display_name)}."
    )
    if pages > 1:
        summary += f" Page {k.num(page)} of {k.num(pages)}, largest first. Pick on one page at a time."
    body += [
        k.text(summary, subtle=True, spacing=types.Spacing.SMALL),
        *_unoffered(unoffered),
        InputChoiceSet(
            id="groups",
            label="Resource groups",
            is_multi_select=True,
            style=types.ChoiceInputStyle.EXPANDED,
            choices=[
                # An expanded choice's title is read as Markdown (like a TextBlock): the name as data.
                InputChoice(title=k.untrusted(f"{k.clip(g.name, 60)} ({k.plural(len(top_level_ids(g)), 'resource')}"
                                              f"{'; Azure decides' if g.final_verdict is Verdict.AZURE_DECIDES else ''}"
                                              f"{'' if g.can_move else '; after fixes the bot makes'})"),
                            value=g.name)
                for g in chunk
            ],
            is_required=True,
            error_message="Pick at least one group.",
        ),
    ]
    actions = [k.execute("Continue", verbs.MOVE_GROUPS, data, style=types.ActionStyle.POSITIVE, inputs=True)]
    if unoffered:
        actions.append(k.execute("Show blockers", verbs.ASSESSMENT_BLOCKERS, where, inputs=False))
    if page > 1:
        actions.append(k.execute("Previous page", verbs.MOVE_GROUPS_PAGE, {**data, "page": page - 1}, inputs=False))
    if page < pages:
        actions.append(k.execute("Next page", verbs.MOVE_GROUPS_PAGE, {**data, "page": page + 1}, inputs=False))
    return k.card(body, actions, fallback_text="Which resource groups?")


def _unoffered(names: Sequence[str]) -> list[k.Element]:
    if not names:
        return []
    return [k.text(f"Not offered: {k.untrusted(k.listed(names))}. "
                   f"{'It needs' if len(names) == 1 else 'Each needs'} a fix the bot does not make; make it first "
                   "(Show blockers: what and how), then assess again.")]
