"""The register and the process measures count cases by kind: how each case came to light."""

from __future__ import annotations

from screening.cases import intake
from screening.referrals import services
from tests.referrals.conftest import sign_in

WHY = {"instrument": "phq9", "version": 1, "total": 12, "band": "moderate", "fired": []}


def _cases(db, make_user, student_in) -> None:
    intake.open_or_raise(db, student=student_in(), kind="psych", tier="moderate", source=WHY)
    services.request_contact(
        db, student_in(), urgency="week", contact_by="email", contact_when="any"
    )
    db.commit()


def test_register_shows_and_filters_kinds(client, db, make_user, student_in) -> None:
    _cases(db, make_user, student_in)
    sign_in(client, db, make_user("supervisor"))
    page = client.get("/cases/register").get_data(as_text=True)
    assert "Questionnaire screening</td>" in page and "Self-referral</td>" in page
    only = client.get("/cases/register?kind=self_referral").get_data(as_text=True)
    assert "Self-referral</td>" in only and "Questionnaire screening</td>" not in only
    csv = client.get("/cases/register.csv?kind=psych").get_data(as_text=True)
    assert "Questionnaire screening" in csv and "Self-referral" not in csv


def test_measures_by_kind(client, db, make_user, student_in) -> None:
    _cases(db, make_user, student_in)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(client, db, make_user("supervisor"))
    page = client.get("/cases/measures").get_data(as_text=True)
    assert "按类型" in page and "主动求助" in page and "问卷筛查" in page
