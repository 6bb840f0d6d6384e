"""The admin endpoint, `/_sandbox/...` (no auth, loopback callers only): counters, fault and timing settings,
and the whole world in scenario format."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

LOOPBACK = ("127.0.0.1", "::1")


class Administered(Protocol):
    def stats(self) -> dict[str, Any]: ...

    def reset_stats(self) -> None: ...

    def admin_config(self) -> dict[str, Any]: ...

    def apply_admin_config(self, data: dict[str, Any]) -> None: ...

    def state(self) -> dict[str, Any]: ...


async def answer_admin(request: web.Request, path: list[str], sandbox: Administered) -> web.Response:
    """`path`: the lower-case segments after `_sandbox`."""
    if request.remote not in LOOPBACK:
        return web.json_response({"error": "the admin endpoint answers loopback callers only"}, status=403)
    if path == ["stats"] and request.method == "GET":
        return web.json_response(sandbox.stats())
    if path == ["faults"] and request.method == "GET":
        return web.json_response(sandbox.admin_config())
    if path == ["faults"] and request.method == "POST":
        try:
            sandbox.apply_admin_config(await request.json())
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(sandbox.admin_config())
    if path == ["reset"] and request.method == "POST":
        sandbox.reset_stats()
        return web.json_response(sandbox.stats())
    if path == ["state"] and request.method == "GET":
        return web.json_response(sandbox.state())
    return web.json_response({"error": "unknown admin endpoint"}, status=404)
