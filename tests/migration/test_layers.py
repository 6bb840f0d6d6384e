"""The layers: the domain (`migration/`, its application services included) imports neither a Teams SDK nor
storage, edge or card code, and the chat flows (`dialogs/`) no Teams SDK: both depend on the edge port
(`bot/port.py`), so a second edge can be put behind it without touching them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = ROOT / "migration"
SDKS = ("botbuilder", "botframework", "msrest", "microsoft_agents")
FORBIDDEN = (*SDKS, "storage", "bot", "dialogs", "cards", "app")
# The two Teams edges: the only modules of bot/ that know an SDK's types, each its own SDK only.
EDGE = {"bot/adapter.py": {"botbuilder", "botframework", "msrest"},
        "bot/teams_edge.py": {"botbuilder", "botframework", "msrest"},
        "bot/agents_edge.py": {"microsoft_agents"}}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", sorted(MIGRATION.rglob("*.py")), ids=lambda p: str(p.relative_to(MIGRATION)))
def test_the_domain_imports_no_edge_or_storage_code(path: Path) -> None:
    assert _imports(path) & set(FORBIDDEN) == set()


@pytest.mark.parametrize("path", _modules("dialogs", "bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_edge_knows_the_teams_sdk(path: Path) -> None:
    sdk = EDGE.get(str(path.relative_to(ROOT)))
    if sdk is not None:
        assert _imports(path) & set(SDKS), "the edge is where the SDK is"
        assert _imports(path) & set(SDKS) <= sdk, "an edge knows one SDK"
    else:
        assert _imports(path) & set(SDKS) == set(), "above the port: the flows and the bot's own parts"


def test_the_flows_reach_azure_and_the_store_only_through_the_application() -> None:
    for path in _modules("dialogs"):
        assert _imports(path) & {"storage", "workers"} == set(), path.name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in modules if m.startswith(("migration.azure.gateway", "migration.assessment.assess"))}, \
            path.name


# The domain's packages, inner first (the docstring of `migration/__init__.py` says what each holds).
DOMAIN_ORDER = ("model", "azure", "assessment", "fixes", "planning", "reports", "execution", "application")


def _domain_imports(path: Path) -> set[str]:
    """The domain packages `path` imports (`migration.<package>...`, relative imports resolved)."""
    package = path.relative_to(MIGRATION).parts[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [f"migration.{package}"]
            elif node.level == 2:
                names = [f"migration.{node.module}" if node.module else "migration"]
            elif node.module:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "migration" and len(parts) > 1 and parts[1] in DOMAIN_ORDER:
                found.add(parts[1])
    return found


def test_every_domain_package_is_in_the_order() -> None:
    packages = {p.name for p in MIGRATION.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(DOMAIN_ORDER)
    assert not [p.name for p in MIGRATION.glob("*.py") if p.name != "__init__.py"], "no flat modules in migration/"


@pytest.mark.parametrize("path", sorted(p for p in MIGRATION.rglob("*.py") if p.parent != MIGRATION),
                         ids=lambda p: str(p.relative_to(MIGRATION)))
def test_a_domain_package_imports_only_packages_before_it(path: Path) -> None:
    package = path.relative_to(MIGRATION).parts[0]
    allowed = set(DOMAIN_ORDER[: DOMAIN_ORDER.index(package) + 1])
    assert _domain_imports(path) - allowed == set(), f"{package} may import only {sorted(allowed)}"
