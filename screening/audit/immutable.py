"""PostgreSQL refuses UPDATE and DELETE on audit entries: a trigger, installed with the schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, text

from screening.audit.models import AuditEntry

TRIGGER = "audit_entries_append_only"
_DDL = (
    f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON audit_entries",
    f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()
""",
)


def install(connection: Connection) -> None:
    """Create (or replace) the trigger; nothing on SQLite, where the file's owner is the app."""
    if connection.dialect.name != "postgresql":
        return
    for statement in _DDL:
        connection.execute(text(statement))


def installed(connection: Connection) -> bool | None:
    """Whether the trigger guards audit_entries (None on SQLite, which has no such guard)."""
    if connection.dialect.name != "postgresql":
        return None
    found = connection.execute(
        text(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = :name "
            "AND tgrelid = 'audit_entries'::regclass"
        ),
        {"name": TRIGGER},
    ).scalar()
    return found is not None and found != "D"


def _after_create(_table: Any, connection: Connection, **_kw: Any) -> None:
    install(connection)


# create_all (tests, `init` on an empty database) gets the trigger with the table; migrations
# install it from the Alembic environment after upgrading.
event.listen(AuditEntry.__table__, "after_create", _after_create)
