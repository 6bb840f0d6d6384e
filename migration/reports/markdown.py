"""Text from a customer's tenant, shown in Markdown as the characters it holds (the cards' TextBlocks and
the move report's Markdown file both go through `literal`).

CommonMark lets a backslash make any ASCII punctuation literal (spec 0.31.2, section 2.4 "Backslash
escapes"), which is how links `[x](y)`, emphasis, code spans, tables, HTML and entities lose their meaning.
Block syntax (headings, lists, quotes, fences, tables) needs a line of its own: line breaks become spaces.
A bare URL, `www.` address or e-mail address is made a link by GitHub's Markdown (GFM "Autolinks
(extension)") and by Teams without any syntax: a WORD JOINER (U+2060, invisible, no width) after each
`:`, `.` and `@` between two characters breaks every such link and leaves the text as people read it.
Adaptive Cards also rewrite `{{DATE(...)}}` and `{{TIME(...)}}` (its text functions): braces are escaped.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
_ANYWHERE = re.compile(r"([\\`*_{}\[\]<>|~&])")  # inline markup, HTML, entities, table cells, text functions
_LEADING = re.compile(r"^(?:([-+=#>])|(\d+)([.)]))")  # a list, heading or quote when a line starts so
_LINKABLE = re.compile(r"(?<=\w)([.@])(?=\w)|(:)(?=//)")


def literal(value: str) -> str:
    """`value` as Markdown that renders exactly its characters (on one line), never as markup or a link."""
    one_line = " ".join(value.split())
    escaped = _ANYWHERE.sub(r"\\\1", one_line)
    escaped = _LEADING.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
                           escaped, count=1)
    return _LINKABLE.sub(lambda m: (m.group(1) or m.group(2)) + WORD_JOINER, escaped)


def fence(code: str, *, info: str = "") -> list[str]:
    """A fenced code block that `code` cannot close: its fence is longer than any run of backticks inside
    (CommonMark 4.5: the closing fence must be at least as long as the opening one)."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    marks = "`" * max(3, longest + 1)
    return [marks + info, *code.splitlines(), marks]
