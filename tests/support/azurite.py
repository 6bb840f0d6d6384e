"""Azurite's Table service (the Azure Storage emulator from package.json) for the storage tests.

One emulator per test session, in memory, on a free loopback port; stopped at session end, also when
tests fail or are interrupted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AZURITE_TABLE = ROOT / "node_modules" / ".bin" / "azurite-table"
# Azurite's well-known development account (node_modules/azurite/README.md, "Default Storage Account").
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT = 30.0


def connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/{DEV_ACCOUNT};"
    )


def _free_port() -> int:
    # Azurite cannot listen on port 0 and report the port it got, so ask the OS for one first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """The connection string of a running Azurite Table service."""
    if not AZURITE_TABLE.exists():
        pytest.fail(f"{AZURITE_TABLE} is missing: run `make test` (or `npm ci`) to install the Node tools")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="azurite-") as workspace:
        log_path = Path(workspace) / "azurite.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(AZURITE_TABLE),
                    "--inMemoryPersistence",
                    "--tableHost",
                    "127.0.0.1",
                    "--tablePort",
                    str(port),
                    "--silent",
                    "--skipApiVersionCheck",
                    "--loose",
                    "--disableTelemetry",
                ],
                cwd=workspace,  # --inMemoryPersistence excludes --location; stray files land here
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so the stop below reaches node's children
            )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _accepts_connections(port):
                if process.poll() is not None:
                    pytest.fail(f"Azurite exited with code {process.returncode}:\n{log_path.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"Azurite did not listen on port {port} within {START_TIMEOUT:.0f} s")
                time.sleep(0.1)
            yield connection_string(port)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
