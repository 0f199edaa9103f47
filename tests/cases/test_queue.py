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
