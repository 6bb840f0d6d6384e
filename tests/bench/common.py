"""Shared pieces of the benchmarks: the bot as a separate process, free ports, percentiles, and the
memory / CPU figures Linux keeps in /proc (read while the process is alive: they vanish with it)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]

# Settings the bot reads from the environment (or a developer's `.env`). Blank values win over `.env`
# (it never overrides), so a benchmark always runs local mode on the embedded sandbox.
_NEUTRAL_ENV = (
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "ALLOWED_TENANT_IDS",
    "APPROVER_IDS",
    "ENGINEER_IDS",
    "AZURE_CREDENTIAL",
    "ARM_ENDPOINT",
    "ARM_CA_BUNDLE",
    "AZURE_STORAGE_CONNECTION_STRING",
    "PARTNER_TENANT_ID",
    "PUBLIC_BASE_URL",
    "AZURE_AUTHORITY_HOST",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "MANAGED_IDENTITY_CLIENT_ID",
    "PARTNER_ADMIN_IDS",
    "CUSTOMERS_FILE",
    "GRAPH_ENDPOINT",
    "GROUP_CACHE_SECONDS",
    "ALLOW_GUESTS",
    "ALLOW_LOCAL_MODE_ON_AZURE",
)


def _die_with_parent() -> None:
    # Runs in the child before exec: if the benchmark is killed outright, the kernel sends the bot
    # SIGTERM (a graceful stop for aiohttp) instead of leaving it running on its port.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


@contextlib.asynccontextmanager
async def sandbox_process(*args: str) -> AsyncIterator[tuple[str, str]]:
    """`python -m sandbox ARGS` in its own process (as Azure would be), so it shares no event loop with the
    client being measured; yields its URL and CA file."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "sandbox", *args, stdout=asyncio.subprocess.PIPE,
                                                cwd=ROOT)
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 120)).decode()
        fields = dict(part.split("=", 1) for part in line.split()[1:])
        yield fields["url"], fields["ca"]
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (always one of the measured values); NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _status_kib(pid: int | str, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])  # "VmHWM:   123456 kB"
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_kib(pid: int | str = "self") -> int | None:
    """Peak resident set size (VmHWM) in KiB; None when the process is gone or /proc is missing."""
    return _status_kib(pid, "VmHWM")


def rss_kib(pid: int | str = "self") -> int | None:
    return _status_kib(pid, "VmRSS")


def cpu_seconds(pid: int | str = "self") -> float | None:
    """User + system CPU time the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            text = stat.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Left-aligned first column, right-aligned figures."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


class BotProcess:
    """`app.py` in its own process on a free loopback port, local mode, SQLite under `data_dir`.

    Its output goes to `data_dir/bot.log` (a file, so a chatty bot never blocks on a full pipe).
    """

    def __init__(self, data_dir: Path, *, env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "bot.log"
        self._env = dict(env or {})
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "start() first"
        return self.process.pid

    def start(self) -> None:
        env = dict(os.environ)
        env.update(dict.fromkeys(_NEUTRAL_ENV, ""))
        env.update(
            {
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "STORAGE_URL": f"sqlite:///{self.data_dir / 'bot.db'}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self._env)
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Poll GET /healthz until 200; returns the seconds it took. Raises if the bot died or never came up."""
        assert self.process is not None, "start() first"
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited with {self.process.returncode} during start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the bot did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGINT first (aiohttp then runs its clean-up: sandbox, store), a kill if that hangs."""
        code: int | None = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            code = self.process.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])
