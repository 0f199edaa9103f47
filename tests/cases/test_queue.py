"""The case queue: most urgent first, fifty to a page, counted in SQL."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from screening.cases import intake

SOURCE = {"instrument": "phq9", "version": 1, "total": 20, "band": "severe", "fired": []}


def _case_ids(html: str) -> list[int]:
    """The case numbers listed on a queue page, in order."""
    return [int(n) for n in re.findall(r'href="/cases/(\d+)"', html)]


def test_queue_pages_keep_the_most_urgent_first(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    logged_in("supervisor", faculties=[])
    opened = []
    for n in range(54):
        student = make_user("student")
        tier = "crisis" if n == 53 else "moderate"
        opened.append(
            intake.open_or_raise(db, student=student, kind="psych", tier=tier, source=SOURCE)
        )
    db.commit()
    crisis = opened[-1]

    first = client.get("/cases/").get_data(as_text=True)
    ids = _case_ids(first)
    assert len(ids) == 50 and ids[0] == crisis.id
    assert "Open cases 1–50 of 54" in first and "Page 1 of 2" in first

    second = client.get("/cases/?page=2").get_data(as_text=True)
    rest = _case_ids(second)
    assert len(rest) == 4 and not set(rest) & set(ids)
    assert set(ids) | set(rest) == {c.id for c in opened}
    assert "More urgent" in second and "Less urgent" not in second

    beyond = client.get("/cases/?page=9")
    assert beyond.status_code == 302 and beyond.headers["Location"].endswith("page=2")
    assert client.get("/cases/?page=-3").status_code == 200


def test_a_raised_tier_moves_its_case_up_the_queue(
    client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    logged_in("supervisor", faculties=[])
    students = [make_user("student") for _ in range(3)]
    cases = [
        intake.open_or_raise(db, student=s, kind="psych", tier="moderate", source=SOURCE)
        for s in students
    ]
    db.commit()
    last = cases[-1]
    assert _case_ids(client.get("/cases/").get_data(as_text=True))[0] != last.id
    intake.open_or_raise(db, student=students[-1], kind="psych", tier="crisis", source=SOURCE)
    db.commit()
    assert _case_ids(client.get("/cases/").get_data(as_text=True))[0] == last.id


def test_the_queue_reads_a_fixed_number_of_statements_however_many_counselors(
    app, client: FlaskClient, logged_in, make_user, db: Session
) -> None:
    """Responsible counselors' names come with one key query, not one per person."""
    from sqlalchemy import event

    logged_in("supervisor", faculties=[])

    def statements_for_queue() -> int:
        seen: list[str] = []
        engine = app.extensions["engine"]

        def count(*args: object) -> None:
            if "audit_" not in str(args[2]):  # the view's audit entry picks a chain at random
                seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/cases/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    def open_assigned(counselors: int) -> None:
        for _ in range(counselors):
            counselor = make_user("counselor", faculties=[])
            case = intake.open_or_raise(
                db, student=make_user("student"), kind="psych", tier="high", source=SOURCE
            )
            case.assignee_id = counselor.id
        db.commit()

    open_assigned(2)
    few = statements_for_queue()
    open_assigned(10)
    many = statements_for_queue()
    assert many == few
    page = client.get("/cases/").get_data(as_text=True)
    assert page.count('data-label="Responsible">Person') == 12
