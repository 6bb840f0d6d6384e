"""Azure's errors -> the domain's: ARM CloudErrors (nested, or JSON hidden in `message`) and dropped
connections become `migration.model.ArmError` and its kinds."""

from __future__ import annotations

import json
from typing import Any

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from migration.model import ArmError, ArmErrorDetail, NotFound, TenantAccessDenied

_ACCESS_CODES = {"InvalidAuthenticationTokenTenant", "InvalidAuthenticationToken", "AuthenticationFailed"}


def error_detail(node: Any) -> ArmErrorDetail:
    """A CloudError node (dict) -> ArmErrorDetail; JSON hidden inside `message` becomes nested details."""
    if not isinstance(node, dict):
        return ArmErrorDetail(code="Unknown", message=str(node))
    message = str(node.get("message") or "")
    details = [error_detail(d) for d in node.get("details") or []]
    stripped = message.strip()
    if stripped.startswith("{"):
        try:
            hidden = json.loads(stripped)
        except json.JSONDecodeError:
            hidden = None
        if isinstance(hidden, dict):
            inner = hidden.get("error", hidden)
            if isinstance(inner, dict) and inner.get("code"):
                details.append(error_detail(inner))
            elif isinstance(inner, dict):
                details.extend(error_detail(d) for d in inner.get("details") or [])
            message = str(inner.get("message") or "") if isinstance(inner, dict) else ""
            if not message and details:
                message = details[0].message
    return ArmErrorDetail(code=str(node.get("code") or "Unknown"), message=message,
                          target=node.get("target"), details=tuple(details))


def error_from_http(exc: HttpResponseError) -> ArmError:
    status = exc.status_code
    body: Any = None
    if exc.response is not None:
        try:
            body = json.loads(exc.response.text() or "null")
        except (ValueError, TypeError):
            body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = error_detail(body["error"])
    elif isinstance(body, dict) and "code" in body:
        error = error_detail(body)
    else:
        error = ArmErrorDetail(code=f"Http{status}" if status else "HttpError", message=exc.message or str(exc))
    if status == 401 or error.code in _ACCESS_CODES:
        return TenantAccessDenied(status, error)
    if status == 404:
        return NotFound(status, error)
    return ArmError(status, error)


def error_from_connection(exc: Exception, *, write: bool) -> ArmError:
    if write:
        message = ("The connection to Azure Resource Manager dropped before it answered; the request may "
                   "have been carried out. Re-read the resource groups before sending it again.")
    else:
        message = f"Azure Resource Manager could not be reached: {exc}"
    return ArmError(None, ArmErrorDetail(code="ConnectionLost", message=message))


def to_domain(exc: Exception, *, write: bool = False) -> ArmError:
    if isinstance(exc, HttpResponseError):
        return error_from_http(exc)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return error_from_connection(exc, write=write)
    raise exc
