"""How a move request is stored: its JSON round trips, and the ids people type or copy find it."""

from __future__ import annotations

from migration.execution.stored import normalize_id, stored_from_json, stored_to_json
from migration.execution.workflow import Workflow
from tests.support.moves import submit_sample


async def test_serialization_round_trips(workflow: Workflow):
    stored = await submit_sample(workflow)
    assert stored_from_json(stored_to_json(stored), stored.etag) == stored


def test_an_id_as_typed_or_copied_from_a_card_is_the_stored_id():
    assert normalize_id(" mr-abc234 ") == "MR-ABC234"
    assert normalize_id("AB12CD") == "MR-AB12CD"
    assert normalize_id("MR\u2011ABC234") == "MR-ABC234", "an id copied from a card (non-breaking hyphen)"
