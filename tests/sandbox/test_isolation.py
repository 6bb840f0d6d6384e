"""The sandbox plays Azure from its own facts: while it serves a whole move check it imports none of the bot's
modules and opens none of the bot's files (a sandbox that read the bot's rules could only agree with them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOT = ("migration", "bot", "dialogs", "cards", "storage", "app", "settings")
CONTOSO = "0c0a7050-0000-4000-8000-000000000001"
PAYG = "0c0a7050-5ab1-4000-8000-000000000001"
CSP = "0c0a7050-c5b1-4000-8000-000000000002"

# Runs in a fresh interpreter: an audit hook sees every file opened, sys.modules every module imported.
PROBE = r"""
import asyncio, json, ssl, sys
from pathlib import Path

REPO, BOT = Path(sys.argv[1]), tuple(sys.argv[2].split(","))
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and args and
                 isinstance(args[0], (str, Path)) else None)

import aiohttp
from sandbox import start_sandbox

TENANT, PAYG, CSP = sys.argv[3:6]
H = {"Authorization": f"Bearer sandbox.{TENANT}"}
API = {"api-version": "2021-04-01"}


async def main():
    answers = {}
    async with start_sandbox("contoso", lro_seconds=0.05, poll_interval=0.01, throttle=False) as sb:
        ctx = ssl.create_default_context(cafile=str(sb.ca_path))
        async with aiohttp.ClientSession(sb.url, connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            async with http.post("/providers/Microsoft.ResourceGraph/resources", params={"api-version": "2021-03-01"},
                                 headers=H, json={"subscriptions": [PAYG], "query": "Resources | project id"}) as r:
                answers["graph"] = (await r.json())["totalRecords"]
            async with http.get(f"/subscriptions/{CSP}/providers", params=API, headers=H) as r:
                answers["providers"] = r.status
            for group in ("rg-platform", "rg-vm-app"):
                async with http.put(f"/subscriptions/{CSP}/resourceGroups/{group}", params=API, headers=H,
                                    json={"location": "westeurope"}) as r:
                    assert r.status in (200, 201), r.status
                async with http.get(f"/subscriptions/{PAYG}/resourceGroups/{group}/resources", params=API,
                                    headers=H) as r:
                    ids = [x["id"] for x in (await r.json())["value"] if x["id"].count("/providers/") == 1
                           and len(x["id"].split("/providers/")[1].split("/")) == 3]
                body = {"resources": ids, "targetResourceGroup": f"/subscriptions/{CSP}/resourceGroups/{group}"}
                async with http.post(f"/subscriptions/{PAYG}/resourceGroups/{group}/validateMoveResources",
                                     params=API, headers=H, json=body) as r:
                    location = r.headers["Location"]
                while True:
                    await asyncio.sleep(0.03)
                    async with http.get(location, headers=H) as r:
                        if r.status != 202:
                            answers[group] = [r.status, await r.text()]
                            break
    return answers


answers = asyncio.run(main())
modules = sorted(m for m in sys.modules if m.split(".")[0] in BOT)
files = sorted({p for p in opened if any(Path(p).resolve().is_relative_to(REPO / d) or
                                          Path(p).resolve() == REPO / f"{d}.py" for d in BOT)})
print(json.dumps({"modules": modules, "files": files, "answers": answers}))
"""


def test_the_sandbox_reads_nothing_of_the_bot_while_it_decides_a_move() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, str(REPO), ",".join(BOT), CONTOSO, PAYG, CSP],
                         cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["modules"] == []
    assert report["files"] == []
    answers = report["answers"]
    # It did decide, from its own facts: an AKS cluster cannot change subscription, a plain VM group can.
    assert answers["graph"] == 60 and answers["providers"] == 200
    assert answers["rg-platform"][0] == 409 and "managedClusters" in answers["rg-platform"][1]
    assert answers["rg-vm-app"] == [204, ""]


def test_the_sandbox_sources_name_none_of_the_bot() -> None:
    for path in (REPO / "sandbox").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in ("migration", "cards", "dialogs", "storage"):
            assert f"from {name}" not in text and f"import {name}" not in text, (path, name)
        assert "migration/" not in text, path
