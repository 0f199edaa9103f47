"""Statistics dashboard queries on a million de-identified records, on SQLite and PostgreSQL.

    python -m bench.stats_bench --db sqlite --db postgresql --records 1000000

Loads synthetic score_records into a fresh database (a temporary SQLite file, or a PostgreSQL
database created and dropped at 127.0.0.1:5432 as user postgres), builds their counts as the
submit path keeps them, adds students assigned to every campaign, then times each view the
statistics pages build (the same query and suppression functions) and prints median and p95 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import Babel
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from screening.db import Base, utcnow
from screening.instruments import load_library
from screening.stats import queries, releases, reports, services
from screening.stats.models import COUNT_SHARDS
from screening.stats.queries import Scope

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = "postgresql://postgres@127.0.0.1:5432"
FACULTIES = 24
CAMPAIGNS = 6
INSTRUMENTS = {"phq9": ["minimal", "mild", "moderate", "moderately severe", "severe"]}
INSTRUMENTS |= {"gad7": ["minimal", "mild", "moderate", "severe"], "asq": ["negative", "positive"]}
COLUMNS = (
    "key, campaign_id, instrument_id, instrument_version, subscale, faculty_id, cohort_year, "
    "band, critical, positive, week"
)


def _rows(count: int) -> Iterator[tuple[Any, ...]]:
    """Synthetic de-identified records with a skewed faculty size and band distribution."""
    rng = random.Random(7)
    weights = [1 + (i % 6) ** 2 for i in range(FACULTIES)]
    faculties = rng.choices(range(1, FACULTIES + 1), weights=weights, k=count)
    for i in range(count):
        instrument = ("phq9", "gad7", "asq")[(i // CAMPAIGNS) % 3]
        bands = INSTRUMENTS[instrument]
        band_index = min(int(rng.expovariate(1.2)), len(bands) - 1)
        yield (
            uuid.uuid4().hex,
            1 + i % CAMPAIGNS,
            instrument,
            1,
            "",
            faculties[i],
            2021 + i % 4,
            bands[band_index],
            band_index == len(bands) - 1,
            band_index >= 2,
            "2026-W10",
        )


def _reference_rows(session: Session) -> None:
    """Faculties, campaigns and their instruments the records point at."""
    now = utcnow()
    for f in range(1, FACULTIES + 1):
        session.execute(
            text("INSERT INTO faculties (id, code, name_en, name_zh) VALUES (:i, :c, :e, :z)"),
            {"i": f, "c": f"F{f}", "e": f"Faculty {f}", "z": f"学院{f}"},
        )
    for c in range(1, CAMPAIGNS + 1):
        opens = now - timedelta(days=180 * (CAMPAIGNS - c))
        session.execute(
            text(
                "INSERT INTO campaigns (id, name, opens_at, closes_at, show_results, "
                "consent_version, reminder_days, languages, created_at) "
                "VALUES (:i, :n, :o, :c, false, 'v1', '', 'zh-Hans,en', :o)"
            ),
            {"i": c, "n": f"Campaign {c}", "o": opens, "c": opens + timedelta(days=14)},
        )
        for position, instrument in enumerate(INSTRUMENTS, 1):
            session.execute(
                text(
                    "INSERT INTO campaign_instruments (campaign_id, position, instrument_id, "
                    "version) VALUES (:c, :p, :i, 1)"
                ),
                {"c": c, "p": position, "i": instrument},
            )
    session.commit()


def _students(session: Session, students: int) -> None:
    """Students spread over the faculties, each assigned to every campaign; most completed."""
    rng = random.Random(11)
    now = utcnow()
    session.execute(
        text("INSERT INTO cohorts (id, year) VALUES (1, 2024)"),
    )
    session.execute(
        text(
            "INSERT INTO users (id, role, active, is_advisor, session_version, seal_version, "
            "created_at, "
            "faculty_id, cohort_id, student_number_index) "
            "VALUES (:i, 'student', true, false, 1, 0, :t, :f, 1, :n)"
        ),
        [
            {"i": i, "t": now, "f": 1 + i % FACULTIES, "n": f"bench-{i}"}
            for i in range(1, students + 1)
        ],
    )
    session.execute(
        text(
            "INSERT INTO assignments (campaign_id, student_id, faculty_id, status, created_at, "
            "reminders_sent) VALUES (:c, :s, :f, :st, :t, '')"
        ),
        [
            {
                "c": c,
                "s": i,
                "f": 1 + i % FACULTIES,
                "st": "completed" if rng.random() < 0.8 else "pending",
                "t": now,
            }
            for c in range(1, CAMPAIGNS + 1)
            for i in range(1, students + 1)
        ],
    )
    session.commit()


def _counts(session: Session) -> int:
    """Build the dashboard counts from the loaded records, spread over every shard as
    submissions spread them; the number of counter rows."""
    truth = services.recount(session)
    rows = 0
    for shard in range(COUNT_SHARDS):
        part = {k: n // COUNT_SHARDS + (shard < n % COUNT_SHARDS) for k, n in truth.items()}
        part = {k: n for k, n in part.items() if n}
        services.add_counts(session, part, shard=shard)
        rows += len(part)
    session.commit()
    return rows


def _case_cells() -> dict[tuple[int, str, str, str, bool], int]:
    """Synthetic case-handling counts per faculty, tier, state, contact band and open flag."""
    rng = random.Random(5)
    cells = {}
    states = ("within_time", "late", "overdue", "waiting", "closed_uncontacted")
    for faculty in range(1, FACULTIES + 1):
        for tier in ("crisis", "high", "moderate"):
            for state in states:
                contacted = state in ("within_time", "late")
                for contact in ("1h", "24h", "72h", "more") if contacted else ("",):
                    for is_open in (True, False):
                        cells[(faculty, tier, state, contact, is_open)] = rng.randint(0, 30)
    return cells


def _release(session: Session) -> float:
    """Publish the first release from the live counts; seconds taken."""
    start = time.perf_counter()
    outcome = releases.publish(session, utcnow(), 10, _case_cells(), "first")
    session.commit()
    assert outcome.status == "published"
    return time.perf_counter() - start


def _load(engine: Engine, count: int) -> float:
    """Bulk-load count records (COPY on PostgreSQL, executemany on SQLite); seconds taken."""
    start = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY score_records ({COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in _rows(count):
                    copy.write_row(row)
            raw.commit()
            cursor.execute("ANALYZE score_records")
        else:
            marks = ", ".join("?" * len(COLUMNS.split(",")))
            cursor.executemany(
                f"INSERT INTO score_records ({COLUMNS}) VALUES ({marks})",  # noqa: S608
                _rows(count),
            )
            raw.commit()
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


@contextmanager
def database(kind: str) -> Iterator[Engine]:
    """A fresh, empty database with the schema of the models."""
    import screening.models  # noqa: F401 - registers every table on the metadata

    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="screening-stats-bench-") as tmp:
            engine = create_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
            Base.metadata.create_all(engine)
            yield engine
            engine.dispose()
        return
    name = f"screening_stats_bench_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    engine = create_engine(f"{PG.replace('postgresql:', 'postgresql+psycopg:')}/{name}")
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        subprocess.run(
            [*psql, f"DROP DATABASE {name} WITH (FORCE)"], check=True, capture_output=True
        )


def _case_views(session: Session, scope: Scope, settings: dict[str, Any]) -> object:
    """The case-handling page's views: its query and its suppressed tables."""
    return reports.case_handling_views(session, queries.case_counts(session, scope), **settings)


def _cases(session: Session) -> dict[str, Callable[[], object]]:
    """Each view the pages build, for the whole university and for one faculty's dean."""
    library = load_library(ROOT / "questionnaires")
    settings: dict[str, Any] = {"lang": "en", "minimum": 10}
    cases: dict[str, Callable[[], object]] = {}
    for label, scope in (("all", Scope()), ("faculty", Scope(3))):
        cases[f"campaign list ({label})"] = partial(queries.campaigns_with_results, session, scope)
        cases[f"instruments of campaign ({label})"] = partial(
            queries.instruments_in, session, 3, scope
        )
        for key in reports.CAMPAIGN_VIEWS:
            cases[f"{key} view ({label})"] = partial(
                reports.campaign_view, session, library, key, 3, "phq9", scope, **settings
            )
        cases[f"participation ({label})"] = partial(
            reports.participation_view, session, 3, scope, **settings
        )
        cases[f"trend ({label})"] = partial(
            reports.trend, session, library, "phq9", scope, **settings
        )
        for key in ("faculty", "cohort"):
            cases[f"pooled {key}, last 3 ({label})"] = partial(
                reports.pooled_view, session, library, key, "phq9", 3, scope, **settings
            )
        cases[f"case handling ({label})"] = partial(_case_views, session, scope, settings)
        cases[f"release time ({label})"] = partial(releases.current, session)
    return cases


def bench(kind: str, records: int, students: int, repeats: int) -> list[tuple[str, float, float]]:
    """Load the records, then time every case; (name, median ms, p95 ms) rows."""
    with database(kind) as engine:
        with Session(engine) as session:
            _reference_rows(session)
        seconds = _load(engine, records)
        with Session(engine) as session:
            _students(session, students)
            counters = _counts(session)
            release_seconds = _release(session)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        print(
            f"{kind}: loaded {records:,} records ({counters:,} counter rows) and "
            f"{students:,} students x {CAMPAIGNS} campaigns in {seconds:.1f} s; "
            f"the release (worker job) took {release_seconds * 1000:.0f} ms"
        )
        app = Flask(__name__)
        Babel(app)
        results = []
        with app.test_request_context(), Session(engine) as session:
            for name, run in _cases(session).items():
                run()  # warm the cache once
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    run()
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                results.append((name, statistics.median(times), p95))
        return results


def main() -> None:
    """Parse arguments, run each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--students", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    figures = {}
    for kind in args.db or ["sqlite", "postgresql"]:
        rows = bench(kind, args.records, args.students, args.repeats)
        figures[kind] = [{"query": n, "median_ms": m, "p95_ms": p} for n, m, p in rows]
        print(f"\n{kind}, {args.records:,} records; target < 20 ms per query")
        print(f"{'query':<36} {'median ms':>10} {'p95 ms':>10}")
        for name, median, p95 in rows:
            print(f"{name:<36} {median:>10.1f} {p95:>10.1f}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"stats-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(figures, indent=2))
    print(f"\nfigures written to {out}")


if __name__ == "__main__":
    main()
