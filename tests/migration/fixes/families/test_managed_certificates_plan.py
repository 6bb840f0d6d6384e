"""Planning a free managed certificate: unbound and deleted before the move, issued again for the moved plan and
bound again after it."""

from __future__ import annotations

from migration.fixes.families import command
from migration.fixes.plan import deleted_before
from migration.model.plan import StepKind
from tests.support.service_fixes import CERT, HOST, PLAN, REG, SITE, SITE_TARGET, THUMB, T, by_kind, facts


def test_the_certificate_is_unbound_deleted_and_issued_again_for_the_moved_plan_and_bound_again():
    plan, steps = by_kind(facts())
    (delete,), (recreate,) = steps[StepKind.DELETE_MANAGED_CERTIFICATE], steps[StepKind.RECREATE_MANAGED_CERTIFICATE]
    assert delete.arg("bindings") == f"{SITE}|{HOST}|SniEnabled"
    assert recreate.arg("certificate") == f"{SITE_TARGET}/providers/Microsoft.Web/certificates/www-cert"
    assert recreate.arg("plan") == f"{SITE_TARGET}/providers/Microsoft.Web/serverfarms/plan-site"
    assert recreate.arg("bindings") == f"{SITE_TARGET}/providers/Microsoft.Web/sites/app-site|{HOST}|SniEnabled"
    assert (recreate.after, recreate.ended) == ((delete.key,), ("move:rg-site",))
    assert (recreate.arg("plan_source"), recreate.arg("bindings_source")) == (PLAN, f"{SITE}|{HOST}|SniEnabled")
    assert delete.warning == (f"Deleting the managed certificate for {HOST} breaks HTTPS on {HOST} until the "
                              "certificate is issued again and bound after the move.")
    assert recreate.text == f"Issue a free managed certificate for {HOST} again and bind it to app-site"
    assert command(delete).posix().startswith(
        f"az webapp config ssl unbind --certificate-thumbprint {THUMB} --ids {SITE} && ")
    assert command(recreate).posix().startswith(
        f"az webapp config ssl create --subscription {T} -g rg-site-csp -n app-site "
                                       f"--hostname {HOST} && az webapp config ssl bind")
    # What is deleted before the moves leaves the moves' requests.
    assert deleted_before(plan.steps) == {CERT.lower(), REG.lower()}
