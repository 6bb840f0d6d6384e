"""ARM's error answers: an HTTP status with a CloudError body (`{"error": {"code", "message", ...}}`)."""

from __future__ import annotations

from typing import Any


class ArmFailure(Exception):
    """An ARM error answer: HTTP status, CloudError body and any headers it carries (Retry-After...)."""

    def __init__(self, status: int, code: str, message: str, *, target: str | None = None,
                 details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.body = error_body(code, message, target=target, details=details)
        self.headers = dict(headers or {})


def error_body(code: str, message: str, *, target: str | None = None,
               details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        err["target"] = target
    if details:
        err["details"] = details
    return {"error": err}
