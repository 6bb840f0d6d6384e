"""`python app.py --sandbox` as a user starts it: its own process, the embedded sandbox, a clear log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_app_py_sandbox_serves_and_says_it_runs_on_the_sandbox(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft", "ARM_"))}
    env.update({"PORT": str(port), "STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})
    bot = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--sandbox"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while health is None and time.monotonic() < deadline and bot.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
            except OSError:
                time.sleep(0.2)
        assert health == {"version": health["version"], "storage": "reachable", "sandbox": True}
    finally:
        bot.terminate()
        output, _ = bot.communicate(timeout=20)
    assert "running on the built-in sandbox tenant (contoso.onmicrosoft.com)" in output
    assert f"listening on http://127.0.0.1:{port}/api/messages" in output
    assert bot.returncode in (0, -15)
