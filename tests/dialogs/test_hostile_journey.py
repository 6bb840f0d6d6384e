"""The whole journey on a customer's Azure whose every free-text field is hostile (sandbox scenario
`hostile`: shell, Markdown and spreadsheet-formula payloads in names, tags, lock notes, role assignments'
descriptions and conditions, subscription names and Azure's errors), over real HTTP to /api/messages: attach,
assess, blockers, plan, approval, move, final report, every export. Every command the bot shows (cards and
exports) is run in bash with `az` stubbed and read as PowerShell would: no payload runs, each argument arrives
as Azure holds it. No card carries a link the bot did not put there; no CSV cell is a formula to LibreOffice."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from sandbox.state import load_scenario
from tests.support import teams
from tests.support.cardtools import buttons, click, text_of, wait_update
from tests.support.fixbot import running_fix_bot
from tests.support.untrusted import (
    BOT_LINK_HOSTS,
    FORMULA_STARTS,
    Shown,
    card_commands,
    csv_commands,
    foreign_links,
    json_commands,
    markdown_commands,
    option_values,
    rendered_links,
    run_all,
    spreadsheet_cells,
)

pytestmark = pytest.mark.http

SCENARIO = load_scenario("hostile")
TENANT = SCENARIO["tenants"][0]
DOMAIN = TENANT["domains"][0]
SOURCE, TARGET = SCENARIO["subscriptions"]
GROUPS = [g["name"] for g in SOURCE["resourceGroups"]]
LOCKED, DOTTED, DASHED, REFUSED = GROUPS
MARKERS = ("/tmp/pwned-dq", "/tmp/pwned-sub", "/tmp/pwned-tick", "/tmp/pwned-sq", "/tmp/pwned-ps",
           "/tmp/pwned-desc", "/tmp/pwned-cond", "/tmp/pwned-err", "/tmp/pwned-refused")


def _group(name: str) -> dict[str, Any]:
    return next(g for g in SOURCE["resourceGroups"] if g["name"] == name)


async def _journey(bot: Any, connector: Any) -> tuple[dict[str, dict[str, Any]], dict[str, str], str]:
    """Every card of the journey by name, every export by name, and the base of the bot's report links."""
    cards: dict[str, dict[str, Any]] = {}
    exports: dict[str, str] = {}

    async def get(url: str) -> str:
        path = "/reports/" + url.split("/reports/", 1)[1]
        async with bot.session.get(f"{bot.url}{path}") as response:
            assert response.status == 200, url
            return await response.text()

    await bot.post(teams.message(f"attach {DOMAIN}", connector.url))
    await connector.wait_for(1)
    cards["attach"] = connector.cards()[-1]

    await bot.post(teams.message(f"assess {DOMAIN} {SOURCE['id']}", connector.url))
    summary = await wait_update(connector, "Assessment:", timeout=60)
    cards["assessment summary"] = summary
    csv_url = next(a for a in _links(summary) if a.endswith(".csv"))
    exports["assessment.csv"] = await get(csv_url)
    exports["assessment.json"] = await get(csv_url.removesuffix(".csv") + ".json")
    cards["blockers"] = await click(bot, connector, buttons(summary)["Show blockers"])

    connector.clear()
    await bot.post(teams.message("move", connector.url))
    await bot.post(teams.message(DOMAIN, connector.url))
    await connector.wait_for(2)
    cards["source picker"] = connector.cards()[-1]
    cards["target picker"] = await click(bot, connector, buttons(cards["source picker"])["Continue"],
                                         subscriptionId=SOURCE["id"])
    await click(bot, connector, buttons(cards["target picker"])["Continue"], targetSubscriptionId=TARGET["id"])
    cards["group picker"] = await wait_update(connector, "Which resource groups?")
    cards["create groups"] = await click(bot, connector, buttons(cards["group picker"])["Continue"],
                                         groups=",".join(GROUPS))
    connector.updated.clear()
    await click(bot, connector, buttons(cards["create groups"])["Create groups and run dry run"])
    cards["plan"] = await wait_update(connector, "Move plan MR-", timeout=90)

    connector.clear()
    cards["approval (requester)"] = await click(bot, connector, buttons(cards["plan"])["Ask for approval"])
    request_id = buttons(cards["approval (requester)"])["Cancel request"]["data"]["requestId"]
    cards["approval (approver)"] = await click(bot, connector, {"verb": "request.refresh",
                                                                "data": {"requestId": request_id}},
                                               user=teams.APPROVER)
    await click(bot, connector, {"verb": "request.approve", "data": {"requestId": request_id}}, user=teams.APPROVER)
    deadline = asyncio.get_running_loop().time() + 120
    while not any(f"Move {request_id}: partly moved" in text_of(c) for c in connector.cards()):
        assert asyncio.get_running_loop().time() < deadline, [text_of(c)[:200] for c in connector.cards()]
        await asyncio.sleep(0.3)
    cards["final report"] = next(c for c in connector.cards() if f"Move {request_id}: partly moved" in text_of(c))
    url = buttons(cards["final report"])["Download the move report (CSV)"]["url"]
    for kind in ("csv", "json", "md"):
        exports[f"move.{kind}"] = await get(url.removesuffix(".csv") + f".{kind}")
    cards["status"] = await click(bot, connector, {"verb": "request.status", "data": {"requestId": request_id}})
    return cards, exports, url.rsplit("/", 1)[0]


def _links(card: dict[str, Any]) -> list[str]:
    return re.findall(r"\]\((https?://[^)]+)\)", json.dumps(card))


def _every_command(cards: dict[str, dict[str, Any]], exports: dict[str, str]) -> list[Shown]:
    shown = [s for name, card in cards.items() for s in card_commands(name, card)]
    shown += csv_commands("assessment.csv", exports["assessment.csv"],
                          [("fix_command", "fix_command_powershell"),
                           ("after_move_command", "after_move_command_powershell")])
    shown += csv_commands("move.csv", exports["move.csv"], [("command", "command_powershell")])
    shown += json_commands("assessment.json", json.loads(exports["assessment.json"]))
    shown += json_commands("move.json", json.loads(exports["move.json"]))
    shown += markdown_commands("move.md", exports["move.md"])
    return shown


@pytest.fixture
async def hostile(tmp_path: Path, sandbox_factory: Any, connector: Any) -> Any:
    for marker in MARKERS:
        Path(marker).unlink(missing_ok=True)
    async with running_fix_bot(tmp_path, sandbox_factory, SCENARIO) as running:
        yield await _journey(running.bot, connector)


async def test_no_payload_runs_and_every_argument_arrives_as_azure_holds_it(hostile, tmp_path: Path) -> None:
    cards, exports, _ = hostile
    shown = _every_command(cards, exports)
    places = {s.where.split(":")[0] for s in shown}
    assert {"blockers", "final report", "assessment.csv", "assessment.json", "move.csv", "move.json",
            "move.md"} <= places, places
    ran = run_all(shown, tmp_path / "az")
    assert [m for m in MARKERS if Path(m).exists()] == [], "a payload ran"

    lock = _group(LOCKED)["locks"][0]
    tags = _group(LOCKED)["tags"]
    assignments = TENANT["roleAssignments"]
    notes = option_values(ran, "--notes")
    assert notes and set(notes) == {lock["notes"]}, "the lock's notes, whole, and never the @file one"
    assert set(option_values(ran, "--name")) >= {lock["name"]}
    assert option_values(ran, "--tags"), "the tags command"
    tagged = [argv for r in ran for argv in r.argv if argv[:2] == ["group", "update"]]
    assert tagged and all(argv[argv.index("--tags") + 1:] == [f"{k}={v}" for k, v in sorted(tags.items())]
                          for argv in tagged), "each tag one argument, key=value as Azure holds them"
    assert set(option_values(ran, "--description")) == {a["description"] for a in assignments}
    assert set(option_values(ran, "--condition")) == {assignments[0]["condition"]}
    action_group = _group(LOCKED)["resources"][1]["name"]  # @ag"; touch pwned-ag; ...
    ids = option_values(ran, "--ids", "--scope", "--resource")
    assert any(i.endswith("/actionGroups/" + action_group) for i in ids), "the hostile name, as one argument"
    withheld = [s for s in shown if s.posix.startswith("# No command:")]
    assert withheld, "the lock whose notes start with @ (az would read that file) has no command"
    assert any("Azure CLI reads as the name of a file" in text_of(c) for c in cards.values())


async def test_no_card_carries_a_link_the_bot_did_not_put_there(hostile) -> None:
    cards, _, report_base = hostile
    own = (report_base,)
    found = {name: foreign_links(card, own) for name, card in cards.items()}
    assert {n: f for n, f in found.items() if f} == {}
    # Rendered as Teams would (Adaptive Cards' renderer, Markdown with bare URLs made links): every <a href> ours.
    rendered = rendered_links(cards)
    assert {n: [h for h in hrefs if not h.startswith((*BOT_LINK_HOSTS, report_base))]
            for n, hrefs in rendered.items()} == {n: [] for n in rendered}
    seen = "\n".join(text_of(c) for c in cards.values())
    assert "[Re-consent the bot here](https://example.invalid/consent)" in seen, "shown as the characters it is"


async def test_no_csv_cell_is_a_formula(hostile, tmp_path: Path) -> None:
    _, exports, _ = hostile
    for name in ("assessment.csv", "move.csv"):
        rows = list(csv.reader(io.StringIO(exports[name])))
        assert all(not cell.startswith(FORMULA_STARTS) for row in rows for cell in row), name
        risky = [c for row in rows for c in row if c[1:2] and c.startswith("'") and c[1] in "=+-@\uff1d\uff0b\uff20"]
        assert risky, f"{name} holds the payloads, escaped"
        cells = spreadsheet_cells(exports[name], tmp_path / name)
        assert [c for c in cells if c[0] is not None] == [], f"{name}: LibreOffice computed a formula"
        texts = {t for _, t in cells}
        assert set(risky) <= texts, "each escaped cell reads back as its text"
