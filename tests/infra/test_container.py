"""The Dockerfile, checked without Docker (this machine has no Docker daemon and cannot pull base images):
hadolint lints it; the files its COPY lines take (after .dockerignore) start the bot with the image's command;
what that code imports is installed by the image's one install step, the pinned requirements.txt.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.infra.bicep import ROOT, deployed_environment

DOCKERFILE = ROOT / "Dockerfile"
# Imported when present but not needed: the check cannot tell them from dependencies, so they are named.
OPTIONAL = {
    "pyyaml": "jsonpickle (botbuilder) tries yaml as an optional backend; the dev tools install it here",
    "setuptools": "the python base image ships it; its .pth start-up hook imports _distutils_hack",
}


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            names.add(re.split(r"==", line)[0].strip().lower().replace("_", "-"))
    return names


def _context_files() -> list[Path]:
    """Files in the build context: .dockerignore's patterns in order, the last match wins."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip() and p[0] != "#"]
    listing = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listing, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    kept = []
    for name in tracked.splitlines():
        included = True
        for pattern in patterns:
            negate = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/").removeprefix("**/")
            parts = Path(name).parts
            hit = fnmatch.fnmatch(name, bare) or any(fnmatch.fnmatch("/".join(parts[: i + 1]), bare)
                                                     for i in range(len(parts)))
            if pattern.startswith(("**/", "!**/")):
                hit = any(fnmatch.fnmatch(part, bare) for part in parts)
            if hit:
                included = negate
        if included:
            kept.append(Path(name))
    return kept


def _image_tree(destination: Path) -> Path:
    """The image's /app as the COPY instructions lay it out from the build context."""
    context = set(_context_files())
    for op, args in _instructions():
        if op != "COPY":
            continue
        *sources, target = args.split()
        for source in sources:
            root = Path(source.rstrip("/"))
            matches = [p for p in context if p == root or root in p.parents]
            assert matches, f"COPY {source}: nothing in the build context (.dockerignore keeps it out?)"
            for path in matches:
                # A directory's contents land under the target directory; a file lands in it by name.
                relative = path.relative_to(root) if path != root else Path(path.name)
                out = destination / target / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / path, out)
    return destination


def test_hadolint_finds_nothing() -> None:
    hadolint = ROOT / ".venv-infra" / "bin" / "hadolint"
    if not hadolint.exists():
        pytest.fail(f"{hadolint} is missing: run `make test` (it installs requirements-infra.txt into .venv-infra)")
    result = subprocess.run([str(hadolint), "--failure-threshold", "style", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_slim_python_311_non_root_pinned_requirements_and_the_bots_own_command() -> None:
    steps = _instructions()
    ops = [op for op, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim-bookworm")
    # The one install step installs requirements.txt, which make run/test install too.
    installs = [args for op, args in steps if op == "RUN" and "pip install" in args]
    assert installs == ["pip install --no-cache-dir -r requirements.txt"]
    assert ("COPY", "requirements.txt ./") in steps
    # A non-root user runs everything after the set-up, including the command.
    user = ops.index("USER")
    assert re.fullmatch(r"[1-9]\d{3,}", steps[user][1]), "a numeric, non-root uid"
    assert set(ops[user + 1 :]) <= {"EXPOSE", "CMD"}
    # The same entry point as `make run` (tools/run.py starts app.py), on the port the template routes to.
    assert steps[-1] == ("CMD", '["python", "app.py"]')
    assert "ROOT / \"app.py\"" in (ROOT / "tools" / "run.py").read_text(encoding="utf-8")
    env = deployed_environment()
    assert ("EXPOSE", env["PORT"]) in steps
    assert f"PORT={env['PORT']}" in dict(steps)["ENV"] and "HOST=0.0.0.0" in dict(steps)["ENV"]


def test_the_images_files_start_the_bot_and_need_only_the_pinned_requirements(tmp_path: Path) -> None:
    app = _image_tree(tmp_path / "app")
    assert not (app / "tests").exists() and not (app / ".venv").exists()
    assert (app / "migration" / "data").is_dir() and not (app / "migration" / "data" / "microsoft-docs").exists()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft", "ARM_", "APPLICATION"))}

    # Every distribution the bot's code imports is one requirements.txt pins (the image installs nothing else).
    probe = ("import json, sys, importlib.metadata as m, app; d = m.packages_distributions(); "
             "print(json.dumps(sorted({x for mod in list(sys.modules) for x in d.get(mod.split('.')[0], [])})))")
    imported = subprocess.run([sys.executable, "-c", probe], cwd=app, capture_output=True, text=True, timeout=120,
                              env={**clean, "PYTHONPATH": ""})
    assert imported.returncode == 0, imported.stderr[-2000:]
    used = {name.lower().replace("_", "-") for name in json.loads(imported.stdout.strip().splitlines()[-1])}
    unpinned = used - _requirement_names(ROOT / "requirements.txt") - set(OPTIONAL)
    assert unpinned == set(), f"the bot imports distributions the image does not install: {unpinned}"

    # The image's command in the image's tree answers the health probe.
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    bot = subprocess.Popen([sys.executable, "app.py", "--sandbox"], cwd=app, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           env={**clean, "PYTHONPATH": "", "HOST": "127.0.0.1", "PORT": str(port)})
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline and bot.poll() is None and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
            except OSError:
                time.sleep(0.2)
        assert health is not None and health["storage"] == "reachable", "the image's files did not start the bot"
    finally:
        bot.terminate()
        output, _ = bot.communicate(timeout=20)
    assert "Traceback" not in output, output[-2000:]
