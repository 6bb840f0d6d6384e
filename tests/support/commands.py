"""Commands in tests, written as the shell line they render to (the product builds them from argument lists)."""

from __future__ import annotations

import shlex

from migration.model.commands import Command, Script


def script(line: str) -> Script:
    """`"az a b && az c"` -> a Script of two commands; "" -> no command."""
    return Script(tuple(Command(tuple(shlex.split(part))) for part in line.split(" && ") if part.strip()))
