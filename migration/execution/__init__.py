"""Carrying out approved move requests: the request state machine and audit trail, the step
engine, the runner with its leases, and the fix steps as units of the runner.

Imports every package above except `migration.application`.
"""
