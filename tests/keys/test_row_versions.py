"""An older ciphertext written back into its own row no longer opens (row versions in the AAD)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from screening.auth.models import User
from screening.auth.services import person, set_personal
from screening.campaigns.models import Assignment
from screening.keys.services import vault_of
from screening.responses.models import Draft
from tests.responses.conftest import answer


def _fresh(db: Session) -> Session:
    db.expire_all()
    db.info.pop("vault_data_keys", None)
    return db


def test_an_older_draft_written_back_into_its_row_does_not_open(
    client: FlaskClient, logged_in, make_campaign, db: Session
) -> None:
    make_campaign(["phq9"])
    student = logged_in("student")
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    take = f"/screening/{assignment.id}/take"
    answer(client, assignment.id, {"q1": 3, "q9": 2}, action="save")
    first = db.scalar(select(Draft)).answers_sealed
    answer(client, assignment.id, {"q1": 0}, action="save")
    _fresh(db)
    assert '<input checked id="phq9-q1-0" name="phq9-q1"' in client.get(take).get_data(as_text=True)
    # Someone with write access to the database puts the earlier ciphertext back.
    db.execute(update(Draft).values(answers_sealed=first))
    db.commit()
    page = client.get(take).get_data(as_text=True)
    assert 'checked id="phq9-q1-3"' not in page and 'checked id="phq9-q9-2"' not in page


def test_an_older_name_written_back_does_not_open(make_user, db: Session) -> None:
    student = make_user("student", name="旧名字")
    old = db.get(User, student.id).name_sealed
    set_personal(db, student, email="new@example.edu")  # any sealed change raises the version
    db.commit()
    assert person(_fresh(db), db.get(User, student.id)).name == "旧名字"  # resealed, readable
    db.execute(update(User).where(User.id == student.id).values(name_sealed=old))
    db.commit()
    shown = person(_fresh(db), db.get(User, student.id))
    assert getattr(shown.name, "unreadable", False)
    assert shown.email == "new@example.edu"


def test_a_row_sealed_before_versions_existed_still_opens(make_user, db: Session) -> None:
    """Version 0 rows (sealed without a version) open, and move to a version on the next write."""
    student = make_user("student", name="老数据")
    vault = vault_of(db)
    row = db.get(User, student.id)
    from screening.crypto import Aad, seal_text

    key = vault.ensure_key(db, student.id)
    row.name_sealed = seal_text(key, "老数据", Aad("users", "name", str(row.id), str(row.id)))
    row.email_sealed = None
    row.student_number_sealed = None
    row.seal_version = 0
    db.commit()
    assert person(_fresh(db), db.get(User, student.id)).name == "老数据"
    set_personal(db, db.get(User, student.id), email="a@example.edu")
    db.commit()
    again = db.get(User, student.id)
    assert again.seal_version == 1
    assert person(_fresh(db), again).name == "老数据"
