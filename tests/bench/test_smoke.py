"""A small run of the move benchmark's code, so `make bench` does not rot between runs (figures are not
checked here: benchmarks print them, they are not timed tests)."""

from __future__ import annotations

import pytest

from tests.bench.bench_fairness import one as fairness
from tests.bench.bench_moves import one

pytestmark = pytest.mark.bench


async def test_move_benchmark_moves_every_group_and_reports_its_figures():
    figures = await one(4, move_seconds=0.3, parallel=250, validate_seconds=0.1, poll_interval=0.1)
    assert figures["succeeded"] and figures["moved"] == 12
    assert figures["source_writes"] == 8 and figures["target_writes"] == 4  # validate + move; create
    assert figures["floor"] == 0.3 and figures["wall"] > figures["floor"]
    assert figures["peak_rss_mib"] > 0 and figures["traced_mib"] > 0


async def test_fairness_benchmark_serves_the_other_customer_within_the_burst():
    figures = await fairness(12, workers=2)
    assert figures["refused"] == 7, "the default bounds admit five of one person's asks"
    assert figures["retry_after"] >= 30
    # First come, first served, all 12 would end first; in turn, at most the runs on their way and one more.
    assert figures["other_wait"] < figures["burst_wall"] and figures["ahead_of_other"] <= 4
