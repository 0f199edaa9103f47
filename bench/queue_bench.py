"""The counselor queue with 10,000 open cases: server time of GET /cases/ on SQLite and PostgreSQL.

    python -m bench.queue_bench --db sqlite --db postgresql --cases 10000

Builds a fresh database (schema of the models, a key ring), 24 faculties, one student per open
case (name, student number and phone sealed, as the roster import leaves them) plus twice as
many closed cases, each open case with its sealed opening event, a counselor serving six
faculties and a supervisor serving them all. Each logs in through the real log-in and
second-factor pages, then the whole request (session, access check, the SQL-ordered page, the
fifty names and reasons opened, rendering) is timed in-process, so the figure is the server's
time without the network: the first page, the middle and the last, and the first page under
each filter, the sorts and an exact search by student number and by phone. Median and p95 ms
are printed and written to bench/results/queue-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from bench.stats_bench import FACULTIES, database
from screening import create_app
from screening import db as dbmod
from screening.auth import mfa
from screening.auth.models import Faculty, Role, User
from screening.auth.services import create_user
from screening.cases.services import QUEUE_PAGE, queue_page
from screening.crypto import KeyRing
from screening.db import utcnow
from screening.keys.models import KekCheck

RESULTS = Path(__file__).resolve().parent / "results"
PASSWORD = "queue-bench-password"  # noqa: S105 - a throwaway benchmark database
COUNSELOR_FACULTIES = 6
TIERS = (("crisis", 0.05), ("high", 0.30), ("moderate", 0.65))
#: The first page under each filter, sort and search the queue offers.
FILTERS = (
    ("tier=crisis", "tier=crisis"),
    ("overdue", "overdue=1"),
    ("escalated", "escalated=1"),
    ("unassigned", "unassigned=1"),
    ("mine", "mine=1"),
    ("faculty", "faculty=2"),
    ("status=pending_signoff", "status=pending_signoff"),
    ("follow-up overdue", "followup_overdue=1"),
    ("moderate+unassigned+overdue", "tier=moderate&unassigned=1&overdue=1"),
    ("sort=newest", "sort=newest"),
    ("sort=oldest", "sort=oldest"),
    ("search student number", "q=B0000042"),
    ("search phone", "q=139%2000000042"),
)


def _app(engine: Engine, folder: Path) -> Flask:
    """The real app on the benchmark database, with its own key ring."""
    ring = KeyRing.create(folder / "keyring.json")
    with Session(engine) as session:
        for kek_id, value in ring.check_values().items():
            session.add(KekCheck(kek_id=kek_id, check_value=value))
        session.commit()
    return create_app(
        {
            "ENVIRONMENT": "test",
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SECRET_KEY": "queue-bench-secret-key-0123456789abcdef",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )


def _seed(app: Flask, engine: Engine, open_cases: int) -> tuple[User, User]:
    """Faculties, staff, students and cases; returns (counselor, supervisor)."""
    with app.app_context():
        s = dbmod.session()
        faculties = [
            Faculty(code=f"F{f}", name_en=f"Faculty {f}", name_zh=f"学院{f}")
            for f in range(FACULTIES)
        ]
        s.add_all(faculties)
        s.flush()
        counselor = create_user(
            s,
            role=Role.COUNSELOR,
            username="bench.counselor",
            password=PASSWORD,
            faculties=faculties[:COUNSELOR_FACULTIES],
        )
        supervisor = create_user(s, role=Role.SUPERVISOR, username="bench.sup", password=PASSWORD)
        colleagues = [
            create_user(s, role=Role.COUNSELOR, username=f"bench.c{n}", password=PASSWORD)
            for n in range(8)
        ]
        s.commit()
        faculty_ids = [f.id for f in faculties]
        assignees = [counselor.id, *(c.id for c in colleagues)]
    now = utcnow()
    rng = random.Random(5)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cohorts (year) VALUES (2024)"))
        cohort = conn.execute(text("SELECT id FROM cohorts")).scalar_one()
        first = 1_000_000
        conn.execute(
            text(
                "INSERT INTO users (id, role, active, is_advisor, session_version, seal_version, "
                "created_at, "
                "faculty_id, cohort_id, student_number_index) "
                "VALUES (:i, 'student', true, false, 1, 0, :t, :f, :c, :n)"
            ),
            [
                {"i": first + i, "t": now, "f": faculty_ids[i % FACULTIES], "c": cohort, "n": i}
                for i in range(open_cases)
            ],
        )
        rows = []
        for i in range(open_cases * 3):
            closed = i >= open_cases
            tier = rng.choices([t for t, _ in TIERS], weights=[w for _, w in TIERS])[0]
            opened = now - timedelta(hours=rng.uniform(0, 24 * (90 if closed else 10)))
            due = opened + timedelta(hours={"crisis": 1, "high": 24, "moderate": 72}[tier])
            rows.append(
                {
                    "s": first + i % open_cases,
                    "f": faculty_ids[i % open_cases % FACULTIES],
                    "t": tier,
                    "st": "closed" if closed else ("pending_signoff" if i % 40 == 0 else "open"),
                    "a": rng.choice(assignees) if rng.random() < 0.6 or closed else None,
                    "o": opened,
                    "d": due,
                    "c": opened + timedelta(days=3) if closed else None,
                }
            )
        conn.execute(
            text(
                "INSERT INTO cases (student_id, faculty_id, kind, tier, status, assignee_id, "
                "opened_at, due_at, escalate_at, escalation_level, closed_at, version) "
                "VALUES (:s, :f, 'psych', :t, :st, :a, :o, :d, :d, :e, :c, 1)"
            ),
            [
                {**r, "e": 1 if r["c"] is None and r["d"] < now and i % 3 == 0 else 0}
                for i, r in enumerate(rows)
            ],
        )
    _seal(app, first, open_cases)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return counselor, supervisor


def _seal(app: Flask, first: int, students: int) -> None:
    """Sealed names, numbers and phones for every student, a sealed reason for each open case."""
    from screening.auth.contact import Contact, set_contact
    from screening.auth.services import set_personal
    from screening.cases.intake import event
    from screening.cases.models import Case
    from screening.keys.services import vault_of

    why = {
        "instrument": "phq9",
        "version": 1,
        "total": 16,
        "band": "moderately severe",
        "fired": [{"rule_id": "q9_self_harm_thoughts", "tier": "crisis", "values": {"q9": 1}}],
    }
    with app.app_context():
        s = dbmod.session()
        for n in range(students):
            user = s.get(User, first + n)
            assert user is not None
            set_personal(s, user, name=f"学生{n}", student_number=f"B{n:07d}")
            user.student_number_index = vault_of(s).index("student_number", f"B{n:07d}")
            set_contact(s, user, Contact(phone=f"139{n:08d}"))
            if n % 500 == 499:
                s.commit()
        for case in s.scalars(select(Case).where(Case.status != "closed")):
            event(s, case, "opened", detail=why)
        s.commit()


def _log_in(app: Flask, user: User) -> FlaskClient:
    """Password, then a second factor enrolled for the benchmark."""
    with app.app_context():
        s = dbmod.session()
        secret = mfa.enrol_without_confirmation(s, s.get(User, user.id))  # type: ignore[arg-type]
        s.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    answer = client.post("/auth/login", data={"login": user.username, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    answer = client.post("/auth/mfa", data={"code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 302, answer.status_code
    return client


def _time(run: Callable[[], None], repeats: int) -> tuple[float, float]:
    """Median and p95 in ms after one warm-up."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def _page(client: FlaskClient, path: str, expect: str) -> Callable[[], None]:
    def run() -> None:
        answer = client.get(path)
        if answer.status_code != 200 or expect not in answer.get_data(as_text=True):
            raise RuntimeError(f"{path} answered {answer.status_code}")

    return run


def bench(kind: str, open_cases: int, repeats: int) -> list[dict[str, Any]]:
    """Seed, log in, time each queue page; rows of name, in-scope cases, median and p95 ms."""
    with (
        tempfile.TemporaryDirectory(prefix="screening-queue-bench-") as tmp,
        database(kind) as engine,
    ):
        app = _app(engine, Path(tmp))
        counselor, supervisor = _seed(app, engine, open_cases)
        rows = []
        for label, user in (("counselor", counselor), ("supervisor", supervisor)):
            client = _log_in(app, user)
            with app.app_context():
                s = dbmod.session()
                staff = s.get(User, user.id)
                assert staff is not None
                total = queue_page(s, staff, 1)[1]
                query = _time(lambda s=s, staff=staff: queue_page(s, staff, 1) and None, repeats)
                s.close()
            rows.append({"view": f"{label}: query only", "cases": total, "ms": query})
            last = (total + QUEUE_PAGE - 1) // QUEUE_PAGE
            for page in (1, max(last // 2, 1), last):
                timed = _time(_page(client, f"/cases/?page={page}", "Case queue"), repeats)
                rows.append({"view": f"{label}: page {page}", "cases": total, "ms": timed})
            for name, query in FILTERS:
                timed = _time(_page(client, f"/cases/?{query}", "Case queue"), repeats)
                rows.append({"view": f"{label}: {name}", "cases": total, "ms": timed})
        app.extensions["engine"].dispose()
        return rows


def main() -> None:
    """Parse arguments, run each database, print the table and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    figures = {}
    for kind in args.db or ["sqlite", "postgresql"]:
        rows = bench(kind, args.cases, args.repeats)
        figures[kind] = rows
        print(f"\n{kind}, {args.cases:,} open cases (+{2 * args.cases:,} closed); target < 50 ms")
        print(f"{'GET /cases/ as':<44} {'in scope':>9} {'median ms':>10} {'p95 ms':>10}")
        for row in rows:
            median, p95 = row["ms"]
            print(f"{row['view']:<44} {row['cases']:>9,} {median:>10.1f} {p95:>10.1f}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"queue-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(figures, indent=2))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
