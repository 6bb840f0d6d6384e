"""Every card renders with the adaptivecards JS renderer (3.0.6) and the Teams light host config
without parse warnings or validation events, and shows the buttons the card declares."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cards import render
from tests.support.cards.cardwalk import buttons, toggles
from tests.support.cards.gallery import build_all

CARDS = build_all()



@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    missing = render.available()
    if missing is not None:  # a hard requirement: nothing is skipped for a missing tool
        pytest.fail(f"the cards cannot be rendered: {missing}; `make test` installs what is missing", pytrace=False)
    return render.render(CARDS)  # one Chromium launch for all cards


@pytest.mark.parametrize("name", sorted(CARDS))
def test_renders_clean(name: str, reports: dict[str, dict[str, Any]]) -> None:
    report = reports[name]
    assert report["rendered"]
    assert report["parseEvents"] == []
    assert report["validation"] == []
    assert report["pageErrors"] == []
    assert sorted(report["buttons"]) == sorted([*buttons(CARDS[name]), *(t["title"] for t in toggles(CARDS[name]))])
