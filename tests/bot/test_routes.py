"""The route registry: each command and verb has one handler, registered once; every button the bot can draw
has a route; a second registration is refused when the app is built."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from app import GATEWAY, ROUTES, STORE, create_app
from bot.commands import COMMANDS
from bot.routes import DuplicateRoute, Routes
from cards import verbs
from cards.access import access_alert_card, waiting_for_access_card
from cards.tenant import move_access_card
from migration.azure.permissions import evaluate
from migration.model import RequestState
from migration.model.records import AccessWait
from settings import load_settings
from tests.support.cards import fixtures as fx
from tests.support.cards.cardwalk import actions
from tests.support.cards.gallery import APP_IDENTITY, build_all

CARD_VERBS = sorted(v for k, v in vars(verbs).items() if k.isupper() and isinstance(v, str))


async def _nothing(*_: object) -> None:
    return None


@pytest.fixture
async def routes(tmp_path: Path) -> AsyncIterator[Routes]:
    """The routes of the real app, as `create_app` registers them (nothing is served)."""
    settings = load_settings({"STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "AZURE_CREDENTIAL": "sandbox",
                              "ARM_ENDPOINT": "https://127.0.0.1:9"})
    app = create_app(settings)
    yield app[ROUTES]
    await app[GATEWAY].close()
    await app[STORE].close()


def _cards_beyond_the_gallery() -> dict[str, dict]:
    """Cards the gallery does not draw: a move waiting for access, and a move the bot may not plan."""
    request = fx.make_request(fx.CONTOSO, RequestState.MOVING, moved_fraction=0.5)
    wait = AccessWait(cause="role_missing", code="AuthorizationFailed", message="No access.", fix="Grant the role.",
                      since=fx.AT, checks=2, next_check_at=fx.AT + timedelta(minutes=2))
    checks = evaluate([], subscription_id=fx.PROD.id, side="source")
    return {
        "waiting-for-access": waiting_for_access_card(request, wait),
        "access-alert": access_alert_card(request, wait),
        "move-access": move_access_card(identity=APP_IDENTITY, tenant_id=fx.TENANT_ID, checks=checks,
                                        names={fx.PROD.id: fx.PROD.display_name},
                                        retry={"tenantId": fx.TENANT_ID, "sourceSubscriptionId": fx.PROD.id,
                                               "targetSubscriptionId": fx.CSP_MAIN.id}),
    }


def test_a_verb_or_command_registered_twice_is_refused() -> None:
    routes = Routes()
    routes.verb(verbs.REQUEST_CANCEL, _nothing)
    with pytest.raises(DuplicateRoute, match="request.cancel"):
        routes.verb(verbs.REQUEST_CANCEL, _nothing)
    routes.command("cancel", _nothing)
    with pytest.raises(DuplicateRoute, match="cancel"):
        routes.command("cancel", _nothing)
    with pytest.raises(ValueError, match="not a chat command"):
        routes.command("frobnicate", _nothing)


async def test_the_bots_table_refuses_a_second_handler_for_any_of_its_routes(routes: Routes) -> None:
    for verb in routes.verbs:
        with pytest.raises(DuplicateRoute):
            routes.verb(verb, _nothing)
    for command in routes.commands:
        with pytest.raises(DuplicateRoute):
            routes.command(command, _nothing)
    with pytest.raises(DuplicateRoute):
        routes.free_text(_nothing)


async def test_every_command_and_every_verb_has_exactly_one_route(routes: Routes) -> None:
    assert set(routes.commands) == set(COMMANDS)
    assert set(routes.verbs) == set(CARD_VERBS)


async def test_every_button_on_every_card_the_bot_can_draw_has_a_route(routes: Routes) -> None:
    cards = {**build_all(), **_cards_beyond_the_gallery()}
    sent = {(name, a["verb"]) for name, card in cards.items() for a in actions(card) if a["type"] == "Action.Execute"}
    assert len({verb for _, verb in sent}) >= 20, "the walk found the cards' buttons"
    assert sorted((name, verb) for name, verb in sent if verb not in routes.verbs) == []


async def test_who_may_use_a_route_is_declared_on_it(routes: Routes) -> None:
    # A request's status, refresh and Check again are its customer's people's (tests/bot/test_customers.py).
    open_to_all = {verbs.HELP, verbs.HISTORY_PAGE}
    assert {v for v, r in routes.verbs.items() if r.guard is None} == open_to_all
    assert {c for c, r in routes.commands.items() if r.guard is None} == {"help", "history"}
