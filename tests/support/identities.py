"""A scenario with a partner tenant, its multi-tenant app and managed identity, and customers in each state
of access; plus a certificate and a fake Azure CLI, for the credential tests."""

from __future__ import annotations

import datetime as dt
import json
import stat
import sys
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PARTNER = "0a0a0a0a-0000-4000-8000-00000000000a"
CONSENTED = "c1c1c1c1-0000-4000-8000-000000000001"  # app consented, Contributor on its subscription
NOT_CONSENTED = "c2c2c2c2-0000-4000-8000-000000000002"  # app never consented
NO_ROLE = "c3c3c3c3-0000-4000-8000-000000000003"  # app consented, no role anywhere
DELEGATED = "c4c4c4c4-0000-4000-8000-000000000004"  # Lighthouse delegation to the partner tenant
READER_ONLY = "c5c5c5c5-0000-4000-8000-000000000005"  # app consented, Reader only
UNKNOWN_TENANT = "deadbeef-0000-4000-8000-0000000000ff"

APP = "a9a9a9a9-0000-4000-8000-0000000000a1"  # the partner's multi-tenant app
SECRET = "s3cret~value.for-the-app"
EXPIRED_SECRET = "old~secret.value"
MI = "e1e1e1e1-0000-4000-8000-0000000000e1"  # user-assigned managed identity (client id)
MI_PRINCIPAL = "e2e2e2e2-0000-4000-8000-0000000000e2"  # its object id in the partner tenant

SUB = {t: f"{t[:8]}-0000-4000-8000-0000000005b1" for t in (CONSENTED, NOT_CONSENTED, NO_ROLE, DELEGATED, READER_ONLY)}
READER_CSP = "c5c5c5c5-0000-4000-8000-0000000c5b02"  # the Reader-only tenant's CSP subscription


def _sub(tenant: str, name: str) -> dict[str, Any]:
    return {"id": SUB[tenant], "tenantId": tenant, "displayName": name, "quotaId": "PayAsYouGo_2014-09-01",
            "resourceGroups": [{"name": "rg-app", "location": "westeurope", "resources": [
                {"name": "st1", "type": "Microsoft.Storage/storageAccounts"}]}]}


def scenario(certificate_pem: str = "") -> dict[str, Any]:
    def tenant(tid: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"id": tid, "displayName": name, "domains": [f"{name.lower()}.onmicrosoft.com"],
                "partnerAccess": False, **extra}

    return {
        "description": "Credential tests: a partner, its app and managed identity, customers in each state.",
        "apps": [{"clientId": APP, "homeTenantId": PARTNER, "displayName": "Partner migration bot",
                  "secrets": [{"value": SECRET}, {"value": EXPIRED_SECRET, "expires": "2024-01-01T00:00:00+00:00"}],
                  "certificates": [certificate_pem] if certificate_pem else [],
                  "federatedCredentials": [{"issuer": f"https://login.microsoftonline.com/{PARTNER}/v2.0",
                                            "subject": MI_PRINCIPAL}]}],
        "managedIdentities": [{"clientId": MI, "principalId": MI_PRINCIPAL, "tenantId": PARTNER}],
        "tenants": [
            tenant(PARTNER, "Partner"),
            tenant(CONSENTED, "Consented", consentedApps=[APP], roleAssignments=[
                {"appId": APP, "role": "Contributor", "scope": f"/subscriptions/{SUB[CONSENTED]}"}]),
            tenant(NOT_CONSENTED, "Unconsented"),
            tenant(NO_ROLE, "Norole", consentedApps=[APP]),
            tenant(READER_ONLY, "Readeronly", consentedApps=[APP], roleAssignments=[
                {"appId": APP, "role": "Reader", "scope": f"/subscriptions/{SUB[READER_ONLY]}"},
                {"appId": APP, "role": "Reader", "scope": f"/subscriptions/{READER_CSP}"}]),
            tenant(DELEGATED, "Delegated", delegations=[{
                "subscriptionId": SUB[DELEGATED], "managedByTenantId": PARTNER,
                "authorizations": [{"principalId": MI_PRINCIPAL, "role": "Contributor"},
                                   {"principalId": APP, "role": "Contributor"}]}]),
        ],
        "subscriptions": [_sub(CONSENTED, "Consented PAYG"), _sub(NOT_CONSENTED, "Unconsented PAYG"),
                          _sub(NO_ROLE, "Norole PAYG"), _sub(DELEGATED, "Delegated PAYG"),
                          _sub(READER_ONLY, "Readeronly PAYG"),
                          {"id": READER_CSP, "tenantId": READER_ONLY, "displayName": "Readeronly CSP",
                           "quotaId": "CSP_2015-05-01", "resourceGroups": []}],
    }


def certificate(directory: Path) -> tuple[Path, str]:
    """A self-signed certificate for the app: (PEM with the private key, for the bot; public PEM, for Entra)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner-migration-bot")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2)).sign(key, hashes.SHA256()))
    public = cert.public_bytes(serialization.Encoding.PEM).decode()
    path = directory / "app-cert.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + public.encode())
    return path, public


FAKE_AZ = '''#!{python}
"""A stand-in for the Azure CLI's documented contract: `az account get-access-token --output json --resource R
[--tenant T]` prints {{accessToken, expiresOn, expires_on, tenant, tokenType}}; not logged in, it says to run
az login on stderr and exits 1. "Logged in" here means: it holds the app's secret in its own config file."""
import json, ssl, sys, urllib.parse, urllib.request
config = json.load(open({config!r}))
args = sys.argv[1:]
if not config.get("logged_in"):
    print("ERROR: Please run 'az login' to setup account.", file=sys.stderr)
    sys.exit(1)
tenant = args[args.index("--tenant") + 1] if "--tenant" in args else config["tenant"]
resource = args[args.index("--resource") + 1]
body = urllib.parse.urlencode({{"grant_type": "client_credentials", "client_id": config["client_id"],
                               "client_secret": config["secret"], "scope": resource.rstrip("/") + "/.default"}})
ctx = ssl.create_default_context(cafile=config["ca"])
try:
    with urllib.request.urlopen(config["authority"] + "/" + tenant + "/oauth2/v2.0/token", body.encode(),
                                context=ctx) as r:
        token = json.load(r)
except urllib.error.HTTPError as e:
    print("ERROR: " + json.load(e)["error_description"], file=sys.stderr)
    sys.exit(1)
import time
exp = int(time.time()) + token["expires_in"]
print(json.dumps({{"accessToken": token["access_token"], "expiresOn": "", "expires_on": exp,
                  "tenant": tenant, "tokenType": "Bearer"}}))
'''


def fake_az(directory: Path, *, authority: str, ca: str, logged_in: bool = True) -> Path:
    """Writes `az` into `directory/bin` (put it first on PATH) and returns that folder."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    config = directory / "az-config.json"
    config.write_text(json.dumps({"logged_in": logged_in, "client_id": APP, "secret": SECRET, "tenant": PARTNER,
                                  "authority": authority, "ca": ca}))
    az = bin_dir / "az"
    az.write_text(FAKE_AZ.format(python=sys.executable, config=str(config)))
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def app_gateway(sandbox: Any) -> Any:
    """A gateway acting as the partner's app (client secret) against a sandbox: its roles are the scenario's."""
    from migration.azure.credentials import IdentityConfig
    from migration.azure.gateway import create_gateway

    config = IdentityConfig(mode="app", authority_host=sandbox.url, ca_bundle=str(sandbox.ca_path), client_id=APP,
                            tenant_id=PARTNER, client_secret=SECRET)
    return create_gateway(credential=config, endpoint=sandbox.url, ca_bundle=str(sandbox.ca_path),
                          authority_host=sandbox.url, polling_interval=0.05)
