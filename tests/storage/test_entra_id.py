"""The bot on Table Storage with Entra ID, as in Azure: `STORAGE_URL=azure-table://<account>` and the
user-assigned managed identity, no key. Azurite plays the account over HTTPS with `--oauth basic` (it checks
each bearer token's issuer, audience and lifetime, not its signature); a stand-in for the Container Apps
identity endpoint (`IDENTITY_ENDPOINT` / `IDENTITY_HEADER`) issues the tokens azure-identity asks for.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import jwt
import pytest
from azure.data.tables.aio import TableServiceClient

from sandbox.tls import server_ssl_context
from tests.support import teams
from tests.support.azurite import AZURITE_TABLE, DEV_ACCOUNT, DEV_KEY, _accepts_connections, _free_port, _stop

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
TENANT = "2e1f0a9b-8c7d-4e6f-a04b-3c2d1e0f9a8b"
IDENTITY_HEADER = "container-apps-identity-header"


@dataclass
class IdentityEndpoint:
    url: str
    audience: str | None = None  # None: the resource asked for, as Entra does
    asked: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def identity_endpoint() -> Iterator[IdentityEndpoint]:
    endpoint = IdentityEndpoint("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                self.send_response(401)
                self.end_headers()
                return
            endpoint.asked.append(query)
            now = int(time.time())
            claims = {"aud": endpoint.audience or query.get("resource", ""), "iss": f"https://sts.windows.net/{TENANT}/",
                      "nbf": now - 60, "iat": now - 60, "exp": now + 3600, "appid": query.get("client_id", "")}
            token = jwt.encode(claims, "not-checked-by-azurite-basic-oauth", algorithm="HS256")
            body = json.dumps({"access_token": token, "expires_on": str(now + 3600), "token_type": "Bearer",
                               "resource": query.get("resource", ""), "client_id": query.get("client_id", "")})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/msi/token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SecureAzurite:
    port: int
    ca: Path

    @property
    def account_url(self) -> str:
        return f"azure-table://127.0.0.1:{self.port}/{DEV_ACCOUNT}"

    def key_client(self) -> TableServiceClient:
        """A client with the account key (Azurite accepts both), to look at what the bot wrote."""
        connection = (f"DefaultEndpointsProtocol=https;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
                      f"TableEndpoint=https://127.0.0.1:{self.port}/{DEV_ACCOUNT};")
        return TableServiceClient.from_connection_string(connection, connection_verify=str(self.ca))


@pytest.fixture(scope="module")
def secure_azurite() -> Iterator[SecureAzurite]:
    if not AZURITE_TABLE.exists():
        pytest.fail(f"{AZURITE_TABLE} is missing: run `make test` (or `npm ci`) to install the Node tools")
    with tempfile.TemporaryDirectory(prefix="azurite-oauth-") as workspace:
        _, ca = server_ssl_context(Path(workspace) / "tls", "127.0.0.1")
        port = _free_port()
        process = subprocess.Popen(
            [str(AZURITE_TABLE), "--inMemoryPersistence", "--tableHost", "127.0.0.1", "--tablePort", str(port),
             "--oauth", "basic", "--cert", str(Path(workspace) / "tls" / "sandbox-server.pem"),
             "--key", str(Path(workspace) / "tls" / "sandbox-server.key"),
             "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
            cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not _accepts_connections(port):
                assert process.poll() is None, f"Azurite exited with code {process.returncode}"
                assert time.monotonic() < deadline, "Azurite did not listen within 30 s"
                time.sleep(0.1)
            yield SecureAzurite(port, ca)
        finally:
            _stop(process)


class BotProcess:
    """`python app.py --sandbox` as the container runs it, with the identity and storage settings of Azure."""

    def __init__(self, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("AZURE_", "Microsoft", "ARM_", "IDENTITY_", "MSI_", "APPLICATIONINSIGHTS"))}
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--sandbox"], cwd=tempfile.mkdtemp(prefix="bot-"),
            env={**clean, "HOST": "127.0.0.1", "PORT": str(self.port), **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def health(self) -> tuple[int, dict[str, Any]]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=10) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the bot did not start: {self.stop()[-3000:]}")

    def stop(self) -> str:
        self.process.terminate()
        output, _ = self.process.communicate(timeout=20)
        return output


def _entra_env(azurite: SecureAzurite, identity: IdentityEndpoint) -> dict[str, str]:
    return {
        "STORAGE_URL": azurite.account_url,
        "MANAGED_IDENTITY_CLIENT_ID": CLIENT_ID,
        "IDENTITY_ENDPOINT": identity.url,
        "IDENTITY_HEADER": IDENTITY_HEADER,
        "SSL_CERT_FILE": str(azurite.ca),  # trust the emulator's certificate, as Azure's is trusted
    }


async def test_the_bot_keeps_its_state_in_tables_with_the_managed_identity(
    secure_azurite: SecureAzurite, identity_endpoint: IdentityEndpoint, connector: Any
) -> None:
    bot = BotProcess(_entra_env(secure_azurite, identity_endpoint))
    try:
        status, health = await asyncio.to_thread(bot.health)
        assert (status, health["storage"]) == (200, "reachable")
        async with aiohttp.ClientSession() as session:
            for activity in [*teams.installed(connector.url), teams.message("attach", connector.url)]:
                async with session.post(f"http://127.0.0.1:{bot.port}/api/messages", json=activity) as response:
                    assert response.status in (200, 201), await response.text()
        await connector.wait_for(2)
    finally:
        output = await asyncio.to_thread(bot.stop)
    assert "Traceback" not in output, output[-3000:]

    # azure-identity asked the identity endpoint for Storage tokens as the user-assigned identity.
    assert identity_endpoint.asked
    assert {(q.get("client_id"), q.get("resource")) for q in identity_endpoint.asked} == {
        (CLIENT_ID, "https://storage.azure.com")}
    # What the bot wrote is in the account: its conversation state, under the default table prefix.
    async with secure_azurite.key_client() as service:
        tables = [t.name async for t in service.list_tables()]
        assert "cspbotchatstate" in tables
        rows = [e async for e in service.get_table_client("cspbotchatstate").list_entities()]
    assert len(rows) == 1


async def test_a_token_for_another_audience_leaves_the_bot_unready(
    secure_azurite: SecureAzurite, identity_endpoint: IdentityEndpoint
) -> None:
    identity_endpoint.audience = "https://management.azure.com"
    bot = BotProcess(_entra_env(secure_azurite, identity_endpoint))
    try:
        status, health = await asyncio.to_thread(bot.health)
    finally:
        await asyncio.to_thread(bot.stop)
    assert (status, health["storage"]) == (503, "unreachable"), "the readiness probe takes it out of rotation"
    assert identity_endpoint.asked, "the bot asked for a token and the account refused it"
