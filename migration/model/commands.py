"""Commands the bot shows engineers to paste (Azure CLI), built from argument lists, never by formatting
strings: a name or a note from the customer's tenant is one argument whatever it holds.

`Command` is one program call (its argv, and which arguments hold text from the customer's tenant);
`Script` is commands run one after the other, each only once the one before succeeded (`&&`). Both render
for a POSIX shell (`shlex.join`: single quotes, nothing expands inside them) and for PowerShell 7 (single
quotes, a quote doubled; PowerShell reads any of its five single-quote characters as one, so each is
doubled; nothing expands inside them). Sources: POSIX Shell Command Language, 2.2.2 Single-Quotes
(pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap02.html); PowerShell Language Specification
2.3.5.2 String literals (learn.microsoft.com/powershell/scripting/lang-spec/chapter-02).

Azure CLI reads an argument whose value (after its first `=`, if any) starts with `@` as the name of a file
and sends the file's content instead (azure-cli core, `_expand_file_prefixed_files`; "Use Azure CLI
effectively", learn.microsoft.com/cli/azure/use-azure-cli-successfully-quoting): no quoting prevents it.
A script with such a value from the tenant is `withheld`: it renders as a comment saying why, so a
customer's `@~/.azure/...` can never make an engineer's machine upload a file.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Characters PowerShell takes literally in a bare argument; anything else is single-quoted. A leading digit
# is quoted too (PowerShell would parse `2.0` or `1e3` as a number first).
_POWERSHELL_BARE = re.compile(r"[A-Za-z_/\-][A-Za-z0-9_./:=+\-]*")
POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"  # ' ‘ ’ ‚ ‛: PowerShell's single-quote characters
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
WITHHELD_NOTE = ("No command: a value from the customer's tenant starts with @, which Azure CLI reads as the "
                 "name of a file on your machine (and would send that file to Azure). Make this change in the "
                 "Azure portal.")
QUOTED_NOTE = "Contains names from the customer's tenant, quoted as data: paste it as it is."


def powershell_quote(value: str) -> str:
    if _POWERSHELL_BARE.fullmatch(value):
        return value
    return "'" + "".join(c + c if c in POWERSHELL_QUOTES else c for c in value) + "'"


# An ABAC condition starts with an attribute (`@Resource[...] StringEquals 'logs'`): Azure CLI tries to open
# a file of that name, finds none (no directory `Resource[Microsoft.Storage` exists) and sends the text.
_CONDITION_ATTRIBUTES = ("@Resource[", "@Request[", "@Principal[", "@Environment[")


def az_reads_file(argument: str) -> bool:
    """Azure CLI's rule: the value (after the first `=`, or the whole argument) starting with `@` and
    holding more is read as a file path; a role assignment condition's attribute is no path."""
    _, equals, value = argument.partition("=")
    value = value if equals else argument
    return value.startswith("@") and len(value) > 1 and not value.startswith(_CONDITION_ATTRIBUTES)


@dataclass(frozen=True, slots=True)
class Data:
    """An argument holding text from the customer's tenant (a name, an id, a note): kept whole, quoted."""

    value: str


@dataclass(frozen=True, slots=True)
class Command:
    argv: tuple[str, ...]
    tenant: tuple[int, ...] = ()  # indexes of the arguments that hold text from the customer's tenant

    @classmethod
    def of(cls, *parts: str | Data | Iterable[Data]) -> Command:
        """`Command.of("az", "disk", "update", "--ids", Data(disk_id))`: plain strings are the bot's own
        words; `Data` (or an iterable of them, spliced) is the tenant's."""
        argv: list[str] = []
        tenant: list[int] = []
        for part in parts:
            for item in ([part] if isinstance(part, str | Data) else list(part)):
                if isinstance(item, Data):
                    tenant.append(len(argv))
                    argv.append(item.value)
                else:
                    argv.append(item)
        return cls(tuple(argv), tuple(tenant))

    def option(self, name: str) -> str | None:
        """The value after `name` (`--destination-group rg-a` -> "rg-a"), or None."""
        for i, arg in enumerate(self.argv[:-1]):
            if arg == name:
                return self.argv[i + 1]
        return None

    def tenant_args(self) -> tuple[str, ...]:
        return tuple(self.argv[i] for i in self.tenant)

    def posix(self) -> str:
        return shlex.join(self.argv)

    def powershell(self) -> str:
        return " ".join(powershell_quote(a) for a in self.argv)


@dataclass(frozen=True, slots=True)
class Script:
    """Commands to run in order, each once the one before succeeded; empty: nothing to run."""

    commands: tuple[Command, ...] = ()

    @classmethod
    def of(cls, *commands: Command) -> Script:
        return cls(tuple(commands))

    def __bool__(self) -> bool:
        return bool(self.commands)

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)

    def __add__(self, other: Script) -> Script:
        return Script((*self.commands, *other.commands))

    def option(self, name: str) -> str | None:
        return next((v for c in self.commands if (v := c.option(name)) is not None), None)

    @property
    def withheld(self) -> bool:
        """A value from the tenant that Azure CLI would read as a local file: not shown as a command."""
        return any(az_reads_file(a) for c in self.commands for a in c.tenant_args())

    @property
    def quotes_tenant_text(self) -> bool:
        """Some text from the customer's tenant needed quoting (the card says so next to the command)."""
        return any(shlex.quote(a) != a or powershell_quote(a) != a for c in self.commands for a in c.tenant_args())

    def posix(self) -> str:
        if self.withheld:
            return "# " + WITHHELD_NOTE
        return " && ".join(c.posix() for c in self.commands)

    def powershell(self) -> str:
        """For PowerShell 7 (`&&` chains commands there; Windows PowerShell 5.1 refuses the line whole)."""
        if self.withheld:
            return "# " + WITHHELD_NOTE
        return " && ".join(c.powershell() for c in self.commands)

    def __len__(self) -> int:
        """The length of the POSIX rendering: what a card has room for."""
        return len(self.posix()) if self.commands else 0


# --------------------------------------------------------------------------- templates in data files


def fill(template: Any, values: Mapping[str, Any]) -> Script:
    """A data file's command template -> a Script. A template is a list of arguments (one command) or a list
    of commands (a chain). An argument is a string with `{placeholders}` (one argument, whatever the values
    hold; an argument with a placeholder is the tenant's text), `"{*name}"` (every item of a list, or of a
    space-separated string, as arguments of their own), or `{"if": "name", "then": [...]}` (those arguments
    only when `name` has a value). In a chain, `{"if" | "unless": "name", "command": [...]}` is a command
    only when `name` has (has no) value, and `{"for": "item", "in": "name", "command": [...]}` one command per
    item of `name` (an item that is a mapping fills in its keys). A missing value fills in as ""."""
    if not template:
        return Script()
    first = template[0]
    chain = template if isinstance(first, list) or (isinstance(first, dict) and "command" in first) else [template]
    out: list[Command] = []
    for part in chain:
        if isinstance(part, list):
            out.append(_command(part, values))
        elif "for" in part:
            for item in values.get(part["in"]) or ():
                bound = {**values, **(item if isinstance(item, Mapping) else {part["for"]: item})}
                out.append(_command(part["command"], bound))
        elif _given(values.get(part.get("if", part.get("unless")))) == ("if" in part):
            out.append(_command(part["command"], values))
    return Script(tuple(out))


def _given(value: Any) -> bool:
    return value not in (None, "", (), [])


def _items(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value]


def _command(template: Sequence[Any], values: Mapping[str, Any]) -> Command:
    return Command.of(*_expand(template, values))


def _expand(template: Sequence[Any], values: Mapping[str, Any]) -> Iterator[str | Data | list[Data]]:
    for element in template:
        if isinstance(element, dict):
            if _given(values.get(element["if"])):
                yield from _expand(element["then"], values)
            continue
        text = str(element)
        if text.startswith("{*") and text.endswith("}"):
            yield [Data(v) for v in _items(values.get(text[2:-1]))]
        elif _PLACEHOLDER.search(text):
            yield Data(_PLACEHOLDER.sub(lambda m: _text(values.get(m.group(1))), text))
        else:
            yield text


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Shown:
    """A script as a card or an export shows it: both renderings and the note that goes beside them."""

    posix: str
    powershell: str
    note: str = field(default="")

    @classmethod
    def of(cls, script: Script) -> Shown:
        note = WITHHELD_NOTE if script.withheld else QUOTED_NOTE if script.quotes_tenant_text else ""
        return cls(script.posix(), script.powershell(), note)
