"""The dashboard counts: kept in the submission's transaction, equal to a recount, checkable."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from screening.db import make_engine
from screening.instruments import Score
from screening.stats import queries, services
from screening.stats.models import ScoreCount, ScoreRecord
from tests.stats.releasing import publish_release

WHEN = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _score(band: str | dict[str, str], *, critical: bool = False) -> Score:
    """A scored result as the scoring engine returns it (only what statistics read)."""
    return Score(
        instrument="dass21" if isinstance(band, dict) else "phq9",
        version=1,
        total=None,
        raw_total=None,
        subscales={},
        band=band,
        positive_screen=critical,
        critical=critical,
        alert_level="none",
    )


def test_counts_follow_every_record_including_subscales(db: Session) -> None:
    for band in ("minimal", "minimal", "severe"):
        services.record(
            db,
            campaign_id=1,
            faculty_id=2,
            cohort_year=2024,
            score=_score(band, critical=band == "severe"),
            when=WHEN,
        )
    services.record(
        db,
        campaign_id=1,
        faculty_id=2,
        cohort_year=2024,
        score=_score({"depression": "mild", "anxiety": "normal"}),
        when=WHEN,
    )
    db.commit()
    assert db.scalar(select(func.count()).select_from(ScoreRecord)) == 5
    assert services.count_differences(db) == {}
    assert queries.bands_by_faculty(db, 1, "phq9", queries.Scope()) == {}  # not released yet
    publish_release(db)
    assert queries.bands_by_faculty(db, 1, "phq9", queries.Scope()) == {
        (2, "minimal"): 2,
        (2, "severe"): 1,
    }
    flags = queries.flags_by_faculty(db, 1, "phq9", queries.Scope(2))
    assert flags == {(2, "total"): 3, (2, "positive"): 1, (2, "critical"): 1}
    assert queries.bands_by_faculty(db, 1, "phq9", queries.Scope(3)) == {}


def test_concurrent_submissions_are_all_counted(app: Flask, db: Session) -> None:
    threads_n, each = 6, 5
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def submit() -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        try:
            barrier.wait()
            for _ in range(each):
                with Session(engine, info={"app": app}) as session:
                    services.record(
                        session,
                        campaign_id=7,
                        faculty_id=1,
                        cohort_year=2025,
                        score=_score("mild"),
                        when=WHEN,
                    )
                    session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=submit) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    publish_release(db)
    assert queries.bands_by_cohort(db, 7, "phq9", queries.Scope()) == {
        (2025, "mild"): threads_n * each
    }
    assert services.count_differences(db) == {}


def test_stats_check_finds_a_wrong_count_and_rebuild_repairs_it(
    runner: FlaskCliRunner, db: Session
) -> None:
    result = runner.invoke(args=["demo", "--students", "40"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["stats", "check"])
    assert result.exit_code == 0, result.output
    assert "agree" in result.output
    total = db.scalar(select(func.sum(ScoreCount.n)))
    assert total == db.scalar(select(func.count()).select_from(ScoreRecord)) > 0

    db.execute(update(ScoreCount).values(n=ScoreCount.n + 1))
    db.commit()
    result = runner.invoke(args=["stats", "check"])
    assert result.exit_code == 1
    assert "disagree" in result.output and "stats rebuild" in result.output

    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["stats", "check"]).exit_code == 0
    db.expire_all()
    assert db.scalar(select(func.sum(ScoreCount.n))) == total
