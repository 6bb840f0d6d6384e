"""The domain's types hold: mypy, strict on `migration/` (its settings in pyproject.toml), finds nothing, and no
`# type: ignore` in the product goes without its reason beside it. `make lint` runs the same check."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("app.py", "settings.py", "telemetry.py", "bot", "cards", "dialogs", "migration", "storage", "workers")


def test_mypy_strict_finds_nothing_in_the_domain(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_every_type_ignore_says_why() -> None:
    bare = re.compile(r"#\s*type:\s*ignore(\[[^\]]*\])?\s*$")
    found = []
    for name in PRODUCT:
        for path in [ROOT / name] if name.endswith(".py") else sorted((ROOT / name).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                # The reason stands after the ignore, or as the comment line just above its statement.
                above = lines[number - 2].strip() if number > 1 else ""
                if bare.search(line) and not above.startswith("#"):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == [], "a `# type: ignore` needs its reason next to it"
