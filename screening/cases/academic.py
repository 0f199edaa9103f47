"""Academic signals from the registrar: parse a CSV, apply thresholds, open advisors' cases.

The registrar's values are sensitive; they are not stored anywhere except inside the sealed
reason of the case event they open or join. Thresholds come from config CASE_ACADEMIC_THRESHOLDS
(failed_credits >= X, gpa < Y, absences >= Z). One reason makes a moderate case, two or more a
high one; the case goes to an academic advisor serving the student's faculty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from screening import csvimport
from screening.audit.services import append as audit
from screening.auth.models import Role, User
from screening.auth.services import find_student
from screening.cases.intake import open_or_raise

COLUMNS = ("student_number", "term", "failed_credits", "gpa", "absences")
DEFAULT_THRESHOLDS = {"failed_credits": 10, "gpa": 2.0, "absences": 15}
_TERM = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class AcademicRow:
    """One valid registrar line."""

    line: int
    student_number: str
    term: str
    failed_credits: float
    gpa: float
    absences: int


@dataclass
class AcademicParse:
    """Valid rows and, per bad line, its number and reason."""

    rows: list[AcademicRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse(text: str) -> AcademicParse:
    """Check every line and collect every problem, each with its line number."""
    seen: dict[tuple[str, str], int] = {}
    rows, errors = csvimport.parse_rows(
        text, COLUMNS, lambda values, line: _check(values, seen, line)
    )
    return AcademicParse(rows, errors)


def _number(text: str, name: str, low: float, high: float) -> float | str:
    try:
        value = float(text)
    except ValueError:
        return f"{name} must be a number"
    if not low <= value <= high:
        return f"{name} must be between {low:g} and {high:g}"
    return value


def _check(values: list[str], seen: dict[tuple[str, str], int], line: int) -> AcademicRow | str:
    if len(values) != len(COLUMNS):
        return f"expected {len(COLUMNS)} columns, found {len(values)}"
    number, term, failed, gpa, absences = (v.strip() for v in values)
    if not re.match(r"^[A-Za-z0-9-]{3,32}$", number):
        return "student_number must be 3 to 32 letters, digits or hyphens"
    if not _TERM.match(term):
        return "term must be a code such as 2025-2026-1"
    if (number, term) in seen:
        return f"student_number and term repeat line {seen[number, term]}"
    checked = [
        _number(failed, "failed_credits", 0, 300),
        _number(gpa, "gpa", 0, 5),
        _number(absences, "absences", 0, 1000),
    ]
    problems = [c for c in checked if isinstance(c, str)]
    if problems:
        return "; ".join(problems)
    failed_n, gpa_n, absences_n = (float(c) for c in checked)
    if absences_n != int(absences_n):
        return "absences must be a whole number"
    seen[number, term] = line
    return AcademicRow(line, number, term, failed_n, gpa_n, int(absences_n))


def reasons(row: AcademicRow, thresholds: Mapping[str, float]) -> list[str]:
    """Which thresholds the row crosses, as codes (empty: no case)."""
    t = {**DEFAULT_THRESHOLDS, **thresholds}
    found = []
    if row.failed_credits >= t["failed_credits"]:
        found.append("failed_credits")
    if row.gpa < t["gpa"]:
        found.append("gpa")
    if row.absences >= t["absences"]:
        found.append("absences")
    return found


def students(
    session: Session, rows: list[AcademicRow]
) -> tuple[dict[int, User], list[tuple[int, str]]]:
    """The student of every row (by line), and an error for each unknown student number."""
    found: dict[int, User] = {}
    errors: list[tuple[int, str]] = []
    for row in rows:
        user = find_student(session, row.student_number)
        if user is None or user.role != Role.STUDENT:
            errors.append((row.line, "no student with this student_number"))
        else:
            found[row.line] = user
    return found, errors


@dataclass(frozen=True)
class AcademicResult:
    """What an import did."""

    rows: int
    flagged: int


def apply(
    session: Session,
    rows: list[AcademicRow],
    found: Mapping[int, User],
    thresholds: Mapping[str, float],
    now: datetime | None = None,
    *,
    actor_id: int | None = None,
    skipped: int = 0,
) -> AcademicResult:
    """Open or join an academic case for every row crossing a threshold; audited as one import
    (by `actor_id`, None for the command line, with `skipped` bad rows left out)."""
    flagged = 0
    for row in rows:
        student = found.get(row.line)
        crossed = reasons(row, thresholds)
        if student is None or not crossed:
            continue
        source = {
            "signal": "academic",
            "term": row.term,
            "failed_credits": row.failed_credits,
            "gpa": row.gpa,
            "absences": row.absences,
            "reasons": crossed,
        }
        tier = "high" if len(crossed) >= 2 else "moderate"
        open_or_raise(session, student=student, kind="academic", tier=tier, source=source, now=now)
        flagged += 1
    session.flush()
    audit(
        session,
        actor_id=actor_id,
        action="academic.import",
        target_type="registrar",
        reason=f"{len(rows)} rows, {flagged} flagged, {skipped} skipped",
    )
    return AcademicResult(len(rows), flagged)
