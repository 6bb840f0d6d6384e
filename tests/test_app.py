"""`python app.py --sandbox` as a user starts it: its own process, the embedded sandbox, a clear log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _start(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen[str], int]:
    """`python app.py --sandbox` on a free port with a clean environment; returns once /healthz answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft", "ARM_"))}
    env.update({"PORT": str(port), "STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}", **extra})
    bot = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--sandbox"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and bot.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    return bot, port


def _stop(bot: subprocess.Popen[str]) -> str:
    bot.terminate()
    output, _ = bot.communicate(timeout=20)
    return output


def test_app_py_sandbox_serves_and_says_it_runs_on_the_sandbox(tmp_path: Path) -> None:
    bot, port = _start(tmp_path)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            health = json.loads(response.read())
        assert health == {"version": health["version"], "storage": "reachable", "sandbox": True}
    finally:
        output = _stop(bot)
    assert "running on the built-in sandbox tenant (contoso.onmicrosoft.com)" in output
    assert f"listening on http://127.0.0.1:{port}/api/messages" in output
    assert bot.returncode in (0, -15)


def test_secrets_never_reach_the_log(tmp_path: Path) -> None:
    secret, azure_secret = "Bot-Pa55word-never-logged", "Azure-Cl1ent-Secret-never-logged"
    bot, port = _start(
        tmp_path,
        MicrosoftAppId="3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        MicrosoftAppPassword=secret,
        AZURE_CLIENT_SECRET=azure_secret,
        AZURE_CREDENTIAL="sandbox",
        ALLOWED_TENANT_IDS="72f988bf-86f1-41af-91ab-2d7cd011db47",
        ENGINEER_IDS="00000000-0000-0000-0000-00000000a001",
    )
    activity = {"type": "message", "text": "help", "serviceUrl": "http://127.0.0.1:1", "conversation": {"id": "a:x"}}
    try:
        for token in ("", "Bearer not.a.jwt", f"Bearer {secret}"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/messages",
                method="POST",
                data=json.dumps(activity).encode(),
                headers={"Content-Type": "application/json", **({"Authorization": token} if token else {})},
            )
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except urllib.error.HTTPError as refused:
                assert refused.code == 401
    finally:
        output = _stop(bot)
    assert "refused a request" in output, "the refusals are logged (without the token)"
    assert secret not in output and azure_secret not in output
