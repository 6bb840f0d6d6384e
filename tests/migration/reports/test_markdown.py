"""Text from the customer's tenant in Markdown (the cards' and the move report's): every character shows as
itself, nothing becomes a link or markup, and a fence holds any command."""

from __future__ import annotations

import re

from migration.reports.markdown import WORD_JOINER, fence, literal
from tests.support.cards.cardwalk import as_read
from tests.support.untrusted import markdown_links

HOSTILE = ["[Re-consent the bot here](https://example.invalid/consent)", "<https://example.invalid>",
           "https://example.invalid/x", "www.evil-example.com", "ops@evil-example.com", "**bold** _em_ ~~s~~",
           "# heading", "- item", "1. item", "> quote", "| a | b |", "`code` ```` fence", "<b>html</b> &lt;",
           "{{DATE(2017-02-14T06:08:39Z, SHORT)}}", "line one\n# line two"]


def test_hostile_text_reads_as_itself_with_no_link_syntax_left() -> None:
    for value in HOSTILE:
        shown = literal(value)
        assert "\n" not in shown and markdown_links(shown) == [], shown
        assert as_read(shown) == " ".join(value.split()), shown
        assert not re.match(r"[-+=#>]|\d+[.)]", shown), "nothing starts a block"


def test_a_fence_is_longer_than_any_run_of_backticks_inside() -> None:
    command = "az lock create --notes 'x ```` y ``` z'"
    lines = fence(command, info="sh")
    assert lines[0] == "`````sh" and lines[-1] == "`````" and lines[1:-1] == [command]
    assert WORD_JOINER not in "".join(lines), "a fenced command is pasted as it is"
