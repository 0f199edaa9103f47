"""CSV export neutralises formula injection and keeps numbers numeric."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from screening.csvexport import escape_cell, to_csv


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_dangerous_prefixes_are_quoted(prefix: str) -> None:
    """Text starting with a formula trigger is prefixed with a single quote."""
    assert escape_cell(prefix + "cmd|' /C calc'!A0") == "'" + prefix + "cmd|' /C calc'!A0"


@pytest.mark.parametrize("text", ["-5", "+1", "=1+1", "@SUM(A1)"])
def test_numeric_looking_text_is_still_escaped(text: str) -> None:
    """Strings are escaped even when they look like numbers."""
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12"), (-3, "-3"), (0.25, "0.25"), (Decimal("-1.5"), "-1.5"), (None, ""), (True, "True")],
)
def test_numbers_stay_numbers(value: object, expected: str) -> None:
    """Real numbers are written as numbers; None is empty; bools are text."""
    assert escape_cell(value) == expected


def test_harmless_text_unchanged() -> None:
    """Ordinary text, markers and non-Latin text pass through."""
    for text in ["Law", "<10", "x", "法学院", "a=b", " =1"]:
        assert escape_cell(text) == text


def test_round_trip_and_line_endings() -> None:
    """Rows come back cell by cell after CSV quoting, with CRLF line ends."""
    rows = [("Faculty", "n"), ('Arts, "Fine"', 12), ("=HYPERLINK(1)", "<10"), ("line\nbreak", -1)]
    text = to_csv(rows)
    assert "\r\n" in text
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed == [
        ["Faculty", "n"],
        ['Arts, "Fine"', "12"],
        ["'=HYPERLINK(1)", "<10"],
        ["line\nbreak", "-1"],
    ]


def test_bom_option() -> None:
    """bom=True prefixes a UTF-8 byte order mark so Excel detects the encoding."""
    assert to_csv([("a",)], bom=True).encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert not to_csv([("a",)]).startswith("\ufeff")
