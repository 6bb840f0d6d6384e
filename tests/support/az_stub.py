"""An `az` that runs nothing: first on PATH, it writes the argv it was given as one JSON line, and the argv
Azure CLI would go on with once it has read `@file` arguments (azure-cli core's `_expand_file_prefixed_files`:
an argument, or its part after the first `=`, that starts with `@` is replaced by that file's content).
Commands the bot shows run through it in bash, in a directory of their own, with a HOME holding the files a
payload would want to read (an `az login` token cache, an SSH key)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_STUB = """#!{python}
import json, os, sys

def expand(arg):
    name, eq, value = arg.partition("=")
    value, head = (value, name + "=") if eq else (arg, "")
    if value.startswith("@") and len(value) > 1:
        try:
            with open(os.path.expanduser(value[1:]), encoding="utf-8", errors="replace") as f:
                return head + f.read()
        except OSError:
            return arg
    return arg

with open(os.environ["AZ_STUB_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "as_az_reads_it": [expand(a) for a in sys.argv[1:]]}}) + "\\n")
"""
SECRETS = {".azure/msal_token_cache.json": '{"AccessToken": "engineer-token"}', ".ssh/id_rsa": "engineer-key"}


@dataclass
class Run:
    calls: list[dict[str, list[str]]]  # one per az call: its argv, and as az would read it
    created: list[str]  # files that appeared in the working directory (a payload that ran)
    returncode: int
    stderr: str


class AzStub:
    def __init__(self, root: Path) -> None:
        self.bin, self.home, self.log = root / "bin", root / "home", root / "az-calls.jsonl"
        self.bin.mkdir(parents=True)
        for relative, content in SECRETS.items():
            (self.home / relative).parent.mkdir(parents=True, exist_ok=True)
            (self.home / relative).write_text(content)
        az = self.bin / "az"
        az.write_text(_STUB.format(python=sys.executable))
        az.chmod(0o755)
        self._root = root
        self._runs = 0

    def bash(self, line: str) -> Run:
        """`line` pasted into bash (no profile), `az` being this stub."""
        self._runs += 1
        cwd = self._root / f"run-{self._runs}"
        cwd.mkdir()
        self.log.write_text("")
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(self.home), "AZ_STUB_LOG": str(self.log),
               "LANG": "C.UTF-8"}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-c", line], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=30, check=False)
        calls = [json.loads(x) for x in self.log.read_text().splitlines() if x]
        return Run(calls, sorted(os.listdir(cwd)), done.returncode, done.stderr)
