"""Microsoft Entra ID, as far as the bot's credentials need it: per tenant OpenID metadata, JWKS and a v2.0
token endpoint (client credentials with a secret, a certificate assertion or a federated assertion), and
an App Service style managed identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER).

Tokens are RS256 JWTs signed with the sandbox's own key; ARM (`sandbox.auth`) checks them. Failures
answer with Entra's error body and AADSTS numbers (learn.microsoft.com/entra/identity-platform/reference-error-codes).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.directory import Directory
from sandbox.state import Tenant, World

SIGNING_KEY_FILE = "entra-signing.key"
ARM_AUDIENCES = frozenset({"https://management.azure.com", "https://management.azure.com/",
                           "https://management.core.windows.net", "https://management.core.windows.net/"})
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_SECONDS = 3600
# The issuer Entra writes into v1 access tokens (ARM's) and into v2 tokens (what federated credentials name).
V1_ISSUER = "https://sts.windows.net/{tenant}/"
V2_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"


class TokenInvalid(Exception):
    """A bearer token ARM must refuse: (status, ARM error code, message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def load_or_create_signing_key(directory: Path | None) -> rsa.RSAPrivateKey:
    """Kept next to the CA, so tokens issued before a restart stay valid after it (None: in memory only)."""
    if directory is None:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / SIGNING_KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _entra_error(status: int, error: str, code: int, description: str) -> web.Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return web.json_response({
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
                             f"Timestamp: {now}",
        "error_codes": [code], "timestamp": now, "trace_id": trace, "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }, status=status)


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__("refused")
        self.response = response


class Entra:
    def __init__(self, world: World, key: rsa.RSAPrivateKey) -> None:
        self.world = world
        self.base_url = ""
        self._key = key
        public = key.public_key()
        self._public = public
        numbers = public.public_numbers()
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = _b64(hashlib.sha1(der).digest())  # noqa: S324 - a key id, as Entra's x5t, not security
        self._jwk = {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": _b64_int(numbers.n),
                     "e": _b64_int(numbers.e)}
        # What App Service puts in IDENTITY_HEADER: only callers on this machine that know it get MI tokens.
        self.identity_header = secrets.token_urlsafe(24)
        self.issued = 0

    @property
    def directory(self) -> Directory:
        return self.world.directory

    # ------------------------------------------------------------------ routing

    async def dispatch(self, request: web.Request, parts: list[str]) -> web.StreamResponse | None:
        """Entra's paths, or None when the path is not Entra's."""
        low = [p.lower() for p in parts]
        if len(low) == 4 and low[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self.openid(parts[0])
        if len(low) == 4 and low[1:] == ["discovery", "v2.0", "keys"]:
            return self.keys(parts[0])
        if len(low) == 4 and low[1:] == ["oauth2", "v2.0", "token"] and request.method == "POST":
            return await self.token(request, parts[0])
        if low == ["msi", "token"] and request.method == "GET":
            return self.managed_identity_token(request)
        return None

    def _tenant(self, ref: str) -> Tenant:
        tenant = self.world.tenant(ref)
        if tenant is None:
            raise _Refused(_entra_error(400, "invalid_tenant", 90002,
                                        f"Tenant '{ref}' not found. Check to make sure you have the correct tenant ID "
                                        "and are signing into the correct cloud."))
        return tenant

    # ------------------------------------------------------------------ discovery

    def openid(self, ref: str) -> web.Response:
        try:
            t = self._tenant(ref).id
        except _Refused as refused:
            return refused.response
        return web.json_response({
            "issuer": V2_ISSUER.format(tenant=t),
            "token_endpoint": f"{self.base_url}/{t}/oauth2/v2.0/token",
            "authorization_endpoint": f"{self.base_url}/{t}/oauth2/v2.0/authorize",
            "jwks_uri": f"{self.base_url}/{t}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "tenant_region_scope": "EU", "cloud_instance_name": "microsoftonline.com",
        })

    def keys(self, ref: str) -> web.Response:
        try:
            t = self._tenant(ref).id
        except _Refused as refused:
            return refused.response
        return web.json_response({"keys": [{**self._jwk, "issuer": V2_ISSUER.format(tenant=t)}]})

    # ------------------------------------------------------------------ tokens

    def issue(self, *, tenant_id: str, audience: str, app_id: str, object_id: str, v2: bool = False,
              extra: dict[str, Any] | None = None) -> tuple[str, int]:
        now = int(time.time())
        claims = {
            "aud": audience, "iss": (V2_ISSUER if v2 else V1_ISSUER).format(tenant=tenant_id), "iat": now,
            "nbf": now, "exp": now + TOKEN_SECONDS, "tid": tenant_id, "appid": app_id, "azp": app_id,
            "oid": object_id, "sub": object_id, "idtyp": "app", "ver": "2.0" if v2 else "1.0",
            "uti": uuid.uuid4().hex, **(extra or {}),
        }
        self.issued += 1
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid}), \
            now + TOKEN_SECONDS

    def verify(self, token: str, *, audiences: frozenset[str] = ARM_AUDIENCES) -> dict[str, Any]:
        """The claims of a token this Entra signed, for one of `audiences`; else TokenInvalid (ARM's codes)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenInvalid(401, "InvalidAuthenticationToken", "The access token is invalid.") from exc
        if header.get("kid") != self.kid:
            raise TokenInvalid(401, "InvalidAuthenticationToken",
                               "The access token is invalid: its signing key is not one of the issuer's keys.")
        try:
            claims: dict[str, Any] = jwt.decode(token, self._public, algorithms=["RS256"],
                                                options={"verify_aud": False, "require": ["exp", "tid"]})
        except jwt.ExpiredSignatureError as exc:
            raise TokenInvalid(401, "ExpiredAuthenticationToken",
                               "The access token expiry UTC time is earlier than current UTC time.") from exc
        except jwt.PyJWTError as exc:
            raise TokenInvalid(401, "InvalidAuthenticationToken",
                               "The access token has an invalid signature.") from exc
        if claims.get("aud") not in audiences:
            raise TokenInvalid(401, "InvalidAuthenticationToken",
                               f"The access token has been obtained for wrong audience or resource "
                               f"'{claims.get('aud')}'.")
        return claims

    async def token(self, request: web.Request, tenant_ref: str) -> web.Response:
        form = await request.post()
        try:
            tenant = self._tenant(tenant_ref)
            if form.get("grant_type") != "client_credentials":
                raise _Refused(_entra_error(400, "unsupported_grant_type", 70003,
                                            "The app requested an unsupported grant type."))
            client_id = str(form.get("client_id") or "")
            scope = str(form.get("scope") or "")
            app = self.directory.app(client_id)
            if app is None or not self.directory.app_in_tenant(client_id, tenant.id):
                raise _Refused(_entra_error(
                    400, "unauthorized_client", 700016,
                    f"Application with identifier '{client_id}' was not found in the directory "
                    f"'{tenant.display_name}'. This can happen if the application has not been installed by the "
                    "administrator of the tenant or consented to by any user in the tenant. You may have sent your "
                    "authentication request to the wrong tenant."))
            acr = self._client_authenticated(form, app)
        except _Refused as refused:
            return refused.response
        audience = scope.removesuffix("/.default") if scope.endswith("/.default") else scope
        token, _expires = self.issue(tenant_id=tenant.id, audience=audience, app_id=app.client_id,
                                     object_id=self.directory.service_principal_id(tenant.id, app.client_id),
                                     extra={"appidacr": acr})
        return web.json_response({"token_type": "Bearer", "expires_in": TOKEN_SECONDS - 1,
                                  "ext_expires_in": TOKEN_SECONDS - 1, "access_token": token})

    def _client_authenticated(self, form: Any, app: Any) -> str:
        """The app's own credential, as registered in its home tenant: "1" secret, "2" certificate or federated."""
        secret = form.get("client_secret")
        if secret is not None:
            for s in app.secrets:
                if secrets.compare_digest(str(s.get("value", "")), str(secret)):
                    expires = s.get("expires")
                    if expires and dt.datetime.fromisoformat(expires) < dt.datetime.now(dt.UTC):
                        raise _Refused(_entra_error(401, "invalid_client", 7000222,
                                                    f"The provided client secret keys for app '{app.client_id}' are "
                                                    "expired. Visit the Azure portal to create new keys for your app."))
                    return "1"
            raise _Refused(_entra_error(401, "invalid_client", 7000215,
                                        "Invalid client secret provided. Ensure the secret being sent in the request "
                                        f"is the client secret value, not the client secret ID, for a secret added "
                                        f"to app '{app.client_id}'."))
        assertion = form.get("client_assertion")
        if assertion is None or form.get("client_assertion_type") != JWT_BEARER:
            raise _Refused(_entra_error(401, "invalid_client", 7000218,
                                        "The request body must contain the following parameter: 'client_assertion' "
                                        "or 'client_secret'."))
        assertion = str(assertion)
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise _Refused(_entra_error(401, "invalid_client", 50027, "JWT token is invalid or malformed.")) from None
        # A certificate assertion names its certificate's thumbprint; a federated one is a token this Entra signed.
        signed_here = header.get("kid") == self.kid
        if not signed_here and ("x5t#S256" in header or "x5t" in header):
            return self._certificate_assertion(assertion, header, app)
        return self._federated_assertion(assertion, app)

    def _certificate_assertion(self, assertion: str, header: dict[str, Any], app: Any) -> str:
        for pem in app.certificates:
            cert = x509.load_pem_x509_certificate(pem.encode())
            der = cert.public_bytes(serialization.Encoding.DER)
            sha256 = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode()
            sha1 = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode()  # noqa: S324 - x5t is SHA-1
            if header.get("x5t#S256") not in (sha256, sha256.rstrip("=")) and header.get("x5t") not in (
                    sha1, sha1.rstrip("=")):
                continue
            try:
                claims = jwt.decode(assertion, cert.public_key(), algorithms=["PS256", "RS256"],  # type: ignore[arg-type]
                                    options={"verify_aud": False, "require": ["exp", "iss", "sub"]})
            except jwt.ExpiredSignatureError:
                raise _Refused(_entra_error(401, "invalid_client", 700024,
                                            "Client assertion is not within its valid time range.")) from None
            except jwt.PyJWTError:
                break
            if claims.get("iss") == claims.get("sub") == app.client_id:
                return "2"
            break
        raise _Refused(_entra_error(401, "invalid_client", 700027,
                                    "Client assertion failed signature validation: the key was not found or does "
                                    f"not match a certificate registered on app '{app.client_id}'."))

    def _federated_assertion(self, assertion: str, app: Any) -> str:
        try:
            claims = self.verify(assertion, audiences=frozenset({EXCHANGE_AUDIENCE}))
        except TokenInvalid as exc:
            raise _Refused(_entra_error(401, "invalid_client", 700024 if "expiry" in exc.message else 700211,
                                        f"The federated assertion is not valid: {exc.message}")) from None
        for fic in app.federated:
            if fic.get("issuer") == claims.get("iss") and fic.get("subject") == claims.get("sub"):
                return "2"
        raise _Refused(_entra_error(401, "invalid_client", 70021,
                                    "No matching federated identity record found for presented assertion. "
                                    f"Assertion Issuer: '{claims.get('iss')}'. Assertion Subject: "
                                    f"'{claims.get('sub')}'. Assertion Audience: '{claims.get('aud')}'."))

    # ------------------------------------------------------------------ managed identity (App Service)

    def managed_identity_token(self, request: web.Request) -> web.Response:
        if request.remote not in ("127.0.0.1", "::1"):
            return web.json_response({"statusCode": 403, "message": "Loopback callers only."}, status=403)
        if not secrets.compare_digest(request.headers.get("X-IDENTITY-HEADER", ""), self.identity_header):
            return web.json_response({"statusCode": 401, "message": "Invalid X-IDENTITY-HEADER."}, status=401)
        resource = request.query.get("resource", "")
        client_id = request.query.get("client_id") or ""
        identity = self.directory.identities.get(client_id.lower()) if client_id else next(
            iter(self.directory.identities.values()), None)
        if identity is None:
            return web.json_response({"statusCode": 400, "message": "No User Assigned or Delegated Managed Identity "
                                      "found for specified ClientId/ResourceId/PrincipalId.",
                                      "correlationId": str(uuid.uuid4())}, status=400)
        token, expires = self.issue(tenant_id=identity.tenant_id, audience=resource, app_id=identity.client_id,
                                    object_id=identity.principal_id, v2=resource == EXCHANGE_AUDIENCE)
        return web.json_response({"access_token": token, "expires_on": str(expires), "resource": resource,
                                  "token_type": "Bearer", "client_id": identity.client_id})
