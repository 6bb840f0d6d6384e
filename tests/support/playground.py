"""Pytest fixtures for end-to-end runs: the bot as a real process, the Agents Playground, and
Node Playwright journeys driving the Playground in Debian's Chromium.

Load with `pytest_plugins = ["tests.support.playground"]` in the top-level conftest (tests/journeys
imports the fixtures itself until then).

    def test_x(bot_server, playground, e2e_out):
        bot = bot_server(extra_env={"APPROVER_IDS": MEGAN.aad_object_id})  # -> "http://127.0.0.1:PORT"
        pg = playground(bot + "/api/messages")                              # -> "http://127.0.0.1:PORT/"
        result = run_journey(E2E / "journey_help.js", pg, e2e_out)          # -> dict printed by the script

Every process started here runs in its own session and is stopped at teardown (SIGTERM, then
SIGKILL), also when the test fails. Logs and screenshots land in build/e2e/<test name>/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools import playground as _playground  # one way to start it, for `make run` and tests

ROOT = Path(__file__).resolve().parents[2]
E2E_OUT = ROOT / "build" / "e2e"
BOT_COMMAND = (str(ROOT / ".venv" / "bin" / "python"), "app.py")


PlaygroundError = _playground.PlaygroundError


# --------------------------------------------------------------------------- mock Teams context


@dataclass(frozen=True)
class TeamsUser:
    id: str
    name: str
    aad_object_id: str


def playground_config() -> dict[str, Any]:
    """The parsed .m365agentsplayground.yml (tenant, bot, currentUser, users, chats, team)."""
    return _playground.load_config()


def playground_user(name: str) -> TeamsUser:
    """A person from the Playground config by display name, e.g. playground_user("Megan Bowen")."""
    cfg = playground_config()
    for person in (cfg["currentUser"], *cfg["users"]):
        if person["name"] == name:
            return TeamsUser(person["id"], person["name"], person["aadObjectId"])
    raise KeyError(f"no user {name!r} in .m365agentsplayground.yml")


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _test_dir(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:80]
    path = E2E_OUT / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def e2e_out(request: pytest.FixtureRequest) -> Path:
    """build/e2e/<test name>/, emptied first: screenshots, bot and Playground logs of one test."""
    return _test_dir(request)


# --------------------------------------------------------------------------- bot process


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    url: str
    log_file: Path


BotServerFactory = Callable[..., str]


@pytest.fixture
def bot_server(e2e_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServerFactory]:
    """Factory: start the bot as a subprocess and return its base URL once /healthz answers 200.

    start(extra_env=None, command=BOT_COMMAND, health_path="/healthz", timeout=60.0) -> str
      extra_env: added to (and overriding) HOST, PORT, STORAGE_URL (fresh SQLite file) and an
        empty MicrosoftAppId; "{port}" in a value is replaced by the chosen port.
      command: argv run from the repo root; "{port}" is replaced too.
      health_path: None waits for the port to accept connections instead.
    The bot's stdout+stderr go to build/e2e/<test>/bot.log and are shown if it fails to start.
    """
    started: list[BotProcess] = []

    def start(
        extra_env: Mapping[str, str] | None = None,
        command: Sequence[str] = BOT_COMMAND,
        health_path: str | None = "/healthz",
        timeout: float = 60.0,
    ) -> str:
        port = free_port()
        db_dir = tmp_path_factory.mktemp("bot-db")
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "STORAGE_URL": f"sqlite:///{db_dir / 'bot.db'}",
            "MicrosoftAppId": "",
            "MicrosoftAppPassword": "",
            "PYTHONUNBUFFERED": "1",
        }
        env.update({k: v.replace("{port}", str(port)) for k, v in (extra_env or {}).items()})
        argv = [a.replace("{port}", str(port)) for a in command]
        log_file = e2e_out / f"bot{len(started) or ''}.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        bot = BotProcess(process, url, log_file)
        started.append(bot)

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            ready = _http_ok(url + health_path) if health_path else _tcp_open(port)
            if ready:
                return url
            time.sleep(0.2)
        state = f"exited with code {process.returncode}" if process.poll() is not None else f"not ready in {timeout} s"
        pytest.fail(
            f"bot {' '.join(argv)} {state} (waiting for {url}{health_path or ''})\n"
            f"--- {log_file} ---\n{_playground.log_tail(log_file, 60)}",
            pytrace=False,
        )

    yield start
    for bot in reversed(started):
        _playground.stop_process_group(bot.process)


# --------------------------------------------------------------------------- Agents Playground


PlaygroundFactory = Callable[..., str]


@pytest.fixture
def playground(e2e_out: Path) -> Iterator[PlaygroundFactory]:
    """Factory: start the Agents Playground on a free loopback port; returns its URL (with "/").

    start(endpoint, current_user=None) -> str
      endpoint: the bot's messaging endpoint, e.g. bot_url + "/api/messages".
      current_user: a display name from .m365agentsplayground.yml to act as (default Alex Wilber).
    Waits for GET /_debug/ping == pong. Log: build/e2e/<test>/playground.log.
    """
    started: list[_playground.Playground] = []

    def start(endpoint: str, current_user: str | None = None) -> str:
        log_file = e2e_out / f"playground{len(started) or ''}.log"
        try:
            # Port 0: the Playground picks a free port and announces it, so there is no race.
            pg = _playground.start(endpoint, port=0, log_file=log_file, current_user=current_user)
        except PlaygroundError as exc:
            pytest.fail(str(exc), pytrace=False)
        started.append(pg)
        return pg.url

    yield start
    for pg in reversed(started):
        pg.stop()


# --------------------------------------------------------------------------- journeys


class JourneyError(AssertionError):
    """A journey script failed; the message has its stderr and the failure screenshot path."""


def engineer_and_approver(bot_server: BotServerFactory, playground: PlaygroundFactory) -> tuple[str, str]:
    """One bot with Alex Wilber as engineer and Megan Bowen as approver, and a Playground for each of them
    on it (the Playground has one current user per process): their URLs, Alex's first."""
    megan = playground_user("Megan Bowen")
    bot = bot_server(
        extra_env={
            "ALLOWED_TENANT_IDS": playground_config()["tenantId"],
            "ENGINEER_IDS": playground_user("Alex Wilber").aad_object_id,
            "APPROVER_IDS": megan.aad_object_id,
        }
    )
    return playground(bot + "/api/messages"), playground(bot + "/api/messages", current_user=megan.name)


def run_journey(
    script_path: Path | str, playground_url: str, out_dir: Path | str, *args: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Run `node <script> <playground_url> <out_dir> *args` and return the JSON object it prints
    on its last stdout line. Raises JourneyError (with stderr) on non-zero exit or timeout."""
    node = shutil.which("node")
    if not node:
        raise JourneyError("node is not on PATH; journeys are Node.js Playwright scripts")
    argv = [node, str(script_path), playground_url, str(out_dir), *args]
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a timeout also takes down the Chromium it launched
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise JourneyError(
            f"journey {script_path} timed out after {timeout} s\n--- stderr ---\n{stderr[-4000:]}"
            f"\n--- stdout ---\n{stdout[-2000:]}"
        ) from None
    if process.returncode != 0:
        raise JourneyError(
            f"journey {Path(script_path).name} failed (exit {process.returncode})\n--- stderr ---\n{stderr[-6000:]}"
            f"\n--- stdout ---\n{stdout[-2000:]}"
        )
    lines = [line for line in stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise JourneyError(f"journey {script_path} printed no JSON result line\n{stdout[-2000:]}") from None
    if not isinstance(result, dict):
        raise JourneyError(f"journey {script_path} result is not a JSON object: {result!r}")
    return result
