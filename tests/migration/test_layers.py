"""The domain (`migration/`) imports neither the Bot Framework nor storage code: it can be read, tested and
reused without either."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MIGRATION = Path(__file__).resolve().parents[2] / "migration"
FORBIDDEN = ("botbuilder", "botframework", "storage", "bot", "dialogs", "cards", "app")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(MIGRATION.rglob("*.py")), ids=lambda p: str(p.relative_to(MIGRATION)))
def test_the_domain_imports_no_edge_or_storage_code(path: Path) -> None:
    assert _imports(path) & set(FORBIDDEN) == set()
