"""infra/*.bicep read with pycep-parser (the parser checkov uses), and a small evaluator for the container's
settings: enough Bicep (literals, parameters, variables, interpolation, property access, a few functions)
to turn the template's environment into the strings the bot would receive in Azure.

Values that only Azure knows after deployment (a managed identity's client id, an environment's domain)
come from `RUNTIME`, plausible values of the right shape.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
SAMPLE_GUID = "6f1c3e2a-8b4d-4c1e-9a7f-2d5b8e0c4a13"
# symbol.property path -> what Azure returns after deployment.
RUNTIME = {
    "identity.properties.clientId": "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
    "identity.properties.principalId": "1d0e9f8a-7b6c-4d5e-9f3a-2b1c0d9e8f7a",
    "identity.properties.tenantId": "2e1f0a9b-8c7d-4e6f-a04b-3c2d1e0f9a8b",
    "identity.id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
    "environment.properties.defaultDomain": "purplesea-1a2b3c4d.westeurope.azurecontainerapps.io",
    "insights.properties.ConnectionString": (
        f"InstrumentationKey={SAMPLE_GUID};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"
    ),
    "registry.properties.loginServer": "crbotabc.azurecr.io",
}
# main.bicep's parameters for a partner that sets only what it must (azd prompts for these).
MAIN_PARAMS = {
    "environmentName": "cspbot",
    "location": "westeurope",
    "botImage": "crbotabc.azurecr.io/csp-migration-bot/bot-cspbot:azd-deploy-1",
    "allowedTenantIds": "",
    "approverIds": "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d,4b3c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e",
    "engineerIds": "",
    "partnerAdminIds": "5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f",
    "partnerTenantId": "",
    "minReplicas": 2,
    "maxReplicas": 4,
}
_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")


@cache
def parse(name: str) -> dict[str, Any]:
    result: dict[str, Any] = BicepParser().parse(text=(INFRA / name).read_text(encoding="utf-8"))
    return result


def bicep_files() -> list[str]:
    return sorted(p.name for p in INFRA.glob("*.bicep"))


def deployed_environment(**main_params: Any) -> dict[str, str]:
    """The container's environment variables as Azure would set them, for main.bicep's parameters."""
    main = parse("main.bicep")
    defaults = {n: p["default"] for n, p in main["parameters"].items() if p.get("default") is not None}
    params = {**defaults, **MAIN_PARAMS, **main_params}
    missing = set(main["parameters"]) - set(params)
    assert not missing, f"no value for main.bicep's parameters {missing}"
    module = main["modules"]["resources"]["config"]
    assert main["modules"]["resources"]["detail"]["path"] == "resources.bicep"
    resources = parse("resources.bicep")
    outer = Evaluator(main, params)
    inner_params = {name: outer.value(expr) for name, expr in module["params"].items()}
    for name, spec in resources["parameters"].items():
        if name not in inner_params and spec.get("default") is not None:
            inner_params[name] = spec["default"]
    inner = Evaluator(resources, inner_params)
    return {entry["name"]: str(inner.value(entry["value"])) for entry in container_env(resources)}


def container_env(document: dict[str, Any]) -> list[dict[str, Any]]:
    app = document["resources"]["app"]["config"]
    containers = app["properties"]["template"]["containers"]
    assert len(containers) == 1, "one container: the bot"
    env: list[dict[str, Any]] = containers[0]["env"]
    return env


def allowed_values(document: dict[str, Any], param: str) -> list[str] | None:
    for decorator in document["parameters"][param]["decorators"]:
        if decorator.get("type") == "allowed":
            values: list[str] = decorator["argument"]
            return values
    return None


class Evaluator:
    """Evaluates the expressions of one Bicep file with the given parameter values."""

    def __init__(self, document: dict[str, Any], params: dict[str, Any]) -> None:
        self.doc = document
        self.params = params

    def value(self, node: Any) -> Any:
        if isinstance(node, str):
            return self._name_or_literal(node)
        if isinstance(node, bool | int | float) or node is None:
            return node
        if isinstance(node, list):
            return [self.value(n) for n in node]
        if "operator" in node:
            return self._operator(node["operator"])
        if "function" in node:
            return self._function(node["function"])
        return {k: self.value(v) for k, v in node.items()}

    def _name_or_literal(self, text: str) -> Any:
        if text in self.params:
            return self.params[text]
        if text in self.doc["variables"]:
            return self.value(self.doc["variables"][text]["value"])
        if "${" in text:
            return _INTERPOLATION.sub(lambda m: str(self._path(m.group(1).strip())), text)
        return text  # pycep gives literals and names alike as strings: anything unknown is a literal

    def _path(self, dotted: str) -> Any:
        if dotted in RUNTIME:
            return RUNTIME[dotted]
        head, _, rest = dotted.partition(".")
        if head in self.doc["resources"] and rest == "name":
            return self.value(self.doc["resources"][head]["config"]["name"])
        if not rest:
            return self._name_or_literal(head)
        raise AssertionError(f"the test cannot evaluate {dotted!r}: add its runtime value to RUNTIME")

    def _operator(self, op: dict[str, Any]) -> Any:
        kind, operands = op["type"], op["operands"]
        if kind == "property_accessor":
            return self._path(_dotted(op))
        if kind == "conditional":
            branch = "true_value" if self.value(operands["condition"]) else "false_value"
            return self.value(operands[branch])
        if kind == "equals":
            return self.value(operands["operand_1"]) == self.value(operands["operand_2"])
        if kind == "not_equals":
            return self.value(operands["operand_1"]) != self.value(operands["operand_2"])
        raise AssertionError(f"the test's evaluator does not know the operator {kind!r}")

    def _function(self, fn: dict[str, Any]) -> Any:
        kind, args = fn["type"], fn.get("parameters", {})
        if kind == "string":
            return str(self.value(args["value_to_convert"]))
        if kind == "empty":
            return not self.value(next(iter(args.values())))
        if kind == "unique_string":
            return "q4k2m7x1z9b3c"  # uniqueString(): 13 lowercase letters and digits
        if kind == "tenant":
            return RUNTIME["identity.properties.tenantId"]  # the deployment's tenant is the identity's
        if kind == "to_lower":
            return str(self.value(next(iter(args.values())))).lower()
        raise AssertionError(f"the test's evaluator does not know the function {kind!r}")


def _dotted(op: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = op
    while isinstance(node, dict) and node.get("type") == "property_accessor":
        parts.append(node["operands"]["operand_1"])
        node = node["operands"]["operand_2"]
        if isinstance(node, dict) and "operator" in node:
            node = node["operator"]
    parts.append(node)
    return ".".join(str(p) for p in parts)
