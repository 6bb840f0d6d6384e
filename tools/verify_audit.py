"""Check an audit export of the CSP migration bot, without the bot: `python -m tools.verify_audit FILE`.

The file is JSON Lines: a manifest first, then entries. Each entry names its chain, its place in it (`seq`,
from 1), the hash of the entry before it (`prev`; 64 zeros for the first) and its own `hash`, the SHA-256 of
the entry's canonical JSON without `hash` (keys sorted, no white space between tokens, UTF-8). This file
uses the Python standard library only, so an auditor can read it whole and run it anywhere. It reports an
entry that was edited (its hash), removed or reordered (the places and links), and a chain whose count or
newest hash is not the manifest's; compare the manifest's heads with those the bot showed when it made the
export. Exit status: 0 when the file checks out, 1 when it does not, 2 when it cannot be read.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


@dataclass
class Verdict:
    entries: int = 0
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)  # chain -> {"entries", "head"} as found
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(lines: Iterable[str]) -> Verdict:
    verdict = Verdict()
    manifest: dict[str, Any] | None = None
    found: dict[str, tuple[int, str]] = {}  # chain -> (last seq, last hash)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            verdict.problems.append(f"line {number}: not JSON")
            continue
        if number == 1 and isinstance(value, dict) and "manifest" in value:
            manifest = value["manifest"]
            continue
        if not isinstance(value, dict) or not isinstance(value.get("chain"), str):
            verdict.problems.append(f"line {number}: not an audit entry")
            continue
        verdict.entries += 1
        chain, seq, prev = value["chain"], value.get("seq"), value.get("prev")
        last_seq, last_hash = found.get(chain, (0, GENESIS))
        where = f"line {number} ({chain} #{seq})"
        if entry_hash(value) != value.get("hash"):
            verdict.problems.append(f"{where}: its content does not match its hash (edited)")
        if seq != last_seq + 1:
            verdict.problems.append(f"{where}: expected entry #{last_seq + 1} here (an entry removed or moved)")
        if prev != last_hash:
            verdict.problems.append(f"{where}: does not follow the entry before it (an entry removed, moved or "
                                    "edited before it)")
        found[chain] = (seq if isinstance(seq, int) else last_seq + 1, str(value.get("hash")))
    verdict.heads = {c: {"entries": s, "head": h} for c, (s, h) in found.items()}
    if manifest is None:
        verdict.problems.append("line 1: no manifest")
        return verdict
    stated = manifest.get("chains") or {}
    for chain, head in stated.items():
        got = verdict.heads.get(chain)
        if got is None:
            verdict.problems.append(f"{chain}: in the manifest, but none of its entries are in the file")
        elif got != head:
            verdict.problems.append(f"{chain}: the manifest says {head['entries']} entries ending {head['head'][:12]}, "
                                    f"the file has {got['entries']} ending {got['head'][:12]} (entries removed or "
                                    "added at the end)")
    for chain in set(verdict.heads) - set(stated):
        verdict.problems.append(f"{chain}: entries of a chain the manifest does not list")
    if manifest.get("entries") != verdict.entries:
        verdict.problems.append(f"the manifest says {manifest.get('entries')} entries, the file has {verdict.entries}")
    return verdict


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.verify_audit FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as file:
            verdict = verify(file)
    except OSError as error:
        print(f"cannot read {argv[0]}: {error.strerror}", file=sys.stderr)
        return 2
    for problem in verdict.problems:
        print(f"TAMPERED: {problem}")
    if verdict.ok:
        print(f"OK: {verdict.entries} entries in {len(verdict.heads)} chains, each linked and unaltered")
        for chain, head in verdict.heads.items():
            print(f"  {chain}: {head['entries']} entries, head {head['head']}")
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
