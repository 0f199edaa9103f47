"""The risk register (清单/台账): every case in a user's scope, open and closed, with who is
responsible, due and overdue status and outcome; no student identity and no clinical detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case as when_then
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.models import Faculty, User
from screening.auth.services import person
from screening.cases.measures import CaseFacts
from screening.cases.models import Case
from screening.cases.services import scoped
from screening.keys.services import vault_of

COLUMNS = (
    "case",
    "faculty",
    "kind",
    "tier",
    "status",
    "opened",
    "age_days",
    "responsible",
    "due",
    "overdue",
    "escalation",
    "outcome",
    "closed_by",
    "signed_off_by",
    "closed",
)


@dataclass(frozen=True)
class Entry:
    """One line of the register."""

    case: Case
    faculty: str
    responsible: str
    closed_by: str
    signed_off_by: str
    overdue: bool
    age_days: int


def overdue(case: Case, now: datetime) -> bool:
    """Open, no first contact yet and past its due time."""
    return case.status == "open" and case.acknowledged_at is None and case.due_at < now


def staff_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Display names of staff members (their usernames when no name is on file)."""
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    vault_of(session).load_keys(session, wanted)
    users = session.scalars(select(User).where(User.id.in_(wanted)))
    return {u.id: (str(person(session, u).name or "") or u.username or str(u.id)) for u in users}


def entries(session: Session, user: User, now: datetime) -> list[Entry]:
    """The register lines the user may see, oldest first."""
    cases = list(session.scalars(select(Case).where(scoped(user)).order_by(Case.opened_at)))
    names = staff_names(
        session, {i for c in cases for i in (c.assignee_id, c.closed_by, c.signed_off_by)}
    )
    faculties = {f.id: f.code for f in session.scalars(select(Faculty))}
    return [
        Entry(
            case=c,
            faculty=faculties.get(c.faculty_id, ""),
            responsible=names.get(c.assignee_id or 0, ""),
            closed_by=names.get(c.closed_by or 0, ""),
            signed_off_by=names.get(c.signed_off_by or 0, ""),
            overdue=overdue(c, now),
            age_days=((c.closed_at or now) - c.opened_at).days,
        )
        for c in cases
    ]


def facts(entries_: list[Entry]) -> list[CaseFacts]:
    """The measures' view of register lines."""
    return [
        CaseFacts(
            tier=e.case.tier,
            faculty=e.faculty,
            opened_at=e.case.opened_at,
            due_at=e.case.due_at,
            acknowledged_at=e.case.acknowledged_at,
            closed=e.case.status == "closed",
            kind=e.case.kind,
        )
        for e in entries_
    ]


#: Hours from opening to first contact, in bands: (key, upper bound in hours or None).
CONTACT_BANDS = (("1h", 1), ("24h", 24), ("72h", 72), ("more", None))


def contact_band(opened_at: datetime, acknowledged_at: datetime | None) -> str:
    """The band of hours to first contact, "" when there was none."""
    if acknowledged_at is None:
        return ""
    hours = (acknowledged_at - opened_at).total_seconds() / 3600
    return next(key for key, limit in CONTACT_BANDS if limit is None or hours <= limit)


def handling_cells(session: Session, now: datetime) -> dict[tuple[int, str, str, str, bool], int]:
    """Cases per (faculty id, tier, handling state, contact band, still open): what a statistics
    release publishes. Plain columns only; read by the worker, never per page view."""
    contacted = Case.acknowledged_at.is_not(None)
    state = when_then(
        (contacted & (Case.acknowledged_at <= Case.due_at), "within_time"),
        (contacted, "late"),
        (Case.status == "closed", "closed_uncontacted"),
        (Case.due_at < now, "overdue"),
        else_="waiting",
    )
    columns = (Case.faculty_id, Case.tier, state, Case.opened_at, Case.acknowledged_at, Case.status)
    cells: dict[tuple[int, str, str, str, bool], int] = {}
    for faculty, tier, st, opened, acknowledged, status in session.execute(select(*columns)):
        key = (faculty, tier, st, contact_band(opened, acknowledged), status != "closed")
        cells[key] = cells.get(key, 0) + 1
    return cells


def record_view(session: Session, user: User, fmt: str | None = None) -> None:
    """Audit a reading of the register: on the page, or exported as `fmt` (csv, xlsx)."""
    if fmt is None:
        audit(session, actor_id=user.id, action="register.view", target_type="register")
    else:
        audit(
            session, actor_id=user.id, action="register.export", target_type="register", reason=fmt
        )
