"""What users type: tenants and subscription ids, checked before anything reaches Azure."""

from __future__ import annotations

import re

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)


def tenant_problem(text: str) -> str | None:
    """None when `text` looks like a tenant (GUID or domain); else why not, in a sentence."""
    value = text.strip()
    if GUID.match(value) or DOMAIN.match(value):
        return None
    shown = value[:60]
    return (
        f"'{shown}' is not a tenant. Send the tenant id (a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47) "
        "or a verified domain like contoso.onmicrosoft.com."
    )


def subscription_problem(text: str) -> str | None:
    if GUID.match(text.strip()):
        return None
    return f"'{text.strip()[:60]}' is not a subscription id. A subscription id is a GUID."
