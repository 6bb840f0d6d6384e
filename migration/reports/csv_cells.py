"""The one CSV writer of every export: each cell kept as text by a spreadsheet, never run as a formula.

OWASP's rule for CSV injection (owasp.org/www-community/attacks/CSV_Injection): a cell that begins with
`=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets; such a
cell gets a leading `'`, which they read as "text" (and show without it). A line feed and the full-width
forms `＝ ＋ － ＠` (U+FF1D, U+FF0B, U+FF0D, U+FF20), which some spreadsheets take for their ASCII twins,
are treated alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Header and rows as CSV (RFC 4180 quoting, CRLF line ends), every cell through `cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()
