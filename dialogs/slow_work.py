"""Slow work behind a card (an assessment, a move's planning, Azure's dry run): the click or command is
answered at once with a progress card, the work runs after the turn, and its card replaces the progress
card in place. Azure's refusals become cards that say what to do; a restart in the middle leaves a card
that says so (`dialogs/background.py`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.port import Card, ConversationReference
from bot.proactive import LiveCard, Proactive
from cards.messages import error_card
from dialogs.background import BackgroundWork
from dialogs.replies import azure_error_card, busy_card, not_found_card
from dialogs.tenants import TenantCards
from migration.application.assessment_queue import AssessmentsBusy
from migration.model import ArmError, NotFound, ResourceId, TenantAccessDenied

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[Card]]


class SlowWork:
    def __init__(self, *, proactive: Proactive, background: BackgroundWork, tenants: TenantCards) -> None:
        self._proactive = proactive
        self._background = background
        self._tenants = tenants

    def live_card(self, reference: ConversationReference, card_id: str) -> LiveCard:
        return self._proactive.live_card(reference, card_id)

    def start(self, reference: ConversationReference, card_id: str, work: Work, *, name: str, tenant: str,
              subscription_id: str, what: str, again: Mapping[str, Any], live: LiveCard | None = None) -> None:
        """Run `work` after the turn (a job named `name`); its card goes where the card `card_id` stands.
        With `live`, the work's progress updates go through it, and none of them lands after the final card."""
        self._proactive.spawn(self._finish(reference, card_id, work, tenant=tenant, subscription_id=subscription_id,
                                           what=what, again=again, live=live), name=name)

    async def _finish(self, reference: ConversationReference, card_id: str, work: Work, *, tenant: str,
                      subscription_id: str, what: str, again: Mapping[str, Any], live: LiveCard | None) -> None:
        live = live or self._proactive.live_card(reference, card_id)
        try:
            card = await self._background.run(reference, live, work, what=what, again=again)
        except AssessmentsBusy as busy:
            card = busy_card(busy, retry_verb=str(again["verb"]), retry_data=dict(again["data"]))
        except TenantAccessDenied as exc:
            card = await self._tenants.denied(tenant, exc)
        except NotFound as exc:
            card = not_found_card(exc.about or ResourceId(subscription_id))
        except ArmError as error:
            card = azure_error_card(error)
        except Exception:
            log.exception("background work for %s failed", subscription_id)
            card = error_card(
                "That stopped unexpectedly. Nothing was changed.", "Try again in a minute.", title="Sorry"
            )
        await live.finish(card)
