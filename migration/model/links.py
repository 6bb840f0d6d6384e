"""A report behind an unguessable, expiring download link (`GET /reports/{token}.csv|.json|.md`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReportLink:
    token: str
    expires_at: datetime

    def url(self, base: str, fmt: str = "csv") -> str:
        return f"{base.rstrip('/')}/reports/{self.token}.{fmt}"
