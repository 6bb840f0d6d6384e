"""Credentials the gateway asks for tokens: which identity acts in a customer's tenant.

Every token request names the customer's tenant; `TenantCredential` pins one set of clients to it. The
ways to act (`AZURE_CREDENTIAL`), each built on azure-identity's own classes:
- `app`: the partner's multi-tenant app, consented in each customer tenant, asks each customer tenant for
  its own token. Secretless in Azure: a federated credential whose assertion is a token of the bot's
  user-assigned managed identity (ClientAssertionCredential fed by ManagedIdentityCredential); else a
  certificate (CertificateCredential) or a secret (ClientSecretCredential).
- `lighthouse`: a partner-tenant identity acting on subscriptions the customer delegated to the partner
  tenant with Azure Lighthouse; every token is a partner-tenant token, whatever tenant is asked for.
- `cli`: the developer's `az login` (AzureCliCredential), asking for the customer's tenant.
- `sandbox`: static tokens, only towards a sandbox on this machine.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError
from azure.identity.aio import (
    AzureCliCredential,
    CertificateCredential,
    ClientAssertionCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
)

SANDBOX_TOKEN_PREFIX = "sandbox."
MODES = ("app", "lighthouse", "cli", "sandbox")
# The audience Entra expects of a federated credential's assertion (a managed identity's token for it).
TOKEN_EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default"
ANY_TENANT = ["*"]  # the app asks each customer tenant for its own token


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """Which identity acts in customers' tenants, with azure-identity's standard setting names."""

    mode: str  # app | lighthouse | cli | sandbox
    client_id: str = ""  # AZURE_CLIENT_ID: the partner's (multi-tenant) app
    tenant_id: str = ""  # AZURE_TENANT_ID: the partner's home tenant
    client_secret: str = field(default="", repr=False)  # AZURE_CLIENT_SECRET
    certificate_path: str = ""  # AZURE_CLIENT_CERTIFICATE_PATH (PEM with the private key)
    managed_identity_client_id: str = ""  # MANAGED_IDENTITY_CLIENT_ID: user-assigned managed identity
    authority_host: str = "https://login.microsoftonline.com"  # AZURE_AUTHORITY_HOST
    ca_bundle: str | None = None  # ARM_CA_BUNDLE, trusted for the authority too
    partner_tenant_id: str = ""  # PARTNER_TENANT_ID: the partner's tenant, where its billing side is read

    @property
    def partner_token_tenant(self) -> str | None:
        """The tenant asked for a token of the partner's own side (billing, CSP subscriptions); None: the
        identity's own. `app`: the app's home tenant (AZURE_TENANT_ID); `cli`: PARTNER_TENANT_ID, else
        AZURE_TENANT_ID, else the signed-in account's default tenant; `lighthouse`: every token already is
        the partner tenant's; `sandbox`: the partner's static token."""
        if self.mode == "app":
            return self.tenant_id or None
        if self.mode == "cli":
            return self.partner_tenant_id or self.tenant_id or None
        return None

    @property
    def kind(self) -> str:
        """How the identity proves itself, for logs and the attach card (never the secret itself)."""
        if self.mode == "app" and self.managed_identity_client_id:
            return "federated credential (managed identity)"
        if self.mode == "lighthouse" and self.managed_identity_client_id and not self.client_id:
            return "managed identity"
        if self.certificate_path:
            return "certificate"
        if self.client_secret:
            return "client secret"
        return {"cli": "Azure CLI login", "sandbox": "sandbox token"}.get(self.mode, self.mode)


class AsyncCredential(Protocol):
    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken: ...

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo: ...

    async def close(self) -> None: ...


ARM_AUDIENCE = "https://management.azure.com"


def _sandbox_token(scopes: tuple[str, ...], tenant_id: str | None) -> str:
    """`sandbox.<tenant-id>` (`sandbox.partner` without a tenant) for ARM; for another audience (Microsoft
    Graph) the audience follows an `@`, so neither side takes the other's token."""
    audience = scopes[0].removesuffix("/.default").rstrip("/") if scopes else ARM_AUDIENCE
    token = f"{SANDBOX_TOKEN_PREFIX}{tenant_id or 'partner'}"
    return token if audience == ARM_AUDIENCE else f"{token}@{audience}"


class SandboxCredential:
    """The sandbox's static tokens: `sandbox.<tenant-id>`, or `sandbox.partner` without a tenant."""

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        return AccessToken(_sandbox_token(scopes, tenant_id), int(time.time()) + 3600)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(_sandbox_token(scopes, (options or {}).get("tenant_id")), int(time.time()) + 3600)

    async def close(self) -> None:
        return None


class TokenRequestFailed(ClientAuthenticationError):
    """The credential could not get a token (as opposed to ARM refusing one it got); `original` says why."""

    def __init__(self, original: ClientAuthenticationError) -> None:
        super().__init__(message=original.message, response=original.response)
        self.original = original


class TenantCredential:
    """Pins every token request of one set of clients to the customer's tenant, and marks a failure to get a
    token as such, so the gateway can name its cause."""

    def __init__(self, inner: AsyncCredential, tenant_id: str | None) -> None:
        self._inner = inner
        self._tenant_id = tenant_id  # None: the identity's own tenant (`IdentityConfig.partner_token_tenant`)

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        try:
            return await self._inner.get_token(*scopes, claims=claims, tenant_id=self._tenant_id,
                                               enable_cae=enable_cae, **kwargs)
        except ClientAuthenticationError as exc:
            raise TokenRequestFailed(exc) from exc

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        try:
            pinned = {**(options or {}), "tenant_id": self._tenant_id} if self._tenant_id else options
            return await self._inner.get_token_info(*scopes, options=pinned)
        except ClientAuthenticationError as exc:
            raise TokenRequestFailed(exc) from exc

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


def _identity_kwargs(config: IdentityConfig) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"authority": config.authority_host}
    if config.ca_bundle:
        kwargs["connection_verify"] = config.ca_bundle
    return kwargs


def _managed_identity(config: IdentityConfig) -> ManagedIdentityCredential:
    kwargs: dict[str, Any] = {"client_id": config.managed_identity_client_id}
    if config.ca_bundle:
        kwargs["connection_verify"] = config.ca_bundle
    return ManagedIdentityCredential(**kwargs)


def _service_principal(config: IdentityConfig, **extra: Any) -> AsyncCredential:
    kwargs = {**_identity_kwargs(config), **extra}
    if config.certificate_path:
        return CertificateCredential(config.tenant_id, config.client_id, certificate_path=config.certificate_path,
                                     **kwargs)
    return ClientSecretCredential(config.tenant_id, config.client_id, config.client_secret, **kwargs)


class FederatedAppCredential:
    """The partner's app, proving itself with a token of the bot's managed identity (no secret anywhere).

    azure-identity's async ClientAssertionCredential takes a synchronous callable, so the managed identity's
    token (cached by ManagedIdentityCredential) is fetched before each request and handed over from there.
    """

    def __init__(self, config: IdentityConfig) -> None:
        self._identity = _managed_identity(config)
        self._assertion = ""
        self._app = ClientAssertionCredential(config.tenant_id, config.client_id, lambda: self._assertion,
                                              additionally_allowed_tenants=ANY_TENANT, **_identity_kwargs(config))

    async def _refresh(self) -> None:
        self._assertion = (await self._identity.get_token(TOKEN_EXCHANGE_SCOPE)).token

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        await self._refresh()
        return await self._app.get_token(*scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae,
                                         **kwargs)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        await self._refresh()
        return await self._app.get_token_info(*scopes, options=options)

    async def close(self) -> None:
        await self._app.close()
        await self._identity.close()


class PartnerTenantCredential:
    """Azure Lighthouse: ARM accepts the partner tenant's token for delegated subscriptions, so the
    customer's tenant is never asked (a managed identity could not ask it anyway)."""

    def __init__(self, inner: AsyncCredential) -> None:
        self._inner = inner

    async def get_token(self, *scopes: str, claims: str | None = None, tenant_id: str | None = None,
                        enable_cae: bool = False, **kwargs: Any) -> AccessToken:
        return await self._inner.get_token(*scopes, claims=claims, enable_cae=enable_cae, **kwargs)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        rest = {k: v for k, v in (options or {}).items() if k != "tenant_id"}
        return await self._inner.get_token_info(*scopes, options=rest or None)

    async def close(self) -> None:
        await self._inner.close()


def build_credential(config: IdentityConfig | str, *, endpoint: str) -> AsyncCredential:
    """The credential for `config` (a bare mode name means that mode with azure-identity's defaults)."""
    if isinstance(config, str):
        config = IdentityConfig(mode=config)
    kind = config.mode
    if kind == "sandbox":
        if not is_loopback_url(endpoint):
            raise ValueError(
                f"The sandbox credential only works with a sandbox on this machine; ARM_ENDPOINT {endpoint!r} is "
                "not a loopback address. Use AZURE_CREDENTIAL=app, lighthouse or cli for Azure.")
        return SandboxCredential()
    if kind == "app":
        if config.managed_identity_client_id:
            return FederatedAppCredential(config)
        return _service_principal(config, additionally_allowed_tenants=ANY_TENANT)
    if kind == "lighthouse":
        if config.managed_identity_client_id and not config.client_id:
            return PartnerTenantCredential(_managed_identity(config))
        return PartnerTenantCredential(_service_principal(config))
    if kind == "cli":
        return AzureCliCredential(additionally_allowed_tenants=ANY_TENANT)
    raise ValueError(f"AZURE_CREDENTIAL must be one of {', '.join(MODES)}, not {kind!r}.")
