"""A small run of the move benchmark's code, so `make bench` does not rot between runs (figures are not
checked here: benchmarks print them, they are not timed tests)."""

from __future__ import annotations

import pytest

from tests.bench.bench_moves import one

pytestmark = pytest.mark.bench


async def test_move_benchmark_moves_every_group_and_reports_its_figures():
    figures = await one(4, move_seconds=0.3, parallel=250, validate_seconds=0.1, poll_interval=0.1)
    assert figures["succeeded"] and figures["moved"] == 12
    assert figures["source_writes"] == 8 and figures["target_writes"] == 4  # validate + move; create
    assert figures["floor"] == 0.3 and figures["wall"] > figures["floor"]
    assert figures["peak_rss_mib"] > 0 and figures["traced_mib"] > 0
