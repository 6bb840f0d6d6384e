"""A stand-in for the Bot Framework's token infrastructure on a loopback port, in a thread of its own (botbuilder
fetches keys with blocking `requests` calls on the event loop, so the server must not share that loop):

- the OpenID metadata document and its JWKS, listing the *trusted* signing key, which the bot reads when it
  is configured with `TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL`;
- an App Service managed-identity endpoint (`IDENTITY_ENDPOINT` / `IDENTITY_HEADER`), where a bot registered
  as `UserAssignedMSI` gets the token it sends to the Bot Connector.

`SigningKey.token(...)` issues Bot Connector-style RS256 tokens with any key.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"
MSI_PATH = "/msi/token"
MSI_HEADER = "identity-header-secret"
OUTBOUND_TOKEN = "token-from-the-managed-identity"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                           key_size=2048))
    endorsements: tuple[str, ...] = ("msteams",)  # the channels the key may sign for

    def jwk(self) -> dict[str, Any]:
        key = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**key, "kid": self.kid, "use": "sig", "endorsements": list(self.endorsements)}

    def token(self, *, audience: str, service_url: str | None, issuer: str = ISSUER, kid: str | None = None,
              lifetime: float = 600, **claims: Any) -> str:
        """service_url None: no serviceurl claim at all."""
        now = int(time.time())
        payload = {"iss": issuer, "aud": audience, "nbf": now - 60, "iat": now - 60, "exp": now + int(lifetime),
                   **({"serviceurl": service_url} if service_url is not None else {}), **claims}
        # kid="": no key id at all in the header.
        headers = {"kid": self.kid if kid is None else kid} if kid != "" else None
        return jwt.encode(payload, self.private, algorithm="RS256", headers=headers)


@dataclass
class Identity:
    url: str
    trusted: SigningKey
    requests: list[str]  # paths asked for, in order

    @property
    def metadata_url(self) -> str:
        return self.url + METADATA_PATH

    @property
    def msi_endpoint(self) -> str:
        return self.url + MSI_PATH


def serve(trusted: SigningKey, *, jwks_uri: str | None = None) -> Iterator[Identity]:
    """A generator for a fixture: yields the running server, stops it afterwards. `jwks_uri` replaces the key
    URL the metadata document names (its own by default)."""
    seen: list[str] = []
    base: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            seen.append(url.path)
            if url.path == METADATA_PATH:
                self._json({"issuer": ISSUER, "jwks_uri": jwks_uri or base["url"] + KEYS_PATH,
                            "id_token_signing_alg_values_supported": ["RS256"],
                            "token_endpoint_auth_methods_supported": ["private_key_jwt"]})
            elif url.path == KEYS_PATH:
                self._json({"keys": [trusted.jwk()]})
            elif url.path == MSI_PATH and self.headers.get("X-IDENTITY-HEADER") == MSI_HEADER:
                resource = parse_qs(url.query).get("resource", [""])[0]
                self._json({"access_token": OUTBOUND_TOKEN, "expires_on": str(int(time.time()) + 3600),
                            "resource": resource, "token_type": "Bearer"})
            else:
                self._json({"error": "not found"}, 404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="identity-server", daemon=True)
    thread.start()
    try:
        yield Identity(base["url"], trusted, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
