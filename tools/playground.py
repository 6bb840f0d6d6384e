"""Run the Microsoft 365 Agents Playground (the local Teams-like web chat) against the bot.

The Playground listens on loopback only (tools/loopback.cjs: the package itself binds every
interface and has no --host flag), never opens a browser, sends no telemetry, and reads the
mock Teams tenant, users, chats and team from .m365agentsplayground.yml at the repo root.
Its own console output goes to a log file (default build/m365agentsplayground.log), not stdout.

The bot must run with an empty MicrosoftAppId: the Playground sends no Authorization header.

usage: .venv/bin/python tools/playground.py [--endpoint URL] [--port N] [--log PATH]
                                            [--config PATH] [--current-user NAME]
  --endpoint  bot messaging endpoint (env BOT_ENDPOINT, default http://127.0.0.1:3978/api/messages)
  --port      Playground port (env PLAYGROUND_PORT, default 56150); if it is busy the Playground
              picks another one, and this script prints the address it really uses
Runs in the foreground until SIGINT/SIGTERM, then stops the Playground.

Python API (tests/support/playground.py, tools/run.py):
  pg = start(endpoint, port=..., log_file=..., current_user=None); pg.url; pg.port; pg.stop()
  process, url = start_playground(endpoint, port=56150)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".m365agentsplayground.yml"
CLI = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
LOOPBACK = ROOT / "tools" / "loopback.cjs"
DEFAULT_PORT = 56150
DEFAULT_ENDPOINT = "http://127.0.0.1:3978/api/messages"
DEFAULT_LOG = ROOT / "build" / "m365agentsplayground.log"


class PlaygroundError(RuntimeError):
    """The Playground could not be started; the message carries its output and log tail."""


def node() -> str:
    path = shutil.which("node")
    if not path:
        raise PlaygroundError("node is not on PATH; the Agents Playground is a Node.js program (Node 20+)")
    return path


def check_installed() -> None:
    if not CLI.is_file():
        raise PlaygroundError(f"Agents Playground not installed ({CLI} missing); run `npm ci` in {ROOT}")


def load_config(path: Path = CONFIG) -> dict[str, Any]:
    """Parse the Playground config with the npm `yaml` package (the venv has no YAML parser)."""
    check_installed()
    script = (
        "const fs = require('fs'); const yaml = require('yaml');"
        "process.stdout.write(JSON.stringify(yaml.parse(fs.readFileSync(process.argv[1], 'utf8'))))"
    )
    out = subprocess.run([node(), "-e", script, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise PlaygroundError(f"cannot parse {path}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def config_for_user(current_user: str, out: Path, base: Path = CONFIG) -> Path:
    """Write a copy of the config in which `current_user` (a display name) is the person typing.

    The Playground has one current user per process; an approver's view needs its own instance.
    The previous current user takes the chosen user's place in `users` (the schema wants exactly 5).
    JSON is valid YAML, so the copy is written as JSON.
    """
    cfg = load_config(base)
    people = [cfg["currentUser"], *cfg["users"]]
    chosen = next((p for p in people if p["name"] == current_user), None)
    if chosen is None:
        raise PlaygroundError(f"no user named {current_user!r} in {base}; known: {[p['name'] for p in people]}")
    cfg["users"] = [p for p in people if p is not chosen]
    cfg["currentUser"] = chosen
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    return out


@dataclass
class Playground:
    process: subprocess.Popen[str]
    port: int
    log_file: Path
    endpoint: str
    output: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=200))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM the Playground's process group, then SIGKILL after `grace` seconds."""
        return stop_process_group(self.process, grace)


def stop_process_group(process: subprocess.Popen[Any], grace: float = 5.0) -> int | None:
    if process.poll() is not None:
        return process.returncode
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)  # its own session: started with start_new_session=True
        except ProcessLookupError:
            break
        try:
            return process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return process.poll()


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"(no log at {path})"


def start(
    endpoint: str = DEFAULT_ENDPOINT,
    port: int = DEFAULT_PORT,
    log_file: Path = DEFAULT_LOG,
    config: Path = CONFIG,
    current_user: str | None = None,
    ready_timeout: float = 30.0,
) -> Playground:
    """Start the Playground and return once GET /_debug/ping answers pong."""
    check_installed()
    log_file = Path(log_file).resolve()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.unlink(missing_ok=True)  # a stale log would hide this run's errors
    if current_user:
        config = config_for_user(current_user, log_file.with_name(log_file.stem + "-config.yml"), base=config)
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(log_file),
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(Path(config).resolve()),
    }
    # Call node directly (not npx) so SIGTERM reaches the server, and preload the loopback shim.
    cmd = [
        node(),
        "--require",
        str(LOOPBACK),
        str(CLI),
        "start",
        "-e",
        endpoint,
        "-p",
        str(port),
        "--disable-telemetry",
    ]
    process = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    pg = Playground(process=process, port=0, log_file=log_file, endpoint=endpoint)
    listening = threading.Event()

    def pump() -> None:
        # Drain stdout so the pipe never fills; the real port is only announced here.
        assert process.stdout is not None
        for line in process.stdout:
            pg.output.append(line.rstrip())
            m = re.search(r"Listening on (\d+)", line)
            if m and not listening.is_set():
                pg.port = int(m.group(1))
                listening.set()

    threading.Thread(target=pump, name="playground-stdout", daemon=True).start()

    deadline = time.monotonic() + ready_timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise PlaygroundError(f"Agents Playground exited with code {process.returncode}")
            if listening.is_set() and ping(pg.url):
                return pg
            time.sleep(0.1)
        raise PlaygroundError(f"Agents Playground not ready after {ready_timeout:.0f} s")
    except PlaygroundError as exc:
        pg.stop()
        raise PlaygroundError(
            f"{exc}\ncommand: {' '.join(cmd)}\nstdout:\n"
            + "\n".join(pg.output)
            + f"\nlog {log_file}:\n{log_tail(log_file)}"
        ) from None


def start_playground(
    endpoint: str, port: int = DEFAULT_PORT, log_file: Path = DEFAULT_LOG
) -> tuple[subprocess.Popen[str], str]:
    """For tools/run.py: start the Playground, return (process, url). process.terminate() stops it."""
    pg = start(endpoint, port=port, log_file=log_file)
    return pg.process, pg.url


def ping(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "_debug/ping", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"pong"
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Microsoft 365 Agents Playground on loopback.")
    parser.add_argument("--endpoint", default=os.environ.get("BOT_ENDPOINT", DEFAULT_ENDPOINT))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLAYGROUND_PORT", DEFAULT_PORT)))
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--current-user", help="display name from the config to act as (e.g. 'Megan Bowen')")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        pg = start(args.endpoint, args.port, args.log, args.config, args.current_user)
    except PlaygroundError as exc:
        print(f"playground: {exc}", file=sys.stderr)
        return 1
    if args.port and pg.port != args.port:
        print(f"playground: port {args.port} was busy; the Playground picked {pg.port}", file=sys.stderr)
    print(f"Agents Playground: {pg.url}  (bot endpoint {args.endpoint}, log {pg.log_file})", flush=True)
    while not stopping.is_set() and pg.process.poll() is None:
        stopping.wait(0.5)
    if pg.process.poll() is not None:
        print(f"playground: exited with code {pg.process.returncode}\n{log_tail(pg.log_file)}", file=sys.stderr)
        return pg.process.returncode or 1
    pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
