"""Every fact in the repository names a public source: no file cites notes or design papers that are not
in the repository (a reader of the code could not open them)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Names of papers kept outside the repository; a citation of one is a dead end for a reader.
OUTSIDE = re.compile(r"\.\./shared|/work/shared|\bshared notes|\barm\.md\b|notes/(arm|domain|teams-bot|tooling)\.md"
                     r"|\bDESIGN\.md|\bdomain\.md\b")


def test_no_file_cites_a_paper_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = []
    for name in tracked.splitlines():
        path = ROOT / name
        if name == "tests/test_sources.py" or path.suffix not in {".py", ".md", ".json", ".yml", ".yaml", ".toml",
                                                                   ".bicep", ".txt", ""}:
            continue
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{name}:{number}: {line.strip()[:100]}")
    assert found == []
