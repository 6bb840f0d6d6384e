"""`audit export <request id>` and `audit export <tenant id>`: the audit trail as a file, with its card.
Who may export is the route's guard (approvers: the partner's reviewers)."""

from __future__ import annotations

from bot.access import person_of
from bot.commands import Command
from bot.port import Turn
from cards.audit import audit_export_card
from dialogs.inputs import GUID
from migration.application.audit_export import AuditExports

USAGE = ("Type `audit export <request id>` for one move request's audit trail, or `audit export <tenant id>` for "
         "everything recorded about a customer tenant.")


class AuditFlow:
    def __init__(self, exports: AuditExports, *, public_base_url: str) -> None:
        self._exports = exports
        self._base_url = public_base_url

    async def audit_command(self, turn: Turn, command: Command) -> None:
        if len(command.args) != 2 or command.args[0].lower() != "export":
            await turn.reply(USAGE)
            return
        subject = command.args[1].strip()
        by, tenant_id = person_of(turn.caller), turn.caller.tenant_id
        if GUID.match(subject):
            export = await self._exports.of_tenant(subject, by=by, tenant_id=tenant_id)
        else:
            export = await self._exports.of_request(subject, by=by, tenant_id=tenant_id)
        if export is None:
            await turn.reply(f"Nothing is recorded for {subject[:40]!r}. {USAGE}")
            return
        await turn.reply_card(audit_export_card(export, url=export.link.url(self._base_url, "jsonl")))
