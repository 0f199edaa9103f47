"""Admins manage staff accounts, faculties and counselor–faculty assignments."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from screening.auth.models import Faculty, User
from tests.conftest import login_as


def test_admin_creates_counselor_with_faculties(
    client: FlaskClient, logged_in, db, faculty: Faculty
) -> None:
    logged_in("admin")
    response = client.post(
        "/admin/users",
        data={
            "username": "li.counselor",
            "name": "李老师",
            "email": "li@example.edu",
            "role": "counselor",
            "faculty": "",
            "faculties": [str(faculty.id)],
            "password": "a long enough passphrase here",
        },
    )
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.username == "li.counselor"))
    assert user is not None and user.role == "counselor"
    assert [f.code for f in user.faculties] == ["CS"]
    assert b"\xe6\x9d\x8e" not in (user.name_sealed or b"")  # the name is sealed, not stored
    page = client.get("/admin/users")
    assert "李老师".encode() in page.data


def test_short_password_is_refused_with_message(client: FlaskClient, logged_in) -> None:
    logged_in("admin")
    response = client.post(
        "/admin/users",
        data={
            "username": "x",
            "name": "X",
            "role": "dean",
            "faculty": "",
            "password": "short",
        },
    )
    assert response.status_code == 200
    assert b"at least 8 characters" in response.data  # staff always have a second factor


def test_disable_ends_sessions(app, client: FlaskClient, logged_in, make_user) -> None:
    target = make_user("counselor")
    other = app.test_client()
    assert login_as(other, target.username).status_code == 302
    logged_in("admin")
    assert client.post(f"/admin/users/{target.id}/active").status_code == 302
    assert other.get("/home").status_code == 302
    assert login_as(other, target.username).status_code == 401


def test_assign_faculties(client: FlaskClient, logged_in, make_user, db) -> None:
    from screening.auth.services import get_or_create_faculty

    law = get_or_create_faculty(db, "LAW", "Law", "法学院")
    db.commit()
    counselor = make_user("counselor")
    logged_in("admin")
    response = client.post(
        f"/admin/users/{counselor.id}/faculties", data={"faculties": [str(law.id)]}
    )
    assert response.status_code == 302
    db.expire_all()
    assert [f.code for f in db.get(User, counselor.id).faculties] == ["LAW"]


def test_create_faculty_and_refuse_duplicate(client: FlaskClient, logged_in, db) -> None:
    logged_in("admin")
    data = {"code": "MED", "name_en": "Medicine", "name_zh": "医学院"}
    assert client.post("/admin/faculties", data=data).status_code == 302
    again = client.post("/admin/faculties", data=data)
    assert again.status_code == 200 and b"exists already" in again.data
