"""How PowerShell 7 reads a native command line of the kind the bot writes: bare words and single-quoted
strings, commands chained with `&&`. No PowerShell runs offline here (Debian ships none; npm's `pwsh`
downloads one from GitHub when installed; PyPI's `pwsh` wraps Windows PowerShell's .NET Framework
assemblies), so this reads the line the way the PowerShell Language Specification says
(learn.microsoft.com/powershell/scripting/lang-spec/chapter-02, 2.3.5.2 String literals; 2.2.3 comments):

- a single-quoted string starts and ends with any of ' ‘ ’ ‚ ‛ (U+0027, U+2018, U+2019, U+201A, U+201B); two of
  them in a row inside it stand for one; nothing else in it is special (no `$`, no backtick escapes);
- a `#` that starts a token starts a comment to the end of the line;
- anything else PowerShell would read as code in a bare word (`$ @ ( ) { } ; & | < > , " ` and the quotes) is
  refused here: the bot must never write it unquoted. The limit: this is the specification's reading, not
  PowerShell's own parser.
"""

from __future__ import annotations

QUOTES = "'\u2018\u2019\u201a\u201b"
_CODE = set("$@(){};&|<>,\"`") | set(QUOTES)
_SPACE = " \t"


class NotUnderstood(ValueError):
    """The line holds something PowerShell would run or expand: the rendering is wrong."""


def parse(line: str) -> list[list[str]]:
    """The argv of each command of the line (`a && b` -> two), or [] for a comment."""
    commands: list[list[str]] = [[]]
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c in _SPACE:
            i += 1
            continue
        if c == "#":
            if commands == [[]]:
                return []
            raise NotUnderstood(f"a comment after a command at {i}: {line!r}")
        if line.startswith("&&", i) and (i + 2 == n or line[i + 2] in _SPACE):
            if not commands[-1]:
                raise NotUnderstood(f"&& without a command before it: {line!r}")
            commands.append([])
            i += 2
            continue
        word, i = _word(line, i)
        commands[-1].append(word)
    if not commands[-1]:
        raise NotUnderstood(f"nothing after &&: {line!r}")
    return commands


def _word(line: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    n = len(line)
    while i < n and line[i] not in _SPACE:
        c = line[i]
        if c in QUOTES:
            i += 1
            while True:
                if i >= n:
                    raise NotUnderstood(f"an unterminated string: {line!r}")
                if line[i] in QUOTES:
                    if i + 1 < n and line[i + 1] in QUOTES:  # a quote written twice stands for one
                        out.append(line[i + 1])
                        i += 2
                        continue
                    i += 1
                    break
                out.append(line[i])
                i += 1
            continue
        if c in _CODE:
            raise NotUnderstood(f"{c!r} outside quotes at {i} would be read as code: {line!r}")
        out.append(c)
        i += 1
    return "".join(out), i
