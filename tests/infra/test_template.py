"""The deployment template, checked offline: it parses, checkov passes, it sets every setting the bot needs in
Azure and nothing the bot does not know, and the Teams package takes the bot id from its output.

No `azd up` runs here (no Azure); what a real deployment would add is said in docs/DEPLOYING.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from migration.application.assessment_queue import QueueLimits
from settings import AZURE_IDENTITY_VARS, CREDENTIALS, PRODUCTION_SETTINGS, BotSdk, load_settings
from tests.infra.bicep import INFRA, ROOT, RUNTIME, allowed_values, bicep_files, deployed_environment, parse

INFRA_BIN = ROOT / ".venv-infra" / "bin"
# AZURE_CREDENTIAL values that make sense only off Azure: a developer's login, the sandbox.
LOCAL_ONLY_CREDENTIALS = {"sandbox", "cli"}
CUSTOMER_APP = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"  # the partner's multi-tenant app, in app mode


def _infra_tool(name: str) -> Path:
    path = INFRA_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make test` (it installs requirements-infra.txt into .venv-infra)")
    return path


class RecordingEnv(Mapping[str, str]):
    """An environment that notes every name load_settings asks for: the names settings.py knows."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.asked.add(name)
        return name in self._values

    def get(self, name: str, default: Any = None) -> Any:
        self.asked.add(name)
        return self._values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("load_settings must ask for settings by name")

    def __len__(self) -> int:
        return len(self._values)


def test_every_bicep_file_parses() -> None:
    files = bicep_files()
    assert files == ["main.bicep", "resources.bicep"]
    resources = parse("resources.bicep")["resources"]
    types = {r["type"] for r in resources.values()}
    assert {
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.BotService/botServices",
        "Microsoft.BotService/botServices/channels",
        "Microsoft.App/containerApps",
        "Microsoft.App/managedEnvironments",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.Insights/components",
    } <= types
    assert parse("main.bicep")["modules"]["resources"]["detail"]["path"] == "resources.bicep"


def test_checkov_passes_and_every_waiver_is_explained() -> None:
    result = subprocess.run(
        [str(_infra_tool("checkov")), "--directory", str(INFRA), "--framework", "bicep", "--output", "json",
         "--skip-download"],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    report = json.loads(result.stdout)
    results = report["results"]
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in results["failed_checks"]]
    assert failed == [], f"checkov failed: {failed}"
    assert report["summary"]["passed"] >= 5, "checkov must have read the resources, not an empty directory"
    # A waiver is a `checkov:skip=ID: reason` inside the resource, and the ID is explained at the top.
    header = (INFRA / "resources.bicep").read_text(encoding="utf-8").split("\nparam ", 1)[0]
    for check in results["skipped_checks"]:
        assert check["check_id"] in header, f"{check['check_id']} is waived without a reason at the top"
        reason = check["check_result"]["suppress_comment"].strip()
        assert len(reason) > 10, f"{check['check_id']} is waived without a reason"
    skips = re.findall(r"checkov:skip=([A-Z0-9_]+)", (INFRA / "resources.bicep").read_text(encoding="utf-8"))
    assert sorted(skips) == sorted(c["check_id"] for c in results["skipped_checks"]), "a waiver for nothing"


def test_the_template_sets_what_production_needs_and_nothing_unknown() -> None:
    env = deployed_environment()
    missing = sorted(set(PRODUCTION_SETTINGS) - set(env))
    assert missing == [], f"settings.py needs these in Azure and the template does not set them: {missing}"

    recording = RecordingEnv(env)
    settings = load_settings(recording)
    # Known: what load_settings reads, and azure-identity's own variables, which settings.py declares.
    unknown = sorted(set(env) - recording.asked - set(AZURE_IDENTITY_VARS))
    assert unknown == [], f"the template sets what settings.py never reads: {unknown}"
    assert set(PRODUCTION_SETTINGS) <= recording.asked, "PRODUCTION_SETTINGS names a setting nobody reads"

    # What those values mean once the bot reads them: a real deployment, not local mode nor the sandbox.
    assert not settings.local_mode and settings.app_type == "UserAssignedMSI"
    assert settings.app_id == settings.managed_identity_client_id == RUNTIME["identity.properties.clientId"]
    assert not settings.app_password, "no bot secret: the Bot Service trusts the managed identity"
    assert not settings.embedded_sandbox and settings.azure_credential != "sandbox"
    assert settings.storage_url.startswith("azure-table://") and settings.storage_connection_string is None
    assert settings.host == "0.0.0.0" and settings.public_base_url.startswith("https://")
    assert settings.allowed_tenant_ids == {RUNTIME["identity.properties.tenantId"]}
    assert len(settings.approver_ids) == 2
    assert settings.applicationinsights_connection_string
    assert settings.assessment_limits == QueueLimits(), "the template's bounds are the bot's own defaults"
    assert settings.assessment_read_reserve == 100
    tighter = load_settings(deployed_environment(assessmentWorkers=3, assessmentsPerUser=1))
    assert tighter.assessment_limits.running == 3 and tighter.assessment_limits.per_user == 1


def test_every_customer_access_mode_the_bot_has_for_azure_can_be_deployed() -> None:
    """The template offers exactly the AZURE_CREDENTIAL values settings.py accepts, less the local ones."""
    offered = allowed_values(parse("main.bicep"), "azureCredential")
    assert offered is not None
    assert set(offered) == set(CREDENTIALS) - LOCAL_ONLY_CREDENTIALS
    kinds = {}
    for mode in offered:
        settings = load_settings(deployed_environment(azureCredential=mode, customerAppClientId=CUSTOMER_APP))
        assert settings.azure_credential == mode
        kinds[mode] = settings.identity.kind
    # Secretless in both: the managed identity itself, or the app proving itself with the identity's token.
    assert kinds == {"lighthouse": "managed identity", "app": "federated credential (managed identity)"}
    assert load_settings(deployed_environment(azureCredential="app", customerAppClientId=CUSTOMER_APP)
                         ).azure_client_id == CUSTOMER_APP


def test_the_template_deploys_the_bot_on_either_teams_edge_botbuilder_by_default() -> None:
    """The template offers exactly the BOT_SDK values settings.py accepts; each one reaches the bot."""
    offered = allowed_values(parse("main.bicep"), "botSdk")
    assert offered is not None and set(offered) == {sdk.value for sdk in BotSdk}
    assert load_settings(deployed_environment()).bot_sdk is BotSdk.BOTBUILDER
    for sdk in BotSdk:
        assert load_settings(deployed_environment(botSdk=sdk.value)).bot_sdk is sdk


def test_no_keys_in_the_template() -> None:
    text = "\n".join((INFRA / name).read_text(encoding="utf-8") for name in bicep_files())
    assert "listKeys" not in text and "AccountKey" not in text and "@secure" not in text
    storage = parse("resources.bicep")["resources"]["storage"]["config"]["properties"]
    assert storage["allowSharedKeyAccess"] is False
    insights = parse("resources.bicep")["resources"]["insights"]["config"]["properties"]
    assert insights["DisableLocalAuth"] is True
    registry = parse("resources.bicep")["resources"]["registry"]["config"]["properties"]
    assert registry["adminUserEnabled"] is False
    bot = parse("resources.bicep")["resources"]["bot"]["config"]["properties"]
    assert bot["msaAppType"] == "UserAssignedMSI" and "msaAppPassword" not in json.dumps(bot)


def test_the_bot_runs_on_two_replicas_at_least_with_health_probes() -> None:
    app = parse("resources.bicep")["resources"]["app"]["config"]["properties"]
    main = parse("main.bicep")["parameters"]
    assert main["minReplicas"]["default"] >= 2
    assert {"type": "min_value", "argument": 2} in main["minReplicas"]["decorators"]
    assert app["template"]["scale"]["minReplicas"] == "minReplicas"
    probes = {p["type"]: p for p in app["template"]["containers"][0]["probes"]}
    assert set(probes) == {"Startup", "Readiness", "Liveness"}
    assert probes["Readiness"]["httpGet"]["path"] == "/healthz"  # storage reachable, or out of rotation
    for probe in probes.values():  # the ranges Container Apps accepts
        assert 1 <= probe.get("failureThreshold", 3) <= 10 and 1 <= probe.get("periodSeconds", 10) <= 240
        assert 0 <= probe.get("initialDelaySeconds", 0) <= 60
    assert app["configuration"]["ingress"]["allowInsecure"] is False


def test_the_teams_package_takes_the_bot_id_from_the_deployment(tmp_path: Path) -> None:
    main, resources = parse("main.bicep"), parse("resources.bicep")
    # The output azd stores is the identity's client id, which is the bot's app id and what the bot runs as.
    assert _expr(main["outputs"]["BOT_ID"]["value"]) == "resources.outputs.botAppId"
    client_id = "identity.properties.clientId"
    assert _expr(resources["outputs"]["botAppId"]["value"]) == client_id
    assert _expr(resources["resources"]["bot"]["config"]["properties"]["msaAppId"]) == client_id
    env = resources["resources"]["app"]["config"]["properties"]["template"]["containers"][0]["env"]
    assert _expr(next(e["value"] for e in env if e["name"] == "MicrosoftAppId")) == client_id

    # azd runs the package build after provisioning, with the outputs in its environment.
    hooks = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))["hooks"]
    assert "tools/build_package.py" in hooks["postprovision"]["posix"]["run"]
    bot_id = RUNTIME[client_id]
    out = tmp_path / "package.zip"
    clean = {k: v for k, v in os.environ.items() if k != "MicrosoftAppId"}
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "tools/build_package.py", "--out", str(out)],
        env={**clean, "BOT_ID": bot_id}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as package:
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == bot_id


def test_azd_deploys_the_dockerfile_to_the_container_app() -> None:
    project = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    bot = project["services"]["bot"]
    assert bot["host"] == "containerapp" and (ROOT / bot["docker"]["path"]).is_file()
    assert project["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    tags = parse("resources.bicep")["resources"]["app"]["config"]["tags"]
    assert "'azd-service-name': 'bot'" in json.dumps(tags) or "bot" in json.dumps(tags)
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    declared = parse("main.bicep")["parameters"]
    assert set(parameters) <= set(declared), "main.parameters.json passes a parameter main.bicep lacks"
    required = {n for n, p in declared.items() if p.get("default") is None}
    assert required <= set(parameters), "azd cannot fill every required parameter"


def _expr(node: Any) -> str:
    """A property access as dotted text (identity.properties.clientId)."""
    if isinstance(node, str):
        return node
    op = node["operator"]
    assert op["type"] == "property_accessor", op
    return f"{op['operands']['operand_1']}.{_expr(op['operands']['operand_2'])}"
