"""Each way of acting in a customer's tenant, with azure-identity's real classes against the sandbox's Entra
over HTTPS (AZURE_AUTHORITY_HOST), and each cause of missing access as its own domain error."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from migration.azure.credentials import IdentityConfig
from migration.azure.gateway import ArmGateway, create_gateway
from migration.model import (
    AppNotConsented,
    CredentialRejected,
    IdentityUnavailable,
    NotDelegated,
    RoleMissing,
    TenantNotFound,
)
from sandbox import Sandbox
from tests.support.identities import (
    APP,
    CONSENTED,
    DELEGATED,
    EXPIRED_SECRET,
    MI,
    NO_ROLE,
    NOT_CONSENTED,
    PARTNER,
    READER_ONLY,
    SECRET,
    SUB,
    UNKNOWN_TENANT,
    certificate,
    fake_az,
    scenario,
)

Make = Callable[..., ArmGateway]


@pytest.fixture
async def entra(sandbox_factory, tmp_path: Path) -> tuple[Sandbox, Path]:
    cert_path, public = certificate(tmp_path)
    return await sandbox_factory(scenario(public)), cert_path


@pytest.fixture
async def make(entra) -> AsyncIterator[Make]:
    sandbox, _ = entra
    made: list[ArmGateway] = []

    def build(mode: str, **values: str) -> ArmGateway:
        config = IdentityConfig(mode=mode, authority_host=sandbox.url, ca_bundle=str(sandbox.ca_path), **values)
        gw = create_gateway(credential=config, endpoint=sandbox.url, ca_bundle=str(sandbox.ca_path),
                            authority_host=sandbox.url, polling_interval=0.05)
        made.append(gw)
        return gw

    yield build
    for gw in made:
        await gw.close()


@pytest.fixture
def managed_identity(entra, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot runs where a managed identity endpoint answers (App Service's IDENTITY_ENDPOINT/HEADER)."""
    sandbox, _ = entra
    monkeypatch.setenv("IDENTITY_ENDPOINT", sandbox.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", sandbox.identity_header)


async def _sees_its_subscription(gw: ArmGateway, tenant: str) -> None:
    azure = gw.for_tenant(tenant)
    subs = await azure.subscriptions.list_subscriptions()
    assert SUB[tenant] in [s.id for s in subs] and {s.tenant_id for s in subs} == {tenant}
    resources = await azure.inventory.list_resources(SUB[tenant])
    assert [r.name for r in resources] == ["st1"]


async def test_app_with_a_secret_asks_each_customer_tenant_for_its_own_token(make: Make):
    await _sees_its_subscription(make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET), CONSENTED)


async def test_app_with_a_certificate(make: Make, entra):
    _, cert_path = entra
    gw = make("app", client_id=APP, tenant_id=PARTNER, certificate_path=str(cert_path))
    await _sees_its_subscription(gw, CONSENTED)


async def test_app_secretless_with_a_federated_credential_from_the_managed_identity(make: Make, managed_identity):
    gw = make("app", client_id=APP, tenant_id=PARTNER, managed_identity_client_id=MI)
    await _sees_its_subscription(gw, CONSENTED)


async def test_a_managed_identity_alone_cannot_act_in_a_customer_tenant(make: Make, managed_identity):
    # What the old set-up did: the managed identity's token is always of the partner tenant.
    gw = make("lighthouse", managed_identity_client_id=MI)
    azure = gw.for_tenant(CONSENTED)
    assert await azure.subscriptions.list_subscriptions() == []
    with pytest.raises(NotDelegated) as denied:
        await azure.subscriptions.get_subscription(SUB[CONSENTED])
    assert denied.value.code == "InvalidAuthenticationTokenTenant"


async def test_lighthouse_with_the_managed_identity_acts_on_delegated_subscriptions(make: Make, managed_identity):
    await _sees_its_subscription(make("lighthouse", managed_identity_client_id=MI), DELEGATED)


async def test_lighthouse_with_the_partner_app_secret(make: Make):
    gw = make("lighthouse", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)
    await _sees_its_subscription(gw, DELEGATED)


async def test_azure_cli_login_on_a_developer_machine(make: Make, entra, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    sandbox, _ = entra
    bin_dir = fake_az(tmp_path, authority=sandbox.url, ca=str(sandbox.ca_path))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    await _sees_its_subscription(make("cli"), CONSENTED)


async def test_azure_cli_not_logged_in_is_named(make: Make, entra, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sandbox, _ = entra
    bin_dir = fake_az(tmp_path, authority=sandbox.url, ca=str(sandbox.ca_path), logged_in=False)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(IdentityUnavailable) as denied:
        await make("cli").for_tenant(CONSENTED).subscriptions.list_subscriptions()
    assert "az login" in denied.value.error.message


# --------------------------------------------------------------------------- each cause, named


async def test_app_not_consented_in_the_tenant(make: Make):
    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)
    with pytest.raises(AppNotConsented) as denied:
        await gw.for_tenant(NOT_CONSENTED).subscriptions.list_subscriptions()
    assert denied.value.code == "AADSTS700016" and APP in denied.value.error.message


async def test_unknown_tenant(make: Make):
    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)
    with pytest.raises(TenantNotFound) as denied:
        await gw.for_tenant(UNKNOWN_TENANT).subscriptions.list_subscriptions()
    assert denied.value.code == "AADSTS90002"


@pytest.mark.parametrize(("secret", "code"), [("not-the-secret", "AADSTS7000215"), (EXPIRED_SECRET, "AADSTS7000222")])
async def test_wrong_or_expired_secret(make: Make, secret: str, code: str):
    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=secret)
    with pytest.raises(CredentialRejected) as denied:
        await gw.for_tenant(CONSENTED).subscriptions.list_subscriptions()
    assert denied.value.code == code
    assert secret not in str(denied.value) and secret not in denied.value.fix, "a secret never reaches a message"


async def test_managed_identity_unavailable(make: Make, managed_identity):
    # The managed identity named in the settings is not assigned to the machine the bot runs on.
    gw = make("app", client_id=APP, tenant_id=PARTNER, managed_identity_client_id=PARTNER)
    with pytest.raises(IdentityUnavailable) as denied:
        await gw.for_tenant(CONSENTED).subscriptions.list_subscriptions()
    assert "managed identity" in denied.value.error.message.lower()


async def test_no_managed_identity_endpoint_at_all(make: Make, monkeypatch: pytest.MonkeyPatch):
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")  # IMDS at a closed port
    gw = make("lighthouse", managed_identity_client_id=MI)
    with pytest.raises(IdentityUnavailable):
        await gw.for_tenant(DELEGATED).subscriptions.list_subscriptions()


async def test_consented_but_no_role(make: Make):
    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)
    azure = gw.for_tenant(NO_ROLE)
    assert await azure.subscriptions.list_subscriptions() == [], "no role: the subscription is not even listed"
    with pytest.raises(RoleMissing) as denied:
        await azure.subscriptions.get_subscription(SUB[NO_ROLE])
    assert denied.value.status == 403 and denied.value.action == "Microsoft.Resources/subscriptions/read"
    # Resource Graph silently leaves out what the caller may not read: an empty inventory is not believed.
    with pytest.raises(RoleMissing):
        await azure.inventory.list_resources(SUB[NO_ROLE])


async def test_reader_may_read_but_not_move(make: Make):
    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)
    await _sees_its_subscription(gw, READER_ONLY)
    with pytest.raises(RoleMissing) as denied:
        await gw.for_tenant(READER_ONLY).groups.ensure_group(SUB[READER_ONLY], "rg-new", location="westeurope")
    assert denied.value.action == "Microsoft.Resources/subscriptions/resourceGroups/write"


# --------------------------------------------------------------------------- what the identity may do


async def test_permissions_say_what_each_role_allows(make: Make):
    from migration.azure.permissions import evaluate

    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)

    def granted(perms, side):
        return {c.requirement.key: c.granted for c in evaluate(perms, subscription_id="x", side=side)}

    contributor = await gw.for_tenant(CONSENTED).authorization.list_permissions(SUB[CONSENTED])
    assert granted(contributor, "source") == {"read": True, "move": True, "read_locks": True, "delete_locks": False}
    assert granted(contributor, "target")["write_role_assignments"] is False, "Contributor cannot assign roles"
    assert granted(contributor, "target")["register_providers"] is True
    reader = await gw.for_tenant(READER_ONLY).authorization.list_permissions(SUB[READER_ONLY])
    assert granted(reader, "source") == {"read": True, "move": False, "read_locks": True, "delete_locks": False}
    assert await gw.for_tenant(NO_ROLE).authorization.list_permissions(SUB[NO_ROLE]) == []


async def test_assessment_checks_the_permissions_instead_of_asking(make: Make):
    from migration.assessment.assess import assess

    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)
    reader = await assess(gw, tenant_id=READER_ONLY, source_subscription_id=SUB[READER_ONLY])
    [g5] = [f for f in reader.preconditions if f.rule_id == "G5"]
    assert "move resources out of resource groups" in g5.message and "Contributor" in g5.remediation
    assert "G5" not in {m.rule_id for m in reader.manual_checks}
    contributor = await assess(gw, tenant_id=CONSENTED, source_subscription_id=SUB[CONSENTED])
    assert not [f for f in contributor.preconditions if f.rule_id == "G5"]


async def test_withdrawn_consent_takes_the_roles_with_it(make: Make, entra):
    sandbox, _ = entra
    gw = make("app", client_id=APP, tenant_id=PARTNER, client_secret=SECRET)
    await _sees_its_subscription(gw, CONSENTED)
    sandbox.world.directory.consent[CONSENTED.lower()].discard(APP.lower())  # the admin deletes the app
    with pytest.raises(RoleMissing):  # the token it already has still signs in, but holds nothing
        await gw.for_tenant(CONSENTED).subscriptions.get_subscription(SUB[CONSENTED])
