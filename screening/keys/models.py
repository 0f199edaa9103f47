"""Key material kept in the database: wrapped data keys, KEK check values, the shred ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.db import Base, utcnow


class SubjectKey(Base):
    """A person's data key, wrapped by a key-encryption key; shredding deletes the wrapped key."""

    __tablename__ = "subject_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kek_id: Mapped[str | None] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    shredded_at: Mapped[datetime | None] = mapped_column()


class KekCheck(Base):
    """The check value of each key-encryption key: detects a wrong key ring without storing it."""

    __tablename__ = "kek_checks"

    kek_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    check_value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()


class ShredRecord(Base):
    """A crypto-shredding that happened; re-applied after a backup is restored."""

    __tablename__ = "shred_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    shredded_at: Mapped[datetime] = mapped_column(default=utcnow)
