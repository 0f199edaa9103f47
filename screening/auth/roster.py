"""Roster CSV parsing (pure) and import (re-import updates instead of duplicating)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening import csvimport
from screening.auth.contact import Contact, set_contact, valid_phone
from screening.auth.models import Faculty, Role, User
from screening.auth.services import (
    create_user,
    find_student,
    get_or_create_cohort,
    get_or_create_faculty,
    person,
    set_personal,
)

COLUMNS = ("student_number", "name", "email", "faculty", "cohort")
#: Optional contact columns: any of them, in any order, after the required ones.
CONTACT_COLUMNS = (
    "phone",
    "emergency_name",
    "emergency_relation",
    "emergency_phone",
    "class",
    "counselor",
    "dorm",
)
_NUMBER = re.compile(r"^[A-Za-z0-9-]{3,32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class RosterRow:
    """One valid roster line."""

    line: int
    student_number: str
    name: str
    email: str
    faculty: str
    cohort: int
    #: Contact data from the optional columns (empty when the file has none).
    contact: Contact = field(default_factory=Contact)
    #: Username of the class counselor (辅导员), empty when not given.
    counselor: str = ""


@dataclass
class RosterParse:
    """Valid rows and, per bad line, its number and reason."""

    rows: list[RosterRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse(text: str) -> RosterParse:
    """Check every line and collect every problem, each with its line number."""
    seen: dict[str, int] = {}
    extra = _contact_header(text)
    rows, errors = csvimport.parse_rows(
        text,
        COLUMNS + extra,
        lambda values, line: _with_contact(values, extra, seen, line),
    )
    return RosterParse(rows, errors)


def _contact_header(text: str) -> tuple[str, ...]:
    """The optional contact columns the header names after the required ones."""
    try:
        header = [h.strip().lower() for h in next(csv.reader(io.StringIO(text)))]
    except (StopIteration, csv.Error):
        return ()
    extra = tuple(header[len(COLUMNS) :])
    known = all(c in CONTACT_COLUMNS for c in extra) and len(set(extra)) == len(extra)
    return extra if tuple(header[: len(COLUMNS)]) == COLUMNS and known else ()


def _with_contact(
    values: list[str], extra: tuple[str, ...], seen: dict[str, int], line: int
) -> RosterRow | str:
    """The required columns through `_check`, then the optional contact columns."""
    if len(values) != len(COLUMNS) + len(extra):
        return f"expected {len(COLUMNS) + len(extra)} columns, found {len(values)}"
    given = dict(zip(extra, (v.strip() for v in values[len(COLUMNS) :]), strict=True))
    for name in ("phone", "emergency_phone"):
        if given.get(name) and not valid_phone(given[name]):
            return f"{name} is not a phone number"
    for name, value in given.items():
        if len(value) > 200:
            return f"{name} is longer than 200 characters"
    row = _check(values[: len(COLUMNS)], seen, line)
    if isinstance(row, str) or not extra:
        return row
    contact = Contact(
        phone=given.get("phone", ""),
        emergency_name=given.get("emergency_name", ""),
        emergency_relation=given.get("emergency_relation", ""),
        emergency_phone=given.get("emergency_phone", ""),
        class_name=given.get("class", ""),
        dorm=given.get("dorm", ""),
    )
    return RosterRow(
        row.line,
        row.student_number,
        row.name,
        row.email,
        row.faculty,
        row.cohort,
        contact=contact,
        counselor=given.get("counselor", ""),
    )


def _check(values: list[str], seen: dict[str, int], line: int) -> RosterRow | str:
    if len(values) != len(COLUMNS):
        return f"expected {len(COLUMNS)} columns, found {len(values)}"
    number, name, email, faculty, cohort = (v.strip() for v in values)
    if not _NUMBER.match(number):
        return "student_number must be 3 to 32 letters, digits or hyphens"
    if number in seen:
        return f"student_number repeats line {seen[number]}"
    if not name or len(name) > 200:
        return "name is empty or longer than 200 characters"
    if email and not _EMAIL.match(email):
        return "email is not an e-mail address"
    if not _CODE.match(faculty):
        return "faculty must be a code of letters, digits, - or _"
    if not cohort.isdigit() or not 1950 <= int(cohort) <= 2100:
        return "cohort must be an entry year such as 2024"
    seen[number] = line
    return RosterRow(line, number, name, email, faculty, int(cohort))


def unknown_counselors(session: Session, rows: list[RosterRow]) -> list[tuple[int, str]]:
    """Lines whose class counselor is not an active staff account, with the reason."""
    names = {r.counselor for r in rows if r.counselor}
    known = set(
        session.scalars(
            select(User.username).where(
                User.username.in_(names), User.role != Role.STUDENT, User.active.is_(True)
            )
        )
    )
    return [
        (r.line, "counselor is not the username of an active staff account")
        for r in rows
        if r.counselor and r.counselor not in known
    ]


def _class_counselors(session: Session, rows: list[RosterRow]) -> dict[str, int]:
    names = {r.counselor for r in rows if r.counselor}
    if not names:
        return {}
    found = session.execute(
        select(User.username, User.id).where(User.username.in_(names), User.role != Role.STUDENT)
    )
    return {str(name): uid for name, uid in found}


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    created: int
    updated: int


def apply(
    session: Session, rows: list[RosterRow], password_hash: str | None = None
) -> ImportResult:
    """Create new students and update known ones (found by blind index); the caller commits."""
    created = updated = 0
    counselors = _class_counselors(session, rows)
    for row in rows:
        faculty = get_or_create_faculty(session, row.faculty)
        cohort = get_or_create_cohort(session, row.cohort)
        user = find_student(session, row.student_number)
        if user is None:
            user = create_user(
                session,
                role=Role.STUDENT,
                student_number=row.student_number,
                name=row.name,
                email=row.email,
                faculty=faculty,
                cohort=cohort,
                password_hash=password_hash,
            )
            created += 1
        else:
            user.faculty, user.cohort = faculty, cohort
            set_personal(session, user, name=row.name, email=row.email)
            updated += 1
        if row.contact or row.counselor:  # a file without contact columns keeps what is there
            set_contact(session, user, row.contact)
            user.class_counselor_id = counselors.get(row.counselor)
    session.flush()
    return ImportResult(created, updated)


def unknown_faculties(
    session: Session, rows: list[RosterRow], create: Collection[str] = ()
) -> list[tuple[int, str]]:
    """Lines naming a faculty code that does not exist, unless it is one the admin will create.

    A typo in a faculty code must not quietly create a faculty nobody serves: the student
    would get no campaign and no counselor. Each such line is an error, found before writing.
    """
    known = set(session.scalars(select(Faculty.code)))
    allowed = known | set(create)
    return [
        (row.line, f"unknown faculty {row.faculty}") for row in rows if row.faculty not in allowed
    ]


def new_faculty_codes(session: Session, rows: list[RosterRow]) -> list[str]:
    """The faculty codes of these rows that do not exist yet, sorted."""
    known = set(session.scalars(select(Faculty.code)))
    return sorted({row.faculty for row in rows} - known)


@dataclass
class RosterPlan:
    """What importing the rows would do, line by line, before anything is written."""

    new: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def plan(session: Session, rows: list[RosterRow]) -> RosterPlan:
    """Sort each row into new, updated or unchanged by comparing it with the stored student."""
    result = RosterPlan()
    for row in rows:
        user = find_student(session, row.student_number)
        if user is None:
            result.new.append(row.line)
            continue
        opened = person(session, user)
        same = (
            opened.name == row.name
            and (opened.email or "") == row.email
            and user.faculty is not None
            and user.faculty.code == row.faculty
            and user.cohort is not None
            and user.cohort.year == row.cohort
        )
        (result.unchanged if same else result.updated).append(row.line)
    return result


def record_import(
    session: Session, actor_id: int | None, result: ImportResult, created: list[str]
) -> None:
    """Audit a roster import (from the web or the command line) with its counts only."""
    from screening.audit.services import append as audit

    audit(
        session,
        actor_id=actor_id,
        action="roster.import",
        target_type="roster",
        reason=f"created={result.created} updated={result.updated}"
        + (f" faculties={','.join(created)}" if created else ""),
    )


def record_preview(session: Session, actor_id: int, rows: int, errors: int) -> None:
    """Audit a roster preview (a file read, nothing written) with its counts only."""
    from screening.audit.services import append as audit

    audit(
        session,
        actor_id=actor_id,
        action="roster.preview",
        target_type="roster",
        reason=f"rows={rows} errors={errors}",
    )
