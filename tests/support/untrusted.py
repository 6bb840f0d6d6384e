"""Checks of what the bot shows engineers against text from a customer's tenant: every command it shows runs
as data only (bash with `az` stubbed, and PowerShell's reading of its rendering), no card holds a link the bot
did not put there, and no CSV cell is a spreadsheet formula (LibreOffice reads it back)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import powershell
from tests.support.az_stub import SECRETS, AzStub
from tests.support.cards import render
from tests.support.cards.cardwalk import walk

# Where the bot's own links go: Microsoft's pages and portals, and its own report downloads (added per test).
BOT_LINK_HOSTS = ("https://learn.microsoft.com/", "https://portal.azure.com/", "https://admin.microsoft.com/",
                  "https://login.microsoftonline.com/", "https://github.com/MicrosoftDocs/")
WITHHELD = "# No command:"
# OWASP's CSV-injection rule (owasp.org/www-community/attacks/CSV_Injection), and the full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclass(frozen=True)
class Shown:
    """A command as one place shows it: for bash, for PowerShell (when that place has one)."""

    where: str
    posix: str
    powershell: str | None


# --------------------------------------------------------------------------- collecting the commands


def card_commands(name: str, card: dict[str, Any]) -> Iterator[Shown]:
    """Monospace TextRuns are the commands; one followed by "PowerShell:" and another is a pair."""
    nodes = list(walk(card))
    labels = {id(n) for n in nodes if n.get("type") == "TextBlock" and n.get("text") == "PowerShell:"}
    order = [n for n in nodes if n.get("type") == "TextRun" and n.get("fontType") == "monospace" or id(n) in labels]
    i = 0
    while i < len(order):
        node = order[i]
        if id(node) in labels:
            i += 1
            continue
        pair = order[i + 2] if i + 2 < len(order) and id(order[i + 1]) in labels else None
        yield Shown(name, node["text"], pair["text"] if pair else None)
        i += 3 if pair else 1


def csv_commands(name: str, text: str, pairs: Iterable[tuple[str, str]]) -> Iterator[Shown]:
    for row in csv.DictReader(io.StringIO(text)):
        for posix, ps in pairs:
            if row.get(posix):
                yield Shown(f"{name}:{posix}", _uncell(row[posix]), _uncell(row.get(ps) or "") or None)


def _uncell(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def json_commands(name: str, doc: Any) -> Iterator[Shown]:
    for node in _dicts(doc):
        if "posix" in node and "argv" in node:
            yield Shown(f"{name}:json", node["posix"], node["powershell"])


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _dicts(v)
    elif isinstance(node, list):
        for v in node:
            yield from _dicts(v)


def markdown_commands(name: str, text: str) -> Iterator[Shown]:
    """Each ```sh fence followed by its ```powershell fence (fences as long as they need to be)."""
    blocks = re.findall(r"^ *(`{3,})(sh|powershell)\n(.*?)\n *\1$", text, re.M | re.S)
    bodies = [(kind, "\n".join(line.removeprefix("  ") for line in body.split("\n"))) for _, kind, body in blocks]
    for (kind, body), nxt in zip(bodies, [*bodies[1:], ("", "")], strict=True):
        if kind == "sh":
            yield Shown(f"{name}:md", body, nxt[1] if nxt[0] == "powershell" else None)


# --------------------------------------------------------------------------- running them


@dataclass
class Ran:
    shown: Shown
    argv: list[list[str]]  # what reached `az`, per call


def run_all(shown: Iterable[Shown], root: Path) -> list[Ran]:
    """Each command pasted into bash with `az` stubbed; nothing else may run or appear, `az` reads no file,
    and PowerShell would pass the very same arguments."""
    stub = AzStub(root)
    out: list[Ran] = []
    for s in shown:
        if s.posix.startswith(WITHHELD):
            assert s.powershell in (None, s.posix), s
            continue
        run = stub.bash(s.posix)
        assert run.returncode == 0 and run.stderr == "", (s, run.stderr)
        assert run.created == [], f"{s.where}: a payload ran and made {run.created}: {s.posix}"
        argv = [c["argv"] for c in run.calls]
        assert argv and all(a[:1] != [] for a in argv), s
        assert [c["as_az_reads_it"] for c in run.calls] == argv, f"{s.where}: az would read a file: {s.posix}"
        for secret in SECRETS.values():
            assert secret not in json.dumps(run.calls), s
        if s.powershell is not None:
            read = powershell.parse(s.powershell)
            assert [c[0] for c in read] == ["az"] * len(read) and [c[1:] for c in read] == argv, \
                f"{s.where}: PowerShell reads it otherwise: {s.powershell}"
        out.append(Ran(s, argv))
    return out


def option_values(ran: Iterable[Ran], *options: str) -> list[str]:
    """Every value given to one of `options` (`--notes x`), in every call."""
    found = []
    for r in ran:
        for argv in r.argv:
            found += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in options]
    return found


# --------------------------------------------------------------------------- links


_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
_LINK_SYNTAX = re.compile(r"\[[^\]]*\]\s*\(|<[a-zA-Z][a-zA-Z0-9+.-]*:|(?:https?|ftp)://|mailto:\w|www\.\w|\w@\w[\w-]*\.\w")
_LINK = re.compile(r"\[[^\]]*\]\(([^)]*)\)")


def markdown_links(text: str) -> list[str]:
    """Link syntax Teams' Markdown would act on in a TextBlock's text: [x](y), <scheme:...>, bare URLs,
    www. addresses and e-mail addresses (Teams links those without syntax). Escaped characters are not
    syntax."""
    return _LINK_SYNTAX.findall(_ESCAPED.sub("\x00", text))


def card_link_texts(card: dict[str, Any]) -> Iterator[str]:
    """What a card has Teams read as Markdown: TextBlocks, facts, and the titles of expanded choices (a
    compact choice set is a drop-down of plain text)."""
    for node in walk(card):
        if node.get("type") == "TextBlock":
            yield node["text"]
        elif node.get("type") == "FactSet":
            for fact in node["facts"]:
                yield fact["title"]
                yield fact["value"]
        elif node.get("type") == "Input.ChoiceSet" and node.get("style") == "expanded":
            yield from (c["title"] for c in node["choices"])


def rendered_links(cards: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The href of every <a> in each card as Adaptive Cards' JS renderer draws it (Teams' host config), its
    Markdown making bare URLs and e-mail addresses links as Teams does."""
    return {name: report["links"] for name, report in render.render(cards, linkify=True).items()}


def foreign_links(card: dict[str, Any], own: Iterable[str]) -> list[str]:
    """Markdown link syntax in the card that is not one of the bot's own links."""
    allowed = (*BOT_LINK_HOSTS, *own)
    out = []
    for text in card_link_texts(card):
        masked = _ESCAPED.sub("\x00", text)  # an escaped character is no syntax
        for m in _LINK.finditer(masked):
            if not m.group(1).startswith(allowed):
                out.append(f"{m.group(0)!r} in {text!r}")
        rest = _LINK.sub(lambda m: "" if m.group(1).startswith(allowed) else m.group(0), masked)
        out += [f"{x!r} in {text!r}" for x in _LINK_SYNTAX.findall(rest)]
    return out


# --------------------------------------------------------------------------- spreadsheets


def libreoffice() -> str:
    found = shutil.which("soffice")
    assert found, "LibreOffice is missing: make test installs Debian's libreoffice-calc-nogui"
    return found


def spreadsheet_cells(text: str, tmp: Path) -> list[tuple[str | None, str]]:
    """LibreOffice Calc opens the CSV as a person would (with "Evaluate formulas" on: CSV filter option 13)
    and saves it as flat ODS; each cell as (its formula or None, its text)."""
    tmp.mkdir(parents=True, exist_ok=True)
    src = tmp / "export.csv"
    src.write_text(text, encoding="utf-8")
    out = tmp / "ods"
    profile = (tmp / "lo-profile").as_uri()
    done = subprocess.run([libreoffice(), "--headless", "--norestore", f"-env:UserInstallation={profile}",
                           "--infilter=CSV:44,34,76,1,,0,false,true,false,false,false,-1,true",
                           "--convert-to", "fods", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    tree = ElementTree.parse(out / "export.fods")
    cells = []
    for cell in tree.iter(f"{{{table}}}table-cell"):
        shown = "\n".join("".join(p.itertext()) for p in cell.iter(f"{{{text_ns}}}p"))
        repeat = int(cell.get(f"{{{table}}}number-columns-repeated", "1"))
        cells += [(cell.get(f"{{{table}}}formula"), shown)] * min(repeat, 1 if not shown else repeat)
    return cells
