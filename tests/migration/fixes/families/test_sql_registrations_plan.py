"""Planning a SQL IaaS Agent registration: recorded, deleted before the move, registered again with the moved
machine."""

from __future__ import annotations

import json

from migration.fixes.families import command
from migration.model.plan import StepKind
from tests.support.service_fixes import OPS_TARGET, REG, VM, T, by_kind, facts


def test_the_registration_is_recorded_deleted_and_registered_again_with_the_moved_machine():
    _, steps = by_kind(facts())
    (delete,), (register,) = steps[StepKind.DELETE_SQL_REGISTRATION], steps[StepKind.REGISTER_SQL_VM]
    new_vm = f"{OPS_TARGET}/providers/Microsoft.Compute/virtualMachines/vm-sql"
    assert register.arg("registration") == f"{OPS_TARGET}/providers/Microsoft.SqlVirtualMachine/" \
                                           "sqlVirtualMachines/vm-sql"
    assert json.loads(register.arg("properties")) == {"virtualMachineResourceId": new_vm, "sqlServerLicenseType":
                                                      "AHUB", "sqlManagement": "Full", "sqlImageSku": "Enterprise"}
    assert (register.after, register.ended) == ((delete.key,), ("move:rg-ops",))
    assert (register.arg("vm_source"), register.arg("registration_source")) == (VM, REG)
    assert delete.text == "Delete the SQL IaaS Agent registration of virtual machine vm-sql (AHUB license, Full " \
                          "management)"
    assert command(register).posix() == (f"az sql vm create --subscription {T} -g rg-ops-csp -n vm-sql -l westeurope "
                                "--license-type AHUB --sql-mgmt-type Full --image-sku Enterprise")
    assert "SQL Server itself keeps running" in delete.warning
