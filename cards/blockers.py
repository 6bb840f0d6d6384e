"""The card for groups picked for a move that are not ready: each blocker the assessment found, with what to do
and its command (a quota request, a role to grant...), so the engineer need not go looking for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import types

from cards import _kit as k
from migration.model import GroupAssessment, Severity

MAX_SHOWN = 6


def not_ready_card(groups: Sequence[GroupAssessment]) -> dict[str, Any]:
    names = [g.name for g in groups]
    blockers = [f for g in groups for f in g.findings if f.severity is Severity.BLOCKER]
    body: list[k.Element] = [
        k.heading("Group not ready"),
        k.note(k.untrusted(f"{', '.join(names[:5])} is not ready to move: nothing was planned or changed."),
               style=types.ContainerStyle.ATTENTION),
    ]
    for finding in blockers[:MAX_SHOWN]:
        body.append(k.text(f"• {k.untrusted(finding.message)} {k.untrusted(finding.remediation)}"))
        if finding.fix is not None and finding.fix.command.commands:
            body += k.command(finding.fix.command)
    if len(blockers) > MAX_SHOWN:
        body.append(k.text(f"And {k.plural(len(blockers) - MAX_SHOWN, 'more blocker')}: see the assessment.",
                           subtle=True))
    body.append(k.text("**What to do:** fix the blockers above, then plan the move again (the groups that are "
                       "ready can move without these)."))
    return k.card(body, [k.execute("Show help", "help.show")], fallback_text=f"Not ready: {', '.join(names)}")
