"""The campaign builder: order, stepping, targets, preview; edit until open; extend, close."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.auth.services import get_or_create_cohort, get_or_create_faculty
from screening.campaigns.models import Assignment, Campaign
from screening.db import utcnow
from screening.notify.models import OutboxMessage


def _form(db, faculties, **extra):
    cohort = get_or_create_cohort(db, 2024)
    db.commit()
    data = {
        "name": "Autumn",
        "order": "phq2,phq9,asq",
        "use": ["phq2", "phq9", "asq"],
        "step_phq9": "phq2",
        "faculties": [str(f.id) for f in faculties],
        "cohorts": [str(cohort.id)],
        "opens_at": (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (utcnow() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        "consent_version": "v1",
        "reminder_days": "3",
        # ASQ has no validated Chinese wording: a plan stepping on it serves English readers.
        "languages": ["en"],
        "action": "save",
    }
    data.update(extra)
    return data


def _campaigns(db) -> int:
    return db.scalar(select(func.count()).select_from(Campaign))


def test_move_buttons_reorder_without_saving(client: FlaskClient, logged_in, db, faculty) -> None:
    logged_in("admin")
    data = _form(db, [faculty], action="", move="down:phq2")
    page = client.post("/campaigns/new", data=data).get_data(as_text=True)
    assert 'name="order" value="phq9,phq2,asq' in page
    assert _campaigns(db) == 0
    page = client.post("/campaigns/new", data={**data, "order": "phq9,phq2,asq", "move": "up:asq"})
    assert 'name="order" value="phq9,asq,phq2' in page.get_data(as_text=True)


def test_a_stepped_campaign_for_two_faculties(
    client: FlaskClient, logged_in, make_user, db, faculty
) -> None:
    law = get_or_create_faculty(db, "LAW")
    db.commit()
    make_user("student")
    make_user("student", faculty=law)
    make_user("student", faculty=get_or_create_faculty(db, "MED"))
    logged_in("admin")
    done = client.post("/campaigns/new", data=_form(db, [faculty, law]))
    assert done.status_code == 302, done.get_data(as_text=True)
    campaign = db.scalar(select(Campaign))
    steps = [(i.instrument_id, i.when_positive_of) for i in campaign.instruments]
    assert steps == [("phq2", None), ("phq9", "phq2"), ("asq", None)]
    assigned = db.scalar(select(func.count()).where(Assignment.campaign_id == campaign.id))
    assert assigned == 2  # CS and LAW, not MED
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "only after a positive phq2" in page and "Preview as a student" in page


def test_stepping_that_could_skip_the_suicide_question_is_refused_in_chinese(
    client: FlaskClient, logged_in, db, faculty
) -> None:
    logged_in("admin")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    data = _form(db, [faculty], order="phq2,phq9", use=["phq2", "phq9"])
    page = client.post("/campaigns/new", data=data).get_data(as_text=True)
    assert "phq9 询问自杀风险" in page and "asks about suicide" not in page
    assert _campaigns(db) == 0


def test_edit_until_open_then_only_extend_or_close(
    client: FlaskClient, logged_in, make_user, db, faculty
) -> None:
    student = make_user("student")
    logged_in("admin")
    client.post("/campaigns/new", data=_form(db, [faculty]))
    campaign = db.scalar(select(Campaign))
    edited = client.post(
        f"/campaigns/{campaign.id}/edit",
        data=_form(
            db,
            [faculty],
            name="Autumn, edited",
            order="phq9,asq",
            use=["phq9", "asq"],
            step_phq9="",
        ),
    )
    assert edited.status_code == 302
    db.expire_all()
    campaign = db.get(Campaign, campaign.id)
    assert campaign.name == "Autumn, edited"
    assert [i.instrument_id for i in campaign.instruments] == ["phq9", "asq"]
    # It opens: the plan is frozen.
    campaign.opens_at = utcnow() - timedelta(hours=1)
    db.commit()
    refused = client.post(f"/campaigns/{campaign.id}/edit", data=_form(db, [faculty], name="late"))
    assert refused.status_code == 302
    assert "can no longer change" in client.get(refused.headers["Location"]).get_data(as_text=True)
    db.expire_all()
    assert db.get(Campaign, campaign.id).name == "Autumn, edited"
    # Extend: later only; the unfinished student is told; recorded.
    later = (campaign.closes_at + timedelta(days=7)).astimezone().strftime("%Y-%m-%dT%H:%M")
    earlier = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/campaigns/{campaign.id}/extend", data={"closes_at": earlier})
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    before = db.get(Campaign, campaign.id).closes_at
    client.post(f"/campaigns/{campaign.id}/extend", data={"closes_at": later})
    db.expire_all()
    assert db.get(Campaign, campaign.id).closes_at > before
    told = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "campaign.extended"))
    assert [m.recipient_id for m in told] == [student.id]
    # Close early needs the confirmation box, then closes now and tells the student.
    client.post(f"/campaigns/{campaign.id}/close", data={})
    db.expire_all()
    assert db.get(Campaign, campaign.id).is_open(utcnow())
    client.post(f"/campaigns/{campaign.id}/close", data={"confirm": "y"})
    db.expire_all()
    assert not db.get(Campaign, campaign.id).is_open(utcnow())
    assert db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "campaign.closed"))
    actions = set(
        db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(campaign.id)))
    )
    assert {"campaign.create", "campaign.edit", "campaign.extend", "campaign.close"} <= actions


def test_preview_shows_each_page_in_both_languages(
    client: FlaskClient, logged_in, db, faculty
) -> None:
    logged_in("admin")
    client.post("/campaigns/new", data=_form(db, [faculty]))
    campaign = db.scalar(select(Campaign))
    consent_zh = client.get(f"/campaigns/{campaign.id}/preview?lang=zh_Hans&page=0")
    assert "谁能看到您的回答" in consent_zh.get_data(as_text=True)
    consent_en = client.get(f"/campaigns/{campaign.id}/preview?lang=en&page=0")
    assert "Who sees your answers" in consent_en.get_data(as_text=True)
    phq9 = client.get(f"/campaigns/{campaign.id}/preview?lang=zh_Hans&page=2").get_data(
        as_text=True
    )
    assert 'type="radio"' in phq9 and "phq2" in phq9  # asked only after a positive PHQ-2
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0


def test_open_now_freezes_the_plan(client: FlaskClient, logged_in, make_user, db, faculty) -> None:
    make_user("student")
    logged_in("admin")
    client.post("/campaigns/new", data=_form(db, [faculty]))
    campaign = db.scalar(select(Campaign))
    assert not campaign.is_open(utcnow())
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Open now" in page and "Close now" not in page
    client.post(f"/campaigns/{campaign.id}/open")
    db.expire_all()
    assert db.get(Campaign, campaign.id).is_open(utcnow())
    again = client.post(f"/campaigns/{campaign.id}/open")
    assert "can no longer change" in client.get(again.headers["Location"]).get_data(as_text=True)
    page = client.get(f"/campaigns/{campaign.id}/preview?page=0").get_data(as_text=True)
    assert "12356" in page  # the crisis lines, as on the student's consent page
