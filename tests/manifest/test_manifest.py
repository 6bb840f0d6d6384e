"""The Teams app manifest, its icons and the app package that Teams admins upload.

Validation is offline: the schema comes from the npm package @microsoft/app-manifest in
node_modules (the same files the Teams toolkit CLIs use), never from the network.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = ROOT / "manifest"
SCHEMA_ROOT = ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
BUILD_SCRIPT = ROOT / "tools" / "build_package.py"
BOT_ID = "1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901"
ALL_COMMANDS = {"help", "attach", "assess", "move", "status", "history", "cancel", "approvals here"}


def load_manifest(path: Path = MANIFEST_DIR / "manifest.json") -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def schema_dir(version: str) -> Path:
    if not SCHEMA_ROOT.is_dir():
        pytest.fail(
            f"Teams manifest schemas not found at {SCHEMA_ROOT}. Run `npm ci` in {ROOT} "
            "(package.json pins @microsoft/app-manifest)."
        )
    return SCHEMA_ROOT / ("vDevPreview" if version == "devPreview" else f"v{version}")


def validator_for(manifest: dict[str, Any]) -> jsonschema.Draft4Validator:
    path = schema_dir(manifest["manifestVersion"]) / "MicrosoftTeams.schema.json"
    assert path.is_file(), f"no schema for manifestVersion {manifest['manifestVersion']!r} at {path}"
    schema = json.loads(path.read_text(encoding="utf-8-sig"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    errors = sorted(validator_for(manifest).iter_errors(manifest), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors]


def newest_schema_version() -> str:
    schema_dir("1.0")  # fails clearly when node_modules is missing
    versions = [p.name[1:] for p in SCHEMA_ROOT.iterdir() if re.fullmatch(r"v\d+\.\d+", p.name)]
    return max(versions, key=lambda v: tuple(int(x) for x in v.split(".")))


# --------------------------------------------------------------------------- manifest


def test_manifest_is_valid_against_the_bundled_teams_schema() -> None:
    assert schema_errors(load_manifest()) == []


def test_manifest_uses_the_newest_schema_and_names_it_consistently() -> None:
    manifest = load_manifest()
    newest = newest_schema_version()
    assert manifest["manifestVersion"] == newest
    # Draft-04 ignores the schema's `const` on manifestVersion, so check the $schema URL ourselves.
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/en-us/json-schemas/teams/v{newest}/MicrosoftTeams.schema.json"
    )


def test_validator_rejects_a_broken_manifest() -> None:
    broken = copy.deepcopy(load_manifest())
    broken["bots"][0]["scopes"] = ["personal", "groupchat"]  # Teams spells it groupChat
    broken["name"]["short"] = "CSP Migration for Azure customers"  # 33 > 30 characters
    errors = schema_errors(broken)
    assert any(e.startswith("/bots/0/scopes/1:") and "groupchat" in e for e in errors), errors
    assert any(e.startswith("/name/short:") for e in errors), errors


def test_bot_is_conversational_in_every_scope_with_our_commands() -> None:
    (bot,) = load_manifest()["bots"]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["isNotificationOnly"] is False
    by_scope = {scope: cl["commands"] for cl in bot["commandLists"] for scope in cl["scopes"]}
    assert set(by_scope) == {"personal", "team", "groupChat"}
    for scope, commands in by_scope.items():
        titles = [c["title"] for c in commands]
        assert len(titles) == len(set(titles)), f"duplicate command in {scope}: {titles}"
        assert all(c.get("description", "").strip() for c in commands), f"command without description in {scope}"
        assert set(titles) <= ALL_COMMANDS, f"unknown command in {scope}: {set(titles) - ALL_COMMANDS}"
    # Approvals are routed to a team channel or group chat; a personal chat has no approvers.
    assert {c["title"] for c in by_scope["team"]} == ALL_COMMANDS
    assert {c["title"] for c in by_scope["groupChat"]} == ALL_COMMANDS
    assert {c["title"] for c in by_scope["personal"]} == ALL_COMMANDS - {"approvals here"}


def test_committed_bot_id_is_the_placeholder_filled_at_package_time() -> None:
    (bot,) = load_manifest()["bots"]
    assert bot["botId"] == "00000000-0000-0000-0000-000000000000"


# --------------------------------------------------------------------------- icons


def test_icons_have_the_sizes_teams_requires() -> None:
    icons = load_manifest()["icons"]
    with Image.open(MANIFEST_DIR / icons["color"]) as color:
        assert (color.format, color.size) == ("PNG", (192, 192))
        # Solid background: no transparent pixel in the colour icon.
        assert color.convert("RGBA").getchannel("A").getextrema() == (255, 255)
    with Image.open(MANIFEST_DIR / icons["outline"]) as outline:
        assert (outline.format, outline.size) == ("PNG", (32, 32))


def test_outline_icon_is_white_on_transparent() -> None:
    with Image.open(MANIFEST_DIR / load_manifest()["icons"]["outline"]) as img:
        rgba = img.convert("RGBA")
    pixels = list(rgba.getdata())
    not_white = [(i % 32, i // 32, p) for i, p in enumerate(pixels) if p[3] > 0 and p[:3] != (255, 255, 255)]
    assert not_white == [], f"outline pixels with alpha > 0 must be pure white; first: {not_white[:5]}"
    transparent = sum(1 for p in pixels if p[3] == 0)
    opaque = sum(1 for p in pixels if p[3] == 255)
    # A glyph, not a blank or a filled square.
    assert 0.25 * len(pixels) < transparent < 0.85 * len(pixels), transparent
    assert opaque > 0.10 * len(pixels), opaque


def test_committed_icons_match_the_icon_script(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_icons.py"), str(tmp_path)], check=True)
    for name in ("color.png", "outline.png"):
        with Image.open(tmp_path / name) as fresh, Image.open(MANIFEST_DIR / name) as committed:
            assert fresh.mode == committed.mode and fresh.tobytes() == committed.tobytes(), (
                f"{name} differs from tools/make_icons.py output; rerun the script and commit the icons"
            )


# --------------------------------------------------------------------------- package


def run_build(tmp_path: Path, app_id: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MicrosoftAppId"}
    if app_id is not None:
        env["MicrosoftAppId"] = app_id
    return subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--out", str(tmp_path / "pkg.zip")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_package_has_the_three_files_at_the_root_and_the_bot_id_filled(tmp_path: Path) -> None:
    before = (MANIFEST_DIR / "manifest.json").read_bytes()
    result = run_build(tmp_path, BOT_ID.upper())
    assert result.returncode == 0, result.stderr

    with zipfile.ZipFile(tmp_path / "pkg.zip") as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(zf.read("manifest.json"))
        icons = {name: zf.read(name) for name in ("color.png", "outline.png")}

    assert packaged["bots"][0]["botId"] == BOT_ID
    assert schema_errors(packaged) == []
    # Only the bot id changes; everything else ships as committed.
    expected = load_manifest()
    expected["bots"][0]["botId"] = BOT_ID
    assert packaged == expected
    for name, data in icons.items():
        assert data == (MANIFEST_DIR / name).read_bytes()
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "PNG"
    assert (MANIFEST_DIR / "manifest.json").read_bytes() == before, "build must not edit the committed manifest"


@pytest.mark.parametrize(
    ("app_id", "message"),
    [
        (None, "MicrosoftAppId is not set"),
        ("", "MicrosoftAppId is not set"),
        ("not-a-guid", "must be a GUID"),
        ("00000000-0000-0000-0000-000000000000", "placeholder"),
    ],
)
def test_package_build_refuses_a_missing_or_bad_app_id(tmp_path: Path, app_id: str | None, message: str) -> None:
    result = run_build(tmp_path, app_id)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "pkg.zip").exists()
