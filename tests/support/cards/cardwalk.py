"""Read a card dict the way a user sees it: its texts, its buttons (wherever they sit)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


def as_read(markdown: str) -> str:
    """Markdown text as a reader sees its characters: backslash escapes and word joiners gone."""
    return _ESCAPE.sub(r"\1", markdown).replace("\u2060", "")


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in the card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action anywhere: card actions, ActionSets, ShowCards, selectActions, refresh."""
    return [d for d in walk(card) if str(d.get("type", "")).startswith("Action.")]


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Buttons that act, by title: those that go to the bot or open a link (the refresh action is not a button;
    "Show all" / "Show less", which only show or hide part of the card, are in `toggles`)."""
    refresh = card.get("refresh", {}).get("action")
    return {a["title"]: a for a in actions(card)
            if a is not refresh and "title" in a and a["type"] != "Action.ToggleVisibility"}


def toggles(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's Action.ToggleVisibility buttons ("Show all", "Show less")."""
    return [a for a in actions(card) if a["type"] == "Action.ToggleVisibility"]


def texts(card: dict[str, Any]) -> str:
    """All text a user can read, one string: TextBlocks, facts, table cells, choices, labels."""
    out: list[str] = []
    for d in walk(card):
        t = d.get("type")
        if t == "TextBlock":
            out.append(as_read(d["text"]))
        elif t == "TextRun":  # never Markdown
            out.append(d["text"])
        elif "title" in d and "value" in d and t is None:  # Fact / Input.Choice
            out.append(f"{as_read(d['title'])} {as_read(str(d['value']))}")
        if t and t.startswith("Input.") and "label" in d:
            out.append(d["label"])
    return "\n".join(out).replace("\u2011", "-")  # request ids are shown with a non-breaking hyphen


def first_screen(card: dict[str, Any]) -> str:
    """What a reader sees before the card's "Show all": the text of the body up to its ToggleVisibility button
    (all of it when there is none)."""
    body = card["body"]
    opener = next((i for i, n in enumerate(body) if n.get("type") == "ActionSet"
                   and n["actions"][0]["type"] == "Action.ToggleVisibility"), len(body))
    return texts({"body": body[:opener]})
