"""SQLite writers queue on a lock (threads and processes) and free it when they end."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from screening import sqlite_writer
from screening.db import make_engine


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite database with one counter row."""
    database = tmp_path / "queue.sqlite"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        conn.execute("INSERT INTO counter VALUES (0)")
    return f"sqlite:///{database}"


def test_threads_take_turns_and_lose_no_update(url: str) -> None:
    engine = make_engine(url)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                with engine.begin() as conn:
                    n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                    conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 200
    engine.dispose()


def test_lock_is_freed_after_rollback_and_failed_statements(url: str) -> None:
    engine = make_engine(url)
    with pytest.raises(OperationalError), engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = 1"))
        conn.execute(text("INSERT INTO missing VALUES (1)"))
    with engine.connect() as conn:
        conn.execute(text("SELECT n FROM counter")).scalar_one()
        conn.rollback()
    # Nothing holds the writer queue any more, so another connection gets it at once.
    database = url.removeprefix("sqlite:///")
    queue = sqlite_writer._thread_lock(sqlite_writer.lock_path(database) or "")
    assert not queue.locked()
    other = make_engine(url)
    with other.begin() as conn:
        assert queue.locked()  # this connection holds it now
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 0
    assert not queue.locked()
    other.dispose()
    engine.dispose()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import text
    from screening.db import make_engine
    engine = make_engine(sys.argv[1])
    with engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = n + 1"))
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _holder(url: str, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds a write transaction for a while."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding"
    return process


def test_a_writer_in_another_process_is_waited_for(url: str) -> None:
    engine = make_engine(url)
    with _holder(url, 0.5) as holder:
        with engine.begin() as conn:  # queues until the other process commits
            conn.execute(text("UPDATE counter SET n = n + 1"))
        assert holder.wait(timeout=10) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 2
    engine.dispose()


def test_waiting_too_long_fails_like_a_busy_database(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writer, "WAIT_SECONDS", 0.2)
    engine = make_engine(url)
    with _holder(url, 2) as holder:
        with pytest.raises(Exception, match="locked"), engine.begin() as conn:
            conn.execute(text("UPDATE counter SET n = n + 1"))
        holder.wait(timeout=10)
    with engine.begin() as conn:  # and works again once the other process is done
        conn.execute(text("UPDATE counter SET n = n + 1"))
    engine.dispose()
