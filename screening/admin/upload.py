"""Reading an uploaded roster (CSV or XLSX) and showing its problems in the admin's language."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Callable

from flask_babel import gettext as _

from screening import csvimport


def to_text(filename: str, data: bytes) -> str:
    """The upload as CSV text: XLSX's first sheet, or CSV decoded; ValueError when unreadable."""
    if filename.lower().endswith(".xlsx"):
        return _xlsx_text(data)
    return csvimport.decode(data)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2024.0 from a spreadsheet is the year 2024
    return str(value)


def _xlsx_text(data: bytes) -> str:
    from zipfile import BadZipFile

    import openpyxl  # loaded on first use: start-up stays fast

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValueError("the file is not a readable XLSX workbook") from exc
    sheet = book.worksheets[0]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in sheet.iter_rows(values_only=True):
        writer.writerow([_cell(v).replace("\n", " ") for v in row])
    book.close()
    return out.getvalue()


def digest(secret: str, data: bytes) -> str:
    """A keyed digest of the previewed file: the confirmation must upload the same bytes."""
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


_REASONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^expected (\d+) columns, found (\d+)$"),
        lambda m: _("expected %(n)s columns, found %(m)s", n=m[1], m=m[2]),
    ),
    (
        re.compile(r"^student_number must be 3 to 32 letters, digits or hyphens$"),
        lambda m: _("the student number must be 3 to 32 letters, digits or hyphens"),
    ),
    (
        re.compile(r"^student_number repeats line (\d+)$"),
        lambda m: _("the student number repeats line %(n)s", n=m[1]),
    ),
    (
        re.compile(r"^name is empty or longer than 200 characters$"),
        lambda m: _("the name is empty or longer than 200 characters"),
    ),
    (
        re.compile(r"^email is not an e-mail address$"),
        lambda m: _("the e-mail is not an e-mail address"),
    ),
    (
        re.compile(r"^faculty must be a code of letters, digits, - or _$"),
        lambda m: _("the faculty must be a code of letters, digits, - or _"),
    ),
    (
        re.compile(r"^cohort must be an entry year such as 2024$"),
        lambda m: _("the cohort must be an entry year such as 2024"),
    ),
    (
        re.compile(r"^unknown faculty (.+)$"),
        lambda m: _(
            "unknown faculty %(code)s: correct the code, or tick “Create these faculties”",
            code=m[1],
        ),
    ),
    (
        re.compile(r"^phone is not a phone number$"),
        lambda m: _("the phone is not a phone number"),
    ),
    (
        re.compile(r"^emergency_phone is not a phone number$"),
        lambda m: _("the emergency contact's phone is not a phone number"),
    ),
    (
        re.compile(r"^(\w+) is longer than 200 characters$"),
        lambda m: _("the column %(column)s is longer than 200 characters", column=m[1]),
    ),
    (
        re.compile(r"^counselor is not the username of an active staff account$"),
        lambda m: _("the class counselor is not the username of an active staff account"),
    ),
    (re.compile(r"^the file is empty$"), lambda m: _("the file is empty")),
    (re.compile(r"^unreadable CSV: (.*)$"), lambda m: _("unreadable CSV (%(why)s)", why=m[1])),
    (
        re.compile(r"^the header must be: (.*)$"),
        lambda m: _("the first line must name the columns: %(columns)s", columns=m[1]),
    ),
    (
        re.compile(r"^the file is not UTF-8 text; save it as CSV UTF-8$"),
        lambda m: _("the file is not UTF-8 text; save it as “CSV UTF-8”"),
    ),
    (
        re.compile(r"^the file is not a readable XLSX workbook$"),
        lambda m: _("the file is not a readable XLSX workbook"),
    ),
]


def reason_text(reason: str) -> str:
    """A parser's reason in the admin's language (the reason as given when it is new)."""
    for pattern, text in _REASONS:
        match = pattern.match(reason)
        if match:
            return text(match)
    return reason
