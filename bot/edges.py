"""Which Teams edge serves /api/messages (BOT_SDK): the outbox proactive work sends through, and the endpoint's
Edge once the router exists. Both edges share the inbound check (`bot/inbound_auth.py`) and the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.adapter import BotbuilderEdge, create_adapter
from bot.agents_edge import AgentsBot, AgentsEdge, AgentsOutbox, create_agents_adapter
from bot.endpoint import Edge
from bot.guest_check import GuestCheck
from bot.inbound_auth import PUBLIC_METADATA_URL, InboundAuth, InboundAuthConfig
from bot.port import Outbox
from bot.routes import Router
from bot.teams_edge import BotbuilderOutbox, TeamsBot
from settings import BotSdk, Settings


@dataclass(frozen=True, slots=True)
class TeamsEdge:
    sdk: BotSdk
    outbox: Outbox
    serve: Callable[[Router, GuestCheck | None], Edge]  # guests None: guests are allowed (ALLOW_GUESTS)


def open_edge(settings: Settings) -> TeamsEdge:
    if settings.bot_sdk is BotSdk.AGENTS:
        agents = create_agents_adapter(settings)
        return TeamsEdge(settings.bot_sdk, AgentsOutbox(agents, app_id=settings.app_id),
                         lambda router, guests: AgentsEdge(agents, AgentsBot(router, guests=guests)))
    adapter = create_adapter(settings)
    return TeamsEdge(settings.bot_sdk, BotbuilderOutbox(adapter, app_id=settings.app_id),
                     lambda router, guests: BotbuilderEdge(adapter, TeamsBot(router, guests=guests)))


def inbound_auth(settings: Settings) -> InboundAuth | None:
    """None in local mode (no Bot registration): requests are not authenticated, on a loopback address only."""
    if settings.local_mode:
        return None
    return InboundAuth(InboundAuthConfig(
        app_id=settings.app_id,
        metadata_url=settings.to_bot_from_channel_openid_metadata_url or PUBLIC_METADATA_URL,
    ))
