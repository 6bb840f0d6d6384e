"""Run tools/render_cards.js: every card in one Chromium page, a report per card, PNGs on request."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "tools" / "render_cards.js"
HOST_CONFIG = Path(__file__).with_name("microsoft-teams-light.json")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def available() -> str | None:
    """Why rendering cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}"
    if not (ROOT / "node_modules" / "adaptivecards").is_dir():
        return "node_modules/adaptivecards is missing (npm ci)"
    return None


def render(cards: dict[str, dict[str, Any]], png_dir: Path | None = None, *,
           linkify: bool = False) -> dict[str, dict[str, Any]]:
    """`linkify`: bare URLs and e-mail addresses become links, as Teams makes them."""
    with tempfile.TemporaryDirectory(prefix="cards-") as tmp:
        path = Path(tmp) / "cards.json"
        path.write_text(json.dumps([{"name": n, "card": c} for n, c in cards.items()]))
        cmd = ["node", str(SCRIPT), str(path), "--host", str(HOST_CONFIG)]
        if png_dir is not None:
            cmd += ["--png", str(png_dir)]
        if linkify:
            cmd.append("--linkify")
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"render_cards.js failed ({done.returncode}): {done.stderr[-2000:]}")
    return {r["name"]: r for r in json.loads(done.stdout)}
