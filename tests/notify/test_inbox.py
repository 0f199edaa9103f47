"""The in-app inbox: each staff member sees and acknowledges only their own alerts."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from screening.notify.models import Alert
from screening.notify.services import enqueue


def test_inbox_lists_own_alerts_and_acknowledges_them(
    client: FlaskClient, logged_in, make_user, db
) -> None:
    other = make_user("counselor")
    me = logged_in("counselor")
    enqueue(db, recipient_id=me.id, kind="case.new", link_path="/cases/5")
    enqueue(db, recipient_id=other.id, kind="case.escalated", link_path="/cases/6")
    db.commit()
    page = client.get("/inbox/")
    assert page.status_code == 200
    assert b"New case" in page.data and b"Case escalated" not in page.data
    mine = db.scalar(select(Alert).where(Alert.recipient_id == me.id))
    theirs = db.scalar(select(Alert).where(Alert.recipient_id == other.id))
    assert client.post(f"/inbox/{theirs.id}/acknowledge").status_code == 404
    done = client.post(f"/inbox/{mine.id}/acknowledge")
    assert done.status_code == 302 and done.headers["Location"] == "/cases/5"
    db.refresh(mine)
    db.refresh(theirs)
    assert mine.acknowledged_at is not None and theirs.acknowledged_at is None


def test_students_have_no_inbox(client: FlaskClient, logged_in) -> None:
    logged_in("student")
    assert client.get("/inbox/").status_code == 403
