"""The two botbuilder 4.17.1 work-arounds change performance or errors, never behaviour."""

from __future__ import annotations

from msrest.universal_http.requests import ClientRetryPolicy

from bot.adapter import install_retry_policy_fix


def test_retry_policy_fix_keeps_exactly_the_codes_msrest_retries() -> None:
    # What msrest 0.7.1 defines: every code from 0 to 998 except 0-499 (but 408), 501 and 505.
    expected = [i for i in range(999) if not ((i < 500 and i != 408) or i in (501, 505))]
    install_retry_policy_fix()
    install_retry_policy_fix()  # idempotent
    assert ClientRetryPolicy().policy.status_forcelist == expected
    assert 408 in expected and 429 not in expected and 503 in expected
