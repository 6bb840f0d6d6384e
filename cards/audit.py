"""The audit export's card: where to download the file, what it holds, and how to check it without the bot."""

from __future__ import annotations

from typing import Any

from cards import _kit as k
from migration.application.audit_export import AuditExport
from migration.model.digest import short

_SHOWN_CHAINS = 10


def audit_export_card(export: AuditExport, *, url: str) -> dict[str, Any]:
    chains = list(export.chains.items())
    body: list[k.Element] = [
        k.heading(f"Audit export of {k.untrusted(export.subject)}"),
        k.text(f"{k.num(export.entries)} entries in {k.plural(len(chains), 'chain')}, each entry chained to the "
               "one before it by its hash."),
        k.facts([(name, f"{head['entries']} entries, head {short(str(head['head']))}")
                 for name, head in chains[:_SHOWN_CHAINS]]),
        k.text(f"Anyone with this link can download it until {k.utc(export.link.expires_at)}; the download is "
               "recorded. Check the file without the bot: `python -m tools.verify_audit FILE` recomputes every "
               "hash and link; its heads must be the ones above.", subtle=True),
    ]
    if len(chains) > _SHOWN_CHAINS:
        body.append(k.text(f"And {k.num(len(chains) - _SHOWN_CHAINS)} more chains: all of them are in the file's "
                           "manifest.", subtle=True))
    return k.card(body, [k.open_url("Download the audit file (JSON Lines)", url)],
                  fallback_text=f"Audit export of {export.subject}")
