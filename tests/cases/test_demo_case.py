"""The demo's case pages show whom to call: contact data, class counselor, the answers."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from screening.auth.models import User
from screening.cases.models import Case
from tests.cases.test_zh_pages import latin_words
from tests.conftest import login_as, pass_mfa


def test_demo_case_page_shows_contact_and_answers_in_chinese(
    app, runner: FlaskCliRunner, db
) -> None:
    assert runner.invoke(args=["demo", "--students", "60"]).exit_code == 0
    case = db.scalar(select(Case).where(Case.tier == "crisis").order_by(Case.id))
    assert case is not None
    student = db.get(User, case.student_id)
    counselor = db.get(User, student.class_counselor_id)
    assert counselor is not None and counselor.username.startswith("counselor.")
    supervisor = db.scalar(select(User).where(User.username == "supervisor"))
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    from screening.auth import mfa

    assert login_as(client, "supervisor", "demo-staff-password").status_code == 302
    secret = mfa.secret_of(db, supervisor)
    assert secret is not None
    assert pass_mfa(client, db, supervisor, secret).status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'href="tel:1' in page and "班" in page and "老师" in page
    assert "作答" in page and "预警" in page
    # Demo e-mail addresses and ASQ's English-only wording (marked lang="en") aside.
    assert latin_words(page) == set()
