"""Database engine, typed declarative base, and the one unit of work per request or batch.

The unit of work
----------------
Each request has one session (`session()`) and one transaction, committed in one place:
`unit_of_work`, which wraps every view (`wrap_views`). It commits after the view returns and
rolls back when the view raises (`abort()` included); what a request hook or an error handler
writes after that (the audit entry of a refused request) is committed as the response leaves.
A response the view *returned* is the view's decision and is committed whatever its status: a
failed log-in (401) keeps its audit entry and throttling, a refused questionnaire page (422)
keeps its draft. A view that must drop what it wrote so far before answering (a domain error
after partial writes) calls `discard`. Services take the session, `flush()`, and never commit.
CLI commands and worker batches use the same `transaction` helper, one per batch (`work(app)`
opens a session for one).

On SQLite a GET reads in a snapshot that takes no lock; a GET that writes says so with one
explicit mark, `for_writing(session)`, placed right before its writing part, so the writer lock
is held from that mark to the commit and not while the page reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, func, select, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from screening.sqlite_writer import QueuedConnection

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC; the app's only clock for stored times."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and returns them aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use screening.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations name things stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


#: Requests that only read: on SQLite they run in a deferred (snapshot) transaction.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLAC"})


def _reading_request() -> bool:
    """Whether the transaction about to begin serves a GET that has not asked to write."""
    return (
        has_request_context() and request.method in _SAFE_METHODS and not g.get("db_writes", False)
    )


def for_writing(db_session: Session) -> None:
    """Let this GET request write (audit entries of views, sign-in callbacks).

    On SQLite a GET reads in a deferred transaction, which takes no write lock and lets other
    requests write meanwhile; such a snapshot cannot safely turn into a write transaction.
    This ends it (it wrote nothing) and makes the session's next transaction a write one.
    Elsewhere, and on PostgreSQL, it changes nothing.
    """
    if not has_request_context() or g.get("db_writes", False):
        return
    g.db_writes = True
    if db_session.in_transaction() and db_session.connection().info.get("reading"):
        complete(db_session)


def next_id(db_session: Session, model: type[Base]) -> int:
    """Allocate the integer primary key of a row before inserting it.

    Sealed values bind their row id into the associated data, so knowing the id first lets the
    row be inserted once, sealed, instead of inserted and then updated. PostgreSQL takes the
    next value of the column's sequence; SQLite, whose writers are serialised by the write
    transaction this runs in, takes one past the largest id (what it would assign itself).
    """
    table = model.__table__
    if db_session.get_bind().dialect.name == "postgresql":
        sequence = text("SELECT nextval(pg_get_serial_sequence(:table, 'id'))")
        allocated = db_session.scalar(sequence, {"table": table.name})  # type: ignore[attr-defined]
    else:
        highest = func.max(table.c.id)
        allocated = db_session.scalar(select(func.coalesce(highest, 0) + 1))
    if allocated is None:
        raise RuntimeError(f"no id allocated for {table}")
    return int(allocated)


def make_engine(url: str, echo: bool = False, *, immediate: bool = True) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout on every connection.

    With immediate=False a SQLite connection runs each statement in its own transaction;
    tests use that to look at the database between requests without holding a lock.
    """
    if url.startswith("sqlite"):
        connect_args: dict[str, Any] = {"timeout": 30}
        if immediate:
            connect_args["factory"] = QueuedConnection  # writers queue, never sleep-retry
        engine = create_engine(url, echo=echo, connect_args=connect_args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy own transactions: pysqlite's implicit BEGIN breaks SAVEPOINT
            # and delays write locks; BEGIN IMMEDIATE avoids lock upgrades that deadlock.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        if immediate:

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn: Any) -> None:
                reading = _reading_request()
                conn.info["reading"] = reading
                if reading:  # a snapshot: readers never wait for writers in WAL mode
                    conn.exec_driver_sql("BEGIN")
                else:
                    conn.connection.dbapi_connection.begin_immediate()

            @event.listens_for(engine, "before_cursor_execute")
            def _sqlite_guard(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                if conn.info.get("reading") and statement.lstrip()[:6].upper() in _WRITES:
                    raise RuntimeError(
                        "a GET request wrote without db.for_writing(session); on SQLite its "
                        "read snapshot could not become a write transaction under load"
                    )

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def init_app(app: Flask) -> None:
    """Attach an engine and session factory to the app and close the session after each request."""
    engine = make_engine(app.config["DATABASE_URL"], app.config["DATABASE_ECHO"])
    app.extensions["engine"] = engine
    # The session carries its app, so services reach the vault and settings through the
    # session they are handed, never through Flask's context.
    app.extensions["sessionmaker"] = sessionmaker(
        bind=engine, expire_on_commit=False, info={"app": app}
    )
    app.after_request(_end_request)
    app.teardown_appcontext(_close_session)


def _end_request(response: Any) -> Any:
    """Commit what the request wrote outside its view: a request hook that refused it or an
    error handler (a security event's audit entry). The view's own work was ended already."""
    db_session = g.get("db_session")
    if db_session is not None:
        complete(db_session)
    return response


def session() -> Session:
    """Return this request's (or command's) session; its unit of work commits it once."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sessionmaker"]()
    return g.db_session  # type: ignore[no-any-return]


def end_reading(db_session: Session) -> None:
    """End a transaction that only read, so rendering the page holds no database lock.

    On SQLite every transaction holds the single writer lock until it ends; a page that has
    read all it needs lets the next request in before it spends milliseconds on its template.
    Refuses a session with unsaved changes: those must be committed or dropped on purpose.
    """
    if db_session.new or db_session.dirty or db_session.deleted:
        raise RuntimeError("end_reading() on a session with unsaved changes")
    complete(db_session)


def engine() -> Engine:
    """Return the app's engine."""
    return current_app.extensions["engine"]  # type: ignore[no-any-return]


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()  # anything not committed by the route is rolled back


@contextmanager
def new_session(app: Flask) -> Iterator[Session]:
    """Open a session outside a request (workers, threads); commit it with `transaction`."""
    db_session: Session = app.extensions["sessionmaker"]()
    try:
        yield db_session
    finally:
        db_session.close()


@contextmanager
def transaction(db_session: Session) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back if it raises.

    The only place that commits: requests (through `unit_of_work`), CLI commands and worker
    batches all end their work here or in `complete`.
    """
    try:
        yield db_session
    except BaseException:
        db_session.rollback()
        raise
    complete(db_session)


def complete(db_session: Session) -> None:
    """End a unit of work that went well: commit it (a session whose flush failed and that the
    caller went on with, after a caught IntegrityError, has nothing to commit: rolled back)."""
    current = db_session.get_transaction()
    if current is not None and not current.is_active:
        db_session.rollback()
    else:
        db_session.commit()


@contextmanager
def work(app: Flask) -> Iterator[Session]:
    """A new session and one transaction on it, for a CLI command or one worker batch."""
    with new_session(app) as db_session, transaction(db_session):
        yield db_session


def discard(db_session: Session) -> None:
    """Drop what this request wrote so far (a domain error after partial writes); it goes on."""
    db_session.rollback()


F = TypeVar("F", bound=Callable[..., Any])


def unit_of_work(view: F) -> F:
    """Wrap a view: its session commits once after it returns, or rolls back if it raises."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            result = view(*args, **kwargs)
        except BaseException:
            db_session = g.get("db_session")
            if db_session is not None:
                db_session.rollback()
            raise
        db_session = g.get("db_session")
        if db_session is not None:
            complete(db_session)
        return result

    return run  # type: ignore[return-value]


def wrap_views(app: Flask) -> None:
    """Give every registered view its unit of work (after all blueprints and view wrappers)."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = unit_of_work(view)
