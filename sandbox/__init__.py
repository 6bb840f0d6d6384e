"""An Azure Resource Manager sandbox: an HTTPS server the real Azure SDK talks to as to Azure."""

from sandbox.faults import FaultConfig
from sandbox.server import ArmSandbox, Sandbox, start_sandbox
from sandbox.state import ScenarioError, World, load_scenario, resource_id

__all__ = [
    "ArmSandbox", "FaultConfig", "Sandbox", "ScenarioError", "World", "load_scenario", "resource_id", "start_sandbox",
]
