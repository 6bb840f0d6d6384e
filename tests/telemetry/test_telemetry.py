"""Telemetry: traces and counters with the Azure Monitor distro, checked with an in-memory exporter.

The scenario runs in a process of its own: OpenTelemetry's tracer and meter providers are process-wide and
set once, and the rest of the suite must run without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from opentelemetry import trace

from settings import load_settings
from telemetry import configure_telemetry

ROOT = Path(__file__).resolve().parents[2]


def test_off_without_a_connection_string() -> None:
    assert configure_telemetry(load_settings({})) is False
    assert not trace.get_tracer_provider().__class__.__module__.startswith("opentelemetry.sdk")


def test_turns_jobs_azure_calls_counters_and_no_secrets() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "Microsoft", "APPLICATIONINSIGHTS"))}
    env["APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL"] = "true"  # the distro's own usage pings stay home
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/telemetry/scenario_traces.py", "-q", "-p", "no:cacheprovider",
         "-W", "ignore::DeprecationWarning"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
