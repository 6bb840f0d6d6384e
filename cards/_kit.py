"""Small building blocks shared by every card: elements, buttons, number and time formats.

Elements are built with adaptive-cards-py so field names and enum values are checked when the card
is built; `card()` turns them into the plain dict the bot sends. Where the library's model is wrong
for Teams (its `refresh.action` is a string, Teams wants an Action.Execute object) the dict is
patched after serialization.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    ActionOpenUrl,
    ActionSet,
    ActionToggleVisibility,
    AdaptiveCard,
    Column,
    ColumnSet,
    Container,
    Fact,
    FactSet,
    RichTextBlock,
    Table,
    TableCell,
    TableColumnDefinition,
    TableRow,
    TargetElement,
    TextBlock,
    TextRun,
)

from migration.model.commands import QUOTED_NOTE, WITHHELD_NOTE, Script
from migration.reports.markdown import literal

VERSION = "1.5"
MAX_CARD_BYTES = 28 * 1024  # Teams refuses larger cards
MAX_REFRESH_USERS = 60  # Teams ignores refresh.userIds beyond 60 MRIs

Element = Any  # an adaptive-cards-py element model
Action = ActionExecute | ActionOpenUrl
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# --------------------------------------------------------------------------- formats


def num(value: int) -> str:
    """10000 -> "10,000": every count a user reads has separators."""
    return f"{value:,}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """(1, "group") -> "1 group"; (2, "group") -> "2 groups"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{num(count)} {word}"


def utc(moment: datetime | None, *, seconds: bool = False) -> str:
    """A time as users read it: always UTC, always labelled, minutes precision (`seconds` for a wait of
    seconds)."""
    if moment is None:
        return "not yet"
    if moment.tzinfo is None:  # the domain stores UTC; a naive value is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def clip(text: str, limit: int) -> str:
    """Keep a single name or id from blowing up a card; marks the cut with an ellipsis. Never for sentences
    (reasons, fixes, notes): those are shortened by `sentences`, which chooses what to show."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sentences(text: str, limit: int) -> tuple[str, str]:
    """(shown, rest): the leading whole sentences that fit in `limit` characters (the first one however long
    it is), and the sentences left for "Show all". Words and sentences are never cut."""
    parts = [p for p in _SENTENCE_END.split(" ".join(text.split())) if p]
    shown: list[str] = []
    for part in parts:
        if shown and len(" ".join([*shown, part])) > limit:
            break
        shown.append(part)
    return " ".join(shown), " ".join(parts[len(shown):])


def listed(names: Sequence[str], *, shown: int = 8) -> str:
    """"a, b and c"; past `shown` names, "a, b, … and 4 more": a list is shortened by counting, never cut."""
    names = [" ".join(n.split()) for n in names]
    if len(names) <= 1:
        return "".join(names)
    if len(names) > shown:
        return f"{', '.join(names[:shown])} and {num(len(names) - shown)} more"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def untrusted(value: object) -> str:
    """The one way text that is not the bot's own (names, ids, notes, Azure's messages, display names) goes
    into a card's Markdown: every character shows as itself, nothing becomes a link, emphasis, heading, list,
    table, code or HTML (migration.reports.markdown.literal). Teams drops anything between < and > as HTML
    even when escaped, so angle brackets become look-alikes first."""
    text = "" if value is None else str(value)
    return literal(text.replace("<", "\u2039").replace(">", "\u203a"))


def choice_title(value: str) -> str:
    """A compact choice's title: Teams shows it as plain text (no Markdown), on one line."""
    return " ".join(value.split())


def unbroken_id(request_id: str) -> str:
    """A request id that never wraps mid-word on a card: its hyphen made non-breaking (U+2011). `status` and
    `cancel` read an id copied with it (migration.execution.stored.normalize_id)."""
    return request_id.replace("-", "\u2011")


# --------------------------------------------------------------------------- elements


def heading(text: str) -> TextBlock:
    """A title; its text is taken as data (a name in it shows as it is)."""
    return TextBlock(
        text=untrusted(text),
        size=types.FontSize.LARGE,
        weight=types.FontWeight.BOLDER,
        wrap=True,
        style=types.TextBlockStyle.HEADING,
    )


def subheading(text: str, *, separator: bool = True) -> TextBlock:
    return TextBlock(
        text=untrusted(text),
        size=types.FontSize.MEDIUM,
        weight=types.FontWeight.BOLDER,
        wrap=True,
        separator=separator or None,
        spacing=types.Spacing.MEDIUM,
    )


def text(
    value: str,
    *,
    subtle: bool = False,
    bold: bool = False,
    color: types.Colors | None = None,
    small: bool = False,
    spacing: types.Spacing | None = None,
) -> TextBlock:
    return TextBlock(
        text=value,
        wrap=True,
        is_subtle=subtle or None,
        weight=types.FontWeight.BOLDER if bold else None,
        color=color,
        size=types.FontSize.SMALL if small else None,
        spacing=spacing,
    )


def data(value: str, *, monospace: bool = False, small: bool = False,
         spacing: types.Spacing | None = None) -> RichTextBlock:
    """Text shown exactly as it is (a command, an id, a name): a TextRun, which Adaptive Cards never read as
    Markdown, so nothing in it is markup or a link and a copy gives back every character."""
    return RichTextBlock(inlines=[TextRun(text=value, font_type=types.FontType.MONOSPACE if monospace else None,
                                          size=types.FontSize.SMALL if small else None)], spacing=spacing)


def command(script: Script, *, powershell: bool = True,
            spacing: types.Spacing | None = types.Spacing.NONE) -> list[Element]:
    """A command to copy: for a POSIX shell, and for PowerShell where the card has room; then what it carries
    (names from the customer's tenant, quoted), or why it is withheld."""
    if script.withheld:
        return [text(WITHHELD_NOTE, small=True, color=types.Colors.ATTENTION, spacing=spacing)]
    out: list[Element] = [data(script.posix(), monospace=True, small=True, spacing=spacing)]
    if powershell:
        out += [text("PowerShell:", subtle=True, small=True, spacing=types.Spacing.NONE),
                data(script.powershell(), monospace=True, small=True, spacing=types.Spacing.NONE)]
    if script.quotes_tenant_text:
        out.append(text(QUOTED_NOTE, subtle=True, small=True, spacing=types.Spacing.NONE))
    return out


def bullets(lines: Iterable[str], *, spacing: types.Spacing | None = None) -> TextBlock:
    """One line per paragraph in one TextBlock: far smaller than one element per line. Not a
    markdown list: the renderer indents lists without narrowing them, which cuts off long lines."""
    return TextBlock(text="\n\n".join(f"• {line}" for line in lines), wrap=True, spacing=spacing)


def numbered(lines: Iterable[str]) -> TextBlock:
    # "**1.**" rather than "1." so markdown does not turn it into a list (see bullets).
    return TextBlock(text="\n\n".join(f"**{i}.** {line}" for i, line in enumerate(lines, 1)), wrap=True)


def facts(pairs: Iterable[tuple[str, str]]) -> FactSet:
    """Title and value are both taken as data (Teams reads facts as Markdown)."""
    return FactSet(facts=[Fact(title=untrusted(k), value=untrusted(v)) for k, v in pairs])


def box(items: Sequence[Element], *, style: types.ContainerStyle | None = None) -> Container:
    return Container(items=list(items), style=style, spacing=types.Spacing.MEDIUM)


def note(value: str, *, style: types.ContainerStyle = types.ContainerStyle.WARNING) -> Container:
    """A highlighted sentence (sandbox mode, errors) that must not be missed."""
    return box([text(value)], style=style)


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    widths: Sequence[int] | None = None,
    numeric: Sequence[int] = (),
) -> Table:
    """A Table with a header row; `numeric` column indexes are right-aligned. Every cell is taken as data."""
    widths = widths or [1] * len(header)

    def cell(value: str, index: int, *, bold: bool = False) -> TableCell:
        block = TextBlock(
            text=untrusted(value),
            wrap=True,
            weight=types.FontWeight.BOLDER if bold else None,
            horizontal_alignment=types.HorizontalAlignment.RIGHT if index in numeric else None,
        )
        return TableCell(items=[block])

    body = [TableRow(cells=[cell(h, i, bold=True) for i, h in enumerate(header)])]
    body += [TableRow(cells=[cell(v, i) for i, v in enumerate(row)]) for row in rows]
    return Table(
        columns=[TableColumnDefinition(width=w) for w in widths],
        rows=body,
        first_row_as_header=True,
        show_grid_lines=False,
        spacing=types.Spacing.MEDIUM,
    )


def columns(*cells: tuple[str | int, Sequence[Element]]) -> ColumnSet:
    return ColumnSet(columns=[Column(width=w, items=list(items)) for w, items in cells])


# --------------------------------------------------------------------------- actions


def execute(
    title: str,
    verb: str,
    data: Mapping[str, Any] | None = None,
    *,
    style: types.ActionStyle | None = None,
    inputs: bool | None = None,
) -> ActionExecute:
    """A button. `data` carries ids only; the bot looks everything else up server-side."""
    return ActionExecute(
        title=title,
        verb=verb,
        data=dict(data or {}),
        style=style,
        # On cards with inputs, say per button whether it sends (and validates) them: "Cancel"
        # must work with a required field left empty. None leaves the default (auto) unsaid.
        associated_inputs=None
        if inputs is None
        else (types.AssociatedInputs.AUTO if inputs else types.AssociatedInputs.NONE),
    )


def open_url(title: str, url: str) -> ActionOpenUrl:
    return ActionOpenUrl(title=title, url=url)


def expandable(rest: Sequence[Element], *, key: str, title: str = "Show all") -> list[Element]:
    """The rest of a long card one click away, and back: `rest` in a hidden container that `title` opens and
    "Show less" (at its end) closes. Action.ToggleVisibility is carried out by Teams itself: nothing is sent
    to the bot, so the card's decision stays on the first screen and nothing is lost."""
    if not rest:
        return []
    more, opener = f"{key}-all", f"{key}-open"

    def toggle(label: str, *, show: bool) -> ActionToggleVisibility:
        return ActionToggleVisibility(title=label, target_elements=[TargetElement(element_id=more, is_visible=show),
                                                                    TargetElement(element_id=opener,
                                                                                  is_visible=not show)])

    return [ActionSet(id=opener, actions=[toggle(title, show=True)], spacing=types.Spacing.SMALL),
            Container(id=more, is_visible=False, spacing=types.Spacing.NONE,
                      items=[*rest, ActionSet(actions=[toggle("Show less", show=False)],
                                              spacing=types.Spacing.MEDIUM)])]


def action_set(actions: Sequence[Action]) -> ActionSet:
    return ActionSet(actions=list(actions), spacing=types.Spacing.MEDIUM)


# --------------------------------------------------------------------------- the card


def card(
    body: Sequence[Element],
    actions: Sequence[Action] = (),
    *,
    fallback_text: str | None = None,
    refresh: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble, serialize to the JSON Teams wants, and patch what the library cannot model."""
    builder = AdaptiveCard.new().version(VERSION).add_items(list(body))
    if actions:
        builder = builder.add_actions(list(actions))
    model = builder.create()
    out: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    _strip_defaults(out)
    if fallback_text:
        out["fallbackText"] = fallback_text
    if refresh is not None:
        out["refresh"] = dict(refresh)
    return out


def _strip_defaults(node: Any) -> None:
    """Drop values the library always emits but that only restate defaults (bytes count at 28 KB)."""
    if isinstance(node, dict):
        if node.get("mode") == "primary" and str(node.get("type", "")).startswith("Action."):
            del node["mode"]
        for value in node.values():
            _strip_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _strip_defaults(value)
