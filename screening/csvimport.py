"""Reading an uploaded CSV file line by line, collecting every problem with its line number."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def decode(data: bytes) -> str:
    """Decode UTF-8 with or without a BOM (as Excel writes it); raise ValueError otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("the file is not UTF-8 text; save it as CSV UTF-8") from exc


def parse_rows(
    text: str, columns: Sequence[str], check: Callable[[list[str], int], T | str]
) -> tuple[list[T], list[tuple[int, str]]]:
    """Check the header, then every non-blank line; `check` returns a row or a reason."""
    rows: list[T] = []
    errors: list[tuple[int, str]] = []
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return rows, [(1, "the file is empty")]
    except csv.Error as exc:
        return rows, [(1, f"unreadable CSV: {exc}")]
    if tuple(header) != tuple(columns):
        return rows, [(1, "the header must be: " + ",".join(columns))]
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            checked = check(values, reader.line_num)
            if isinstance(checked, str):
                errors.append((reader.line_num, checked))
            else:
                rows.append(checked)
    except csv.Error as exc:
        errors.append((reader.line_num, f"unreadable CSV: {exc}"))
    return rows, errors
