"""Build the Teams app package: build/csp-migration-bot.zip.

The zip holds manifest.json, color.png and outline.png at its root (Teams rejects nested
paths). The committed manifest carries a placeholder botId; the real one comes from the
environment at build time: MicrosoftAppId (the Azure Bot's Microsoft App ID), or BOT_ID, the
deployment's output that azd puts in the environment of its hooks (azure.yaml runs this after
`azd provision`; `azd env get-values` shows it).
The manifest `version` is never bumped here: change it by hand when the manifest changes.

usage: MicrosoftAppId=<guid> .venv/bin/python tools/build_package.py [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_DIR = ROOT / "manifest"
DEFAULT_OUT = ROOT / "build" / "csp-migration-bot.zip"
# infra/main.bicep's output with the bot's app id (the managed identity's client id).
DEPLOYMENT_OUTPUT = "BOT_ID"
PLACEHOLDER_BOT_ID = "00000000-0000-0000-0000-000000000000"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class PackageError(Exception):
    """A problem the user has to fix before a package can be built."""


def bot_id_from_env(environ: Mapping[str, str]) -> str:
    value = environ.get("MicrosoftAppId", "").strip() or environ.get(DEPLOYMENT_OUTPUT, "").strip()
    if not value:
        raise PackageError(
            "MicrosoftAppId is not set. Set it to the Microsoft App ID of the Azure Bot "
            "registration (a GUID), e.g. MicrosoftAppId=1b2c3d4e-... make package; after `azd up`, "
            f"the deployment's {DEPLOYMENT_OUTPUT} output is used"
        )
    if not GUID_RE.match(value):
        raise PackageError(f"MicrosoftAppId must be a GUID like 1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901, got {value!r}")
    if value == PLACEHOLDER_BOT_ID:
        raise PackageError("MicrosoftAppId is the all-zero placeholder; use the Azure Bot's real App ID")
    return value.lower()


def build(bot_id: str, out: Path, manifest_dir: Path = MANIFEST_DIR) -> Path:
    """Write the package to `out` and return it. The manifest on disk is not modified."""
    manifest = json.loads((manifest_dir / "manifest.json").read_text(encoding="utf-8"))
    bots = manifest.get("bots") or []
    if len(bots) != 1:
        raise PackageError(f"manifest.json must declare exactly one bot, found {len(bots)}")
    bots[0]["botId"] = bot_id

    icons = manifest["icons"]
    files = {name: manifest_dir / name for name in (icons["color"], icons["outline"])}
    for name, path in files.items():
        if not path.is_file():
            raise PackageError(f"icon {name} named in manifest.json is missing: {path} (run tools/make_icons.py)")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name, path in files.items():
            zf.write(path, arcname=name)
    tmp.replace(out)  # never leave a half-written zip where Teams admins would pick it up
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        out = build(bot_id_from_env(os.environ), args.out)
    except PackageError as exc:
        print(f"build_package: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
