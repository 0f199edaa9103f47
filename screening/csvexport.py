"""CSV export that spreadsheet programs cannot turn into formulas (CSV/formula injection).

Numbers (int, float, Decimal; not bool) are written as numbers, so a real negative number stays
numeric. Every other value is written as text. If that text starts with "=", "+", "-", "@", a
tab or a carriage return, it gets a leading single quote, so Excel, LibreOffice and Sheets treat
it as plain text. Text such as "-5" is escaped too: only real numbers escape the rule.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def escape_cell(value: object) -> str:
    """Render one value as CSV cell text, quoting away any leading formula trigger."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def to_csv(rows: Iterable[Sequence[object]], *, bom: bool = False) -> str:
    """Render rows as RFC 4180 CSV text with every cell escaped; bom=True helps Excel read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([escape_cell(value) for value in row])
    return (BOM if bom else "") + buffer.getvalue()
