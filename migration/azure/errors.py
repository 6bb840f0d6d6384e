"""Azure's errors -> the domain's: ARM CloudErrors (nested, or JSON hidden in `message`), Entra's token
errors (AADSTS codes) and dropped connections become `migration.model.ArmError` and its kinds.

Every failure to get a token, or to be let in, becomes a `TenantAccessDenied` subclass naming its cause.
`maps_errors` puts `to_domain` around a gateway call, and names the subscription or resource it is about."""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn, TypeVar, cast

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.identity import CredentialUnavailableError

from migration.azure.credentials import TokenRequestFailed
from migration.model import (
    AppNotConsented,
    ArmError,
    ArmErrorDetail,
    CredentialRejected,
    IdentityUnavailable,
    NotDelegated,
    NotFound,
    ResourceId,
    RoleMissing,
    TenantAccessDenied,
    TenantNotFound,
)

AZURE_ERRORS = (HttpResponseError, ServiceRequestError, ServiceResponseError)

_ACCESS_CODES = {"InvalidAuthenticationToken", "AuthenticationFailed", "ExpiredAuthenticationToken"}
_AADSTS = re.compile(r"AADSTS(\d+)")
# Entra's error numbers (learn.microsoft.com/entra/identity-platform/reference-error-codes) -> the cause.
_ENTRA_CAUSES: dict[str, type[TenantAccessDenied]] = {
    "700016": AppNotConsented,  # application not found in the directory: never consented there
    "7000229": AppNotConsented,  # the app has no service principal in the tenant
    "65001": AppNotConsented,  # consent not granted
    "500011": AppNotConsented,  # resource principal not found in the tenant
    "90002": TenantNotFound,  # tenant not found
    "900023": TenantNotFound,  # tenant identifier is not a valid GUID or domain
    "90072": TenantNotFound,  # no account of that tenant
    "7000215": CredentialRejected,  # invalid client secret
    "7000222": CredentialRejected,  # client secret expired
    "700027": CredentialRejected,  # client assertion signature invalid (certificate not registered)
    "700024": CredentialRejected,  # client assertion outside its valid time range
    "70021": CredentialRejected,  # no federated identity credential matches the assertion
    "700213": CredentialRejected,  # no matching federated identity record
    "700211": CredentialRejected,  # no matching federated identity issuer
}
# The text of ARM's AuthorizationFailed for a principal without a role allowing the action.
_NO_ROLE = re.compile(r"does not have authorization to perform action '([^']+)' over scope '([^']+)'")


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
    if error.code == "InvalidAuthenticationTokenTenant":
        return NotDelegated(status, error)
    if error.code == "AuthorizationFailed":
        denied = _NO_ROLE.search(error.message)
        if denied:
            return RoleMissing(status, error, action=denied.group(1), scope=denied.group(2))
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


def _entra_body(exc: HttpResponseError) -> dict[str, Any] | None:
    """The token endpoint's OAuth error body ({error: "invalid_client", error_codes: [...]}), if that is what failed."""
    if exc.response is None:
        return None
    try:
        body = json.loads(exc.response.text() or "null")
    except (ValueError, TypeError):
        return None
    if isinstance(body, dict) and (isinstance(body.get("error"), str) or "error_codes" in body):
        return body
    return None


def token_error(exc: ClientAuthenticationError) -> TenantAccessDenied:
    """azure-identity could not get a token: which cause, from Entra's AADSTS number or the credential's words.
    Only Entra's or the credential's own first line is kept: neither names a secret."""
    body = _entra_body(exc) or {}
    text = str(body.get("error_description") or exc.message or exc)
    codes = [str(c) for c in body.get("error_codes") or []] or _AADSTS.findall(text)
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    for code in codes:
        kind = _ENTRA_CAUSES.get(code)
        if kind is not None:
            return kind(401, ArmErrorDetail(code=f"AADSTS{code}", message=first_line))
    if isinstance(exc, CredentialUnavailableError) or "managed identity" in text.lower():
        return IdentityUnavailable(None, ArmErrorDetail(code="CredentialUnavailable", message=first_line))
    code = f"AADSTS{codes[0]}" if codes else str(body.get("error") or "TokenRequestFailed")
    return TenantAccessDenied(401, ArmErrorDetail(code=code, message=first_line))


def to_domain(exc: Exception, *, write: bool = False, about: ResourceId | None = None) -> ArmError:
    """`write`: the call may have changed something (a lost answer then says so). `about`: the subscription or
    resource the call was about."""
    if isinstance(exc, TokenRequestFailed):
        error: ArmError = token_error(exc.original)
    elif isinstance(exc, HttpResponseError):
        error = error_from_http(exc)
    elif isinstance(exc, ServiceRequestError | ServiceResponseError):
        error = error_from_connection(exc, write=write)
    else:
        raise exc
    error.about = about
    return error


# --------------------------------------------------------------------------- around every call

Call = TypeVar("Call", bound=Callable[..., Any])


def subject_of(value: object) -> ResourceId | None:
    """A subscription id, an ARM id or a ResourceId -> the ResourceId it names (None when it names none)."""
    if isinstance(value, ResourceId) or value is None:
        return value
    text = str(value)
    if not text.strip("/").lower().startswith("subscriptions/"):
        text = f"/subscriptions/{text}"
    try:
        return ResourceId.parse(text)
    except ValueError:
        return None


def maps_errors(*, write: bool = False, about: str | None = None) -> Callable[[Call], Call]:
    """Azure's exceptions out of the decorated coroutine function or async generator function become the
    domain's (`to_domain`). `about` names the parameter holding what the call is about (a subscription id,
    an ARM id, a ResourceId; `peering.vnet_id` reads an attribute of one): the error names it, and so does an
    `ArmError` the call raised itself without naming anything."""

    def decorate(func: Call) -> Call:
        signature = inspect.signature(func)

        def subject(args: tuple[Any, ...], kwargs: dict[str, Any]) -> ResourceId | None:
            if about is None:
                return None
            name, *attributes = about.split(".")
            value = signature.bind(*args, **kwargs).arguments.get(name)
            for attribute in attributes:
                value = getattr(value, attribute, None)
            return subject_of(value)

        def reraise(exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> NoReturn:
            if isinstance(exc, ArmError):
                exc.about = exc.about or subject(args, kwargs)
                raise exc
            raise to_domain(exc, write=write, about=subject(args, kwargs)) from exc

        if inspect.isasyncgenfunction(func):
            @functools.wraps(func)
            async def pages(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                try:
                    async for item in func(*args, **kwargs):
                        yield item
                except (*AZURE_ERRORS, ArmError) as exc:
                    reraise(exc, args, kwargs)

            return cast(Call, pages)

        @functools.wraps(func)
        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return await func(*args, **kwargs)
            except (*AZURE_ERRORS, ArmError) as exc:
                reraise(exc, args, kwargs)

        return cast(Call, call)

    return decorate
