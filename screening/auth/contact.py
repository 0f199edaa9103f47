"""A student's contact data (phone, emergency contact, class, dorm): sealed, phone indexed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.auth.models import User
from screening.crypto import blind
from screening.keys.services import vault_of

_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,22}$")


@dataclass(frozen=True)
class Contact:
    """The opened contact fields of one student; empty strings where the roster had none."""

    phone: str = ""
    emergency_name: str = ""
    emergency_relation: str = ""
    emergency_phone: str = ""
    class_name: str = ""
    dorm: str = ""

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def valid_phone(value: str) -> bool:
    """A phone number people can dial: digits with spaces, hyphens, brackets, a leading +."""
    text = unicodedata.normalize("NFKC", value).strip()
    digits = sum(c.isdigit() for c in text)
    return bool(_PHONE.match(text)) and 5 <= digits <= 15


def dial(value: str) -> str:
    """The number as a tel: link target (digits and a leading +)."""
    text = unicodedata.normalize("NFKC", value).strip()
    return ("+" if text.startswith("+") else "") + "".join(c for c in text if c.isdigit())


def set_contact(session: Session, user: User, contact: Contact) -> None:
    """Seal the contact fields into the user's row and refresh the phone's blind index."""
    vault = vault_of(session)
    if user.id is None:
        session.flush()
    if not contact:
        user.contact_sealed, user.phone_index = None, None
        return
    vault.seal(session, user.id, user, {User.contact_sealed: asdict(contact)})
    user.phone_index = vault.index(blind.PHONE, contact.phone) if contact.phone else None


def contact_of(session: Session, user: User) -> Contact:
    """Open a user's contact fields (callers showing them to staff must audit the view)."""
    data = vault_of(session).open(session, user.id, User.contact_sealed, user)
    if not data:
        return Contact()
    known = {f.name for f in fields(Contact)}
    return Contact(**{k: str(v) for k, v in data.items() if k in known})


def phone_index(session: Session, phone: str) -> str | None:
    """The blind index of a phone number as typed (None when it is no phone number)."""
    try:
        return vault_of(session).index(blind.PHONE, phone)
    except ValueError:
        return None


def students_by_phone(session: Session, phone: str) -> list[User]:
    """Students with this phone number, found without decrypting anyone."""
    index = phone_index(session, phone)
    if index is None:
        return []
    return list(session.scalars(select(User).where(User.phone_index == index)))
