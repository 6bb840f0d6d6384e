"""Attach and onboarding cards: each cause has its own title and fix; permissions show ✓/✗ with the fix."""

from __future__ import annotations

import json

import pytest

from cards.tenant import CAUSE_TITLE, attach_result_card, onboarding_card
from migration.azure.permissions import AccessIdentity, evaluate, lighthouse_template
from migration.model import AccessCause, Permission
from tests.support.cards import fixtures as fx
from tests.support.cards.gallery import APP_IDENTITY, LIGHTHOUSE_IDENTITY
from tests.support.cardtools import text_of as _text

CONTRIBUTOR = [Permission(("*",), ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"))]


def _checks(permissions: list[Permission]):  # type: ignore[no-untyped-def]
    return tuple(c for s, o in fx.SUBSCRIPTIONS if o.source_allowed or o.target_allowed
                 for c in evaluate(permissions, subscription_id=s.id, side="source" if o.source_allowed else "target"))


@pytest.mark.parametrize("identity", [APP_IDENTITY, LIGHTHOUSE_IDENTITY], ids=["app", "lighthouse"])
def test_each_cause_has_its_own_title_and_fix(identity: AccessIdentity) -> None:
    cards = {cause: onboarding_card(tenant=fx.TENANT, tenant_id=fx.TENANT_ID, cause=cause, detail="Azure said no.",
                                    identity=identity, partner_tenant_id=fx.PARTNER_TENANT_ID)
             for cause in AccessCause}
    for cause, card in cards.items():
        assert CAUSE_TITLE[cause] in _text(card)
    steps = {cause: json.dumps([b for b in card["body"] if b.get("type") == "TextBlock"])
             for cause, card in cards.items()}
    assert len({steps[c] for c in (AccessCause.APP_NOT_CONSENTED, AccessCause.TENANT_NOT_FOUND,
                                   AccessCause.CREDENTIAL_REJECTED, AccessCause.ROLE_MISSING)}) == 4


def test_contributor_via_lighthouse_is_told_what_lighthouse_cannot_do() -> None:
    card = attach_result_card(tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS,
                              checks=_checks(CONTRIBUTOR), identity=LIGHTHOUSE_IDENTITY)
    text = _text(card)
    assert "Lighthouse cannot delegate lock removal" in text and "az role assignment" not in text


def test_contributor_with_the_app_gets_the_user_access_administrator_command() -> None:
    card = attach_result_card(tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS,
                              checks=_checks(CONTRIBUTOR), identity=APP_IDENTITY)
    text = _text(card)
    assert f"--assignee {APP_IDENTITY.app_id} --role 'User Access Administrator'" in text
    assert "--role Contributor" not in text, "Contributor is held: only what is missing is asked for"


def test_everything_granted_says_so_and_asks_for_nothing() -> None:
    card = attach_result_card(tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS,
                              checks=_checks([Permission(("*",))]), identity=APP_IDENTITY)
    assert "Every permission a move needs is granted" in _text(card) and "✗" not in _text(card)
    assert "Check again" not in _text(card)


def test_lighthouse_template_never_delegates_owner() -> None:
    with pytest.raises(ValueError, match="Owner"):
        lighthouse_template(LIGHTHOUSE_IDENTITY, customer=fx.TENANT, roles=("Owner",))
    template = lighthouse_template(LIGHTHOUSE_IDENTITY, customer=fx.TENANT)
    assert template["parameters"]["managedByTenantId"]["defaultValue"] == fx.PARTNER_TENANT_ID  # type: ignore[index]
