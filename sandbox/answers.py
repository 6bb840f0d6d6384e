"""The shape of ARM's answers: its headers, paged lists with an absolute `nextLink`, opaque tokens."""

from __future__ import annotations

import base64
import json
import math
import uuid
from typing import Any

from aiohttp import web

from sandbox.errors import ArmFailure

PAGE_SIZE = 1000


def arm_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {
        "x-ms-request-id": str(uuid.uuid4()),
        "x-ms-correlation-request-id": str(uuid.uuid4()),
        "Cache-Control": "no-cache",
        "Pragma": "no-cache",
        "Expires": "-1",
    }
    if extra:
        headers.update(extra)
    return headers


def json_answer(body: Any, status: int = 200, extra: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=arm_headers(extra))


def failure_answer(failure: ArmFailure) -> web.Response:
    return json_answer(failure.body, failure.status, failure.headers)


def seconds_header(seconds: float) -> str:
    # ARM sends whole seconds; below one second the exact wait keeps clients fast (azure-core reads floats).
    return str(math.ceil(seconds)) if seconds >= 1 else f"{max(seconds, 0.001):.3f}"


def encode_token(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_token(value: str) -> dict[str, Any]:
    try:
        return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ArmFailure(400, "InvalidSkipToken", f"The skip token '{value}' is invalid.") from exc


def page(request: web.Request, items: list[Any], base_url: str) -> dict[str, Any]:
    """One page of a list (`$top`, at most 1000) and, when more follow, a `nextLink` on the sandbox's address."""
    top = request.query.get("$top")
    size = min(int(top), PAGE_SIZE) if top and top.isdigit() and int(top) > 0 else PAGE_SIZE
    offset = int(decode_token(request.query["$skiptoken"]).get("o", 0)) if "$skiptoken" in request.query else 0
    body: dict[str, Any] = {"value": items[offset: offset + size]}
    if offset + size < len(items):
        query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = encode_token({"o": offset + size})
        body["nextLink"] = str(request.url.with_query(query)).replace(
            f"{request.url.scheme}://{request.url.host}:{request.url.port}", base_url, 1)
    return body
