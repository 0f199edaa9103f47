"""One unit of work per request or batch: committed once after the view, or rolled back."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from screening import db as database
from screening.auth.access import public
from screening.auth.models import Faculty
from screening.campaigns import services as campaigns
from screening.campaigns.services import DEFAULT_CRISIS_RESOURCES


def _faculties(db: Session) -> set[str]:
    return set(db.scalars(select(Faculty.code)))


def _add_faculty(code: str) -> None:
    database.session().add(Faculty(code=code, name_en=code, name_zh=code))
    database.session().flush()


def _view_app(app: Flask) -> Flask:
    """Views wrapped as create_app wraps every view: write, then return or fail."""

    @public
    @database.unit_of_work
    def writes_then_returns(status: int) -> tuple[str, int]:
        _add_faculty(f"R{status}")
        return "written", status

    @public
    @database.unit_of_work
    def writes_then_fails() -> str:
        _add_faculty("FAIL")
        raise RuntimeError("after writing")

    @public
    @database.unit_of_work
    def writes_then_discards() -> tuple[str, int]:
        _add_faculty("GONE")
        database.discard(database.session())
        _add_faculty("KEPT")
        return "refused", 400

    class Refused(Exception):
        """A refusal whose handler records it."""

    @public
    @database.unit_of_work
    def writes_then_is_refused() -> str:
        _add_faculty("VIEW")
        raise Refused

    @app.errorhandler(Refused)
    def record_refusal(_exc: Refused) -> tuple[str, int]:
        _add_faculty("HANDLER")
        return "refused", 403

    app.add_url_rule("/t/refused", view_func=writes_then_is_refused, methods=["POST"])
    app.add_url_rule("/t/<int:status>", view_func=writes_then_returns, methods=["POST"])
    app.add_url_rule("/t/fail", view_func=writes_then_fails, methods=["POST"])
    app.add_url_rule("/t/discard", view_func=writes_then_discards, methods=["POST"])
    return app


@pytest.fixture
def view_app(instance) -> Flask:
    from screening import create_app
    from tests.conftest import app_config

    application = _view_app(create_app(app_config(instance)))
    application.config["PROPAGATE_EXCEPTIONS"] = False
    yield application
    application.extensions["engine"].dispose()


@pytest.fixture
def check(view_app: Flask):
    engine = database.make_engine(view_app.config["DATABASE_URL"], immediate=False)
    session = Session(engine)
    yield session
    session.close()
    engine.dispose()


def test_a_returned_response_is_committed_whatever_its_status(view_app, check) -> None:
    """A refused page that keeps a draft (422), a failed log-in that keeps its audit (401)."""
    client = view_app.test_client()
    assert client.post("/t/200").status_code == 200
    assert client.post("/t/422").status_code == 422
    assert {"R200", "R422"} <= _faculties(check)


def test_a_view_that_raises_after_writing_stores_nothing(view_app, check) -> None:
    assert view_app.test_client().post("/t/fail").status_code == 500
    assert "FAIL" not in _faculties(check)


def test_an_error_handler_s_record_is_kept_and_the_view_s_work_is_not(view_app, check) -> None:
    assert view_app.test_client().post("/t/refused").status_code == 403
    found = _faculties(check)
    assert "HANDLER" in found and "VIEW" not in found


def test_discard_drops_what_was_written_before_it(view_app, check) -> None:
    assert view_app.test_client().post("/t/discard").status_code == 400
    found = _faculties(check)
    assert "KEPT" in found and "GONE" not in found


def test_every_view_of_the_app_has_its_unit_of_work(app: Flask) -> None:
    unwrapped = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "__wrapped__", None) is None
    ]
    assert not unwrapped


def test_a_batch_commits_once_or_not_at_all(app: Flask, check) -> None:
    with database.work(app) as session:
        session.add(Faculty(code="B1", name_en="B1", name_zh="B1"))
    with pytest.raises(RuntimeError), database.work(app) as session:
        session.add(Faculty(code="B2", name_en="B2", name_zh="B2"))
        session.flush()
        raise RuntimeError("the batch failed")
    found = _faculties(check)
    assert "B1" in found and "B2" not in found


def test_unreadable_crisis_lines_never_roll_back_the_request(
    app: Flask, check, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: Session) -> list[campaigns.Resource]:
        session.execute(text("SELECT * FROM no_such_table"))
        return []

    monkeypatch.setattr(campaigns, "crisis_resources", broken)
    with app.test_request_context(method="POST"), database.transaction(database.session()) as s:
        s.add(Faculty(code="CR", name_en="CR", name_zh="CR"))
        s.flush()
        shown = campaigns.crisis_resources_or_defaults(s)
    assert [r.number for r in shown] == [n for _, _, n in DEFAULT_CRISIS_RESOURCES]
    assert "CR" in _faculties(check)
    assert check.scalar(select(func.count()).select_from(Faculty)) >= 1
