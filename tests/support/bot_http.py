"""Fixtures that run the real bot application on a free port and a capture server standing in for the
Bot Connector (the `serviceUrl` every activity carries), so tests talk HTTP exactly as Teams does."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from app import GATEWAY, create_app
from migration.azure.ports import AzureGateway
from settings import BotSdk, Settings, load_settings


@dataclass
class Connector:
    """Records what the bot sends; answers like the Bot Connector service."""

    url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)  # new activities (POST)
    updated: list[dict[str, Any]] = field(default_factory=list)  # card updates (PUT), in the order they land
    # Seconds each next card update takes to land (popped per PUT): Teams shows whichever lands last.
    put_delays: list[float] = field(default_factory=list)
    # Seconds each new message takes to land (the turn that sends it waits as long).
    post_delay: float = 0.0
    # Messages Teams has lost (a chat cleared, a message deleted): their updates get Teams' 404.
    gone: set[str] = field(default_factory=set)
    lose_next_card: bool = False  # the next card posted is lost as soon as it is shown
    refused_updates: list[str] = field(default_factory=list)  # the ids of updates answered 404
    authorizations: list[str] = field(default_factory=list)  # each POST's and PUT's Authorization header
    guests: set[str] = field(default_factory=set)  # Teams ids (29:...) the roster calls guests
    roster_asked: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for act in self.sent for a in act.get("attachments") or [] if "content" in a]

    def texts(self) -> list[str]:
        return [act["text"] for act in self.sent if act.get("text")]

    async def wait_for(self, count: int, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        async def enough() -> None:
            while len(self.sent) < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.sent

    def clear(self) -> None:
        self.sent.clear()
        self.updated.clear()


def _connector_app(connector: Connector) -> web.Application:
    async def post_activity(request: web.Request) -> web.Response:
        connector.authorizations.append(request.headers.get("Authorization", ""))
        body = await request.json()
        if connector.post_delay and body.get("type") == "message":
            await asyncio.sleep(connector.post_delay)
        body["_conversation"] = request.match_info["conversation"]
        connector.sent.append(body)
        connector._arrived.set()
        activity_id = f"activity-{next(connector._ids)}"
        if connector.lose_next_card and body.get("attachments"):
            connector.lose_next_card = False
            connector.gone.add(activity_id)
        return web.json_response({"id": activity_id})

    async def put_activity(request: web.Request) -> web.Response:
        connector.authorizations.append(request.headers.get("Authorization", ""))
        body = await request.json()
        if request.match_info["activity"] in connector.gone:
            connector.refused_updates.append(request.match_info["activity"])
            return web.json_response({"error": {"code": "ActivityNotFoundInConversation",
                                                "message": "The activity was not found."}}, status=404)
        if connector.put_delays:
            await asyncio.sleep(connector.put_delays.pop(0))
        body["_activity_id"] = request.match_info["activity"]
        connector.updated.append(body)
        connector._arrived.set()
        return web.json_response({"id": request.match_info["activity"]})

    async def member(request: web.Request) -> web.Response:
        # The roster, as Teams answers it (TeamsChannelAccount): guests say so in userRole.
        who = request.match_info["member"]
        connector.roster_asked.append(who)
        return web.json_response({"id": who, "name": "Member",
                                  "userRole": "guest" if who in connector.guests else "user"})

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities", post_activity)
    app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", post_activity)
    app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", put_activity)
    app.router.add_get("/v3/conversations/{conversation}/members/{member}", member)
    return app


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def connector() -> AsyncIterator[Connector]:
    conn = Connector()
    runner, conn.url = await _serve(_connector_app(conn))
    yield conn
    await runner.cleanup()


@dataclass
class RunningBot:
    url: str
    settings: Settings
    runner: web.AppRunner
    session: aiohttp.ClientSession
    stopped: bool = False

    async def post(
        self, activity: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        response = await self.session.post(f"{self.url}/api/messages", json=activity, headers=headers)
        await response.read()
        return response

    def app_gateway(self) -> AzureGateway:
        """The app's own Azure gateway, to check what really happened in the (sandbox) subscription."""
        return self.runner.app[GATEWAY]

    async def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            await self.runner.cleanup()


BotFactory = Callable[..., Any]


@pytest.fixture
def edge() -> str:
    """The Teams edge the bot runs on (BOT_SDK). botbuilder here; tests/bot runs its HTTP suite on both."""
    return BotSdk.BOTBUILDER.value


@pytest.fixture
async def start_bot(tmp_path: Path, edge: str) -> AsyncIterator[BotFactory]:
    """`bot = await start_bot(ENV=...)`: the real app on a free port; call again to 'restart' it on the
    same database (env overrides are Bot settings names). It runs on the `edge` fixture's Teams edge."""
    running: list[RunningBot] = []
    session = aiohttp.ClientSession()

    async def start(**env: str) -> RunningBot:
        values = {"STORAGE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "HOST": "127.0.0.1", "PORT": "0",
                  "BOT_SDK": edge}
        values.update(env)
        settings = load_settings(values)
        runner, url = await _serve(create_app(settings))
        bot = RunningBot(url, settings, runner, session)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        await bot.stop()
    await session.close()
