"""Commands built from argument lists: whatever a name or a note from the customer's tenant holds, bash and
PowerShell hand `az` exactly that one argument, and nothing in it runs; a value Azure CLI would read as a
local file is never shown as a command."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration.model.commands import QUOTED_NOTE, WITHHELD_NOTE, Command, Data, Script, Shown, fill
from tests.support import powershell
from tests.support.az_stub import AzStub

PAYLOADS = [
    'Change freeze"; touch pwned-dq; echo "',
    "$(touch pwned-sub)",
    "`touch pwned-tick`",
    "'; touch pwned-sq; echo '",
    "\u2019; touch pwned-ps; \u2019 \u2018x\u2018 \u201a\u201b",  # PowerShell's other single quotes
    "a\nb; touch pwned-nl",
    "${HOME} $env:USERPROFILE @(1) --% & | ; < > ,",
    "=HYPERLINK(\"https://example.invalid\") \uff1d\uff0b\uff0d\uff20",
    "",
    "-rg-(3)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_bash_and_powershell_pass_the_value_whole_and_run_nothing(payload: str, tmp_path: Path) -> None:
    script = Script.of(Command.of("az", "lock", "create", "--notes", Data(payload)),
                       Command.of("az", "group", "update", "--tags", Data(f"k={payload}")))
    run = AzStub(tmp_path).bash(script.posix())
    assert run.created == [] and run.returncode == 0, run
    assert [c["argv"] for c in run.calls] == [["lock", "create", "--notes", payload],
                                              ["group", "update", "--tags", f"k={payload}"]]
    assert powershell.parse(script.powershell()) == [list(c.argv) for c in script]


def test_a_value_azure_cli_would_read_as_a_file_is_withheld() -> None:
    for value in ("@~/.azure/msal_token_cache.json", "@/etc/passwd"):
        for argument in (Data(value), Data(f"owner={value}")):
            script = Script.of(Command.of("az", "lock", "create", "--notes", argument))
            assert script.withheld and script.posix() == "# " + WITHHELD_NOTE == script.powershell()
            assert Shown.of(script).note == WITHHELD_NOTE
    # A role assignment condition starts with an attribute, which names no file: shown.
    condition = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"
    assert not Script.of(Command.of("az", "role", "assignment", "create", "--condition", Data(condition))).withheld
    # The bot's own words are never withheld: only the tenant's text is.
    assert not Script.of(Command.of("az", "deployment", "create", "--parameters", "@params.json")).withheld


def test_a_quoted_name_from_the_tenant_says_so_and_a_plain_one_does_not() -> None:
    quoted = Script.of(Command.of("az", "lock", "delete", "--name", Data("freeze now")))
    plain = Script.of(Command.of("az", "lock", "delete", "--name", Data("freeze")))
    assert Shown.of(quoted).note == QUOTED_NOTE and Shown.of(plain).note == ""
    assert plain.posix() == plain.powershell() == "az lock delete --name freeze"


def test_templates_fill_one_argument_per_value_and_splice_lists() -> None:
    template = ["az", "resource", "move", "--destination-group", "{group}", "--ids", "{*ids}",
                {"if": "notes", "then": ["--notes", "{notes}"]}]
    script = fill(template, {"group": "rg a; rm -rf ~", "ids": ["/x/1", "/x/2"], "notes": ""})
    [command] = script
    assert command.argv == ("az", "resource", "move", "--destination-group", "rg a; rm -rf ~", "--ids", "/x/1", "/x/2")
    assert command.tenant_args() == ("rg a; rm -rf ~", "/x/1", "/x/2")
    chain = fill([{"for": "site", "in": "sites", "command": ["az", "unbind", "--ids", "{site}"]},
                  {"unless": "sites", "command": ["az", "none"]}, ["az", "done"]], {"sites": ["/s/1", "/s/2"]})
    assert [c.argv for c in chain] == [("az", "unbind", "--ids", "/s/1"), ("az", "unbind", "--ids", "/s/2"),
                                       ("az", "done")]
    assert chain.posix() == "az unbind --ids /s/1 && az unbind --ids /s/2 && az done"
