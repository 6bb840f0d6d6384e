"""Write a PNG of every card, as Teams (light theme) shows it, to build/cards/ (`make cards`).

Cards come from tests/support/cards/gallery.py (contoso-sized and 10,000-resource fixtures). Exits non-zero
if any card has parse or validation events, so the gallery never shows a card Teams would reject.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.cards import render  # noqa: E402
from tests.support.cards.gallery import build_all  # noqa: E402


def main() -> int:
    out = ROOT / "build" / "cards"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    started = time.monotonic()
    cards = build_all()
    reports = render.render(cards, png_dir=out)
    bad = 0
    for name, report in sorted(reports.items()):
        size = len(json.dumps(cards[name]).encode())
        events = report["parseEvents"] + report["validation"] + [{"message": m} for m in report["pageErrors"]]
        bad += bool(events)
        print(f"{name:34} {size:>7,} B  {'OK' if not events else events}")
    print(f"{len(reports)} cards -> {out.relative_to(ROOT)}/ in {time.monotonic() - started:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
