"""The one CSV writer: OWASP's rule on every cell, whatever export writes it."""

from __future__ import annotations

import csv
import io

import pytest

from migration.reports import csv_cells

STARTS = ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"]


@pytest.mark.parametrize("start", STARTS)
def test_a_cell_that_a_spreadsheet_would_compute_gets_a_leading_quote(start: str) -> None:
    value = f"{start}HYPERLINK(\"https://example.invalid\",\"x\")"
    [header, row] = list(csv.reader(io.StringIO(csv_cells.to_csv(["a", "=b"], [[value, "plain"]]))))
    assert header == ["a", "'=b"] and row == ["'" + value, "plain"]


def test_other_cells_are_kept_as_they_are() -> None:
    for value in ("rg-app", "a=b", "x@y", "", "'already"):
        assert csv_cells.cell(value) == value
