"""Credentials the gateway asks for tokens: which identity acts in a customer's tenant.

Every token request names the customer's tenant; `TenantCredential` pins one set of clients to it.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.identity.aio import DefaultAzureCredential

SANDBOX_TOKEN_PREFIX = "sandbox."


class AsyncCredential(Protocol):
    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken: ...

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo: ...

    async def close(self) -> None: ...


class SandboxCredential:
    """The sandbox's static tokens: `sandbox.<tenant-id>`, or `sandbox.partner` without a tenant."""

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        return AccessToken(f"{SANDBOX_TOKEN_PREFIX}{tenant_id or 'partner'}", int(time.time()) + 3600)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        tenant = (options or {}).get("tenant_id")
        return AccessTokenInfo(f"{SANDBOX_TOKEN_PREFIX}{tenant or 'partner'}", int(time.time()) + 3600)

    async def close(self) -> None:
        return None


class TenantCredential:
    """Pins every token request of one set of clients to the customer's tenant."""

    def __init__(self, inner: AsyncCredential, tenant_id: str) -> None:
        self._inner = inner
        self._tenant_id = tenant_id

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        return await self._inner.get_token(*scopes, claims=claims, tenant_id=self._tenant_id,
                                           enable_cae=enable_cae, **kwargs)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return await self._inner.get_token_info(*scopes, options={**(options or {}), "tenant_id": self._tenant_id})

    async def close(self) -> None:
        return None  # the shared credential is closed once, by the gateway

    async def __aenter__(self) -> TenantCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def is_loopback_url(endpoint: str) -> bool:
    """localhost or a loopback address: the only place the sandbox's static token may be sent."""
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_credential(kind: str, *, endpoint: str) -> AsyncCredential:
    """`kind`: "default" (DefaultAzureCredential) or "sandbox" (static tokens, loopback only)."""
    if kind == "sandbox":
        if not is_loopback_url(endpoint):
            raise ValueError(
                f"The sandbox credential only works with a sandbox on this machine; ARM_ENDPOINT {endpoint!r} is "
                "not a loopback address. Use AZURE_CREDENTIAL=default for Azure.")
        return SandboxCredential()
    if kind == "default":
        return DefaultAzureCredential(additionally_allowed_tenants=["*"])
    raise ValueError(f"AZURE_CREDENTIAL must be 'default' or 'sandbox', not {kind!r}.")
