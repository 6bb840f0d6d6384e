"""One-line chat commands: `assess contoso.onmicrosoft.com <sub>` -> Command("assess", [...])."""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMANDS = ("help", "attach", "assess", "move", "status", "report", "history", "cancel", "approvals", "audit",
            "customers", "customer")
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # one of COMMANDS, or "" when the text names no command
    args: tuple[str, ...]
    text: str  # the message without the @mention


def parse_command(text: str | None) -> Command:
    """Case-insensitive; the channel @mention (`<at>Bot</at>`) is ignored wherever it stands."""
    clean = _MENTION.sub(" ", text or "")
    clean = clean.replace("\u00a0", " ").strip()
    words = clean.split()
    if not words:
        return Command("", (), clean)
    head = words[0].lower().lstrip("/")
    if head in COMMANDS:
        return Command(head, tuple(words[1:]), clean)
    return Command("", tuple(words), clean)
