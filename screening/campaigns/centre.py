"""The university's own counselling centre: the first thing a student in crisis reads."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.campaigns.models import CounsellingCentre

log = logging.getLogger(__name__)

#: A phone number as people write it: digits, with an optional leading + and - or spaces.
PHONE = re.compile(r"^\+?[0-9](?:[0-9 \-]{0,28}[0-9])?$")


def phone_ok(text: str) -> bool:
    """Whether text is a callable phone number (at least three digits)."""
    return bool(PHONE.match(text)) and sum(c.isdigit() for c in text) >= 3


def tel(number: str) -> str:
    """The number for a tel: link (digits and a leading +)."""
    return "".join(c for c in number if c.isdigit() or c == "+")


@dataclass(frozen=True)
class Centre:
    """The centre's contact details in both languages."""

    name_zh: str
    name_en: str
    phone: str
    place_zh: str
    place_en: str
    hours_zh: str
    hours_en: str
    after_hours_phone: str = ""

    def text(self, what: str, locale: str) -> str:
        """name, place or hours in the user's language."""
        return str(getattr(self, f"{what}_{'zh' if locale.startswith('zh') else 'en'}"))


def counselling_centre(session: Session) -> Centre | None:
    """The centre as an admin set it, or None until then."""
    row = session.scalar(select(CounsellingCentre).order_by(CounsellingCentre.id).limit(1))
    if row is None:
        return None
    return Centre(**{f.name: getattr(row, f.name) for f in fields(Centre)})


def counselling_centre_or_none(session: Session) -> Centre | None:
    """The centre, or None when it cannot be read: the crisis page must render regardless.

    Read in a savepoint, so a failure here never rolls back (or commits) the request's work.
    """
    try:
        with session.begin_nested():
            return counselling_centre(session)
    except Exception:
        log.exception("counselling centre unreadable; the crisis page shows the national lines")
        return None


def save_counselling_centre(session: Session, centre: Centre, admin_id: int) -> None:
    """Replace the centre's details (both languages at once); audited."""
    if not (
        phone_ok(centre.phone)
        and (not centre.after_hours_phone or phone_ok(centre.after_hours_phone))
    ):
        raise ValueError("not a phone number")
    row = session.scalar(select(CounsellingCentre).order_by(CounsellingCentre.id).limit(1))
    if row is None:
        row = CounsellingCentre()
        session.add(row)
    for f in fields(Centre):
        setattr(row, f.name, getattr(centre, f.name))
    audit(session, actor_id=admin_id, action="counselling_centre.edit", target_type="settings")
    session.flush()
