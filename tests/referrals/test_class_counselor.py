"""Class counselors (辅导员) are told of a student's open crisis case and asked to help reach them;
nothing clinical reaches them, and all of it is recorded on the case."""

from __future__ import annotations

from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth.services import person
from screening.cases.models import Case, CaseEvent
from screening.notify.models import OutboxMessage
from screening.referrals import services
from screening.referrals.models import ClassCounselorNotice
from tests.referrals.conftest import sign_in

TEXT = "他说不想活了"


def _student_with_class_counselor(db, student_in, make_user, name="赵同学"):
    # A class counselor (辅导员) is a staff account serving no faculty: never a dean, who sees
    # statistics only.
    adviser = make_user("counselor", name="辅导员刘老师", faculties=[])
    student = student_in(name=name)
    student.class_counselor_id = adviser.id
    db.commit()
    return student, adviser


def _crisis_report(db, reporter, student):
    row = services.report_concern(
        db,
        reporter(),
        student_number=str(person(db, student).student_number),
        signs=["death_talk"],
        urgency="routine",
        text=TEXT,
    )
    db.commit()
    return db.get(Case, row.case_id)


def test_a_crisis_case_tells_the_class_counselor_without_content(
    client, db, make_user, reporter, student_in
) -> None:
    student, adviser = _student_with_class_counselor(db, student_in, make_user)
    case = _crisis_report(db, reporter, student)
    notice = db.scalar(select(ClassCounselorNotice))
    assert notice is not None and (notice.case_id, notice.counselor_id, notice.kind) == (
        case.id,
        adviser.id,
        "told",
    )
    mail = db.scalar(select(OutboxMessage).where(OutboxMessage.recipient_id == adviser.id))
    assert mail is not None and (mail.kind, mail.link_path) == ("class.crisis", "/referrals/class")
    assert db.scalar(select(CaseEvent).where(CaseEvent.type == "class_counselor_told"))
    sign_in(client, db, adviser)
    page = client.get("/referrals/class").get_data(as_text=True)
    assert "赵同学" in page and "Open crisis case" in page
    for hidden in (TEXT, "Talk of death", "Crisis</span>"):
        assert hidden not in page
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "class_notices.view"))


def test_only_once_only_crises_and_only_when_configured(
    app, db, make_user, reporter, student_in
) -> None:
    student, _adviser = _student_with_class_counselor(db, student_in, make_user)
    services.report_concern(
        db,
        reporter(),
        student_number=str(person(db, student).student_number),
        signs=["withdrawal"],
        urgency="routine",
    )
    db.commit()
    assert db.scalar(select(ClassCounselorNotice)) is None  # a moderate case tells nobody
    _crisis_report(db, reporter, student)
    _crisis_report(db, reporter, student)
    assert len(list(db.scalars(select(ClassCounselorNotice)))) == 1
    app.config["REFERRAL_TELL_CLASS_COUNSELOR"] = False
    other, _ = _student_with_class_counselor(db, student_in, make_user, name="钱同学")
    _crisis_report(db, reporter, other)
    assert len(list(db.scalars(select(ClassCounselorNotice)))) == 1


def test_the_counselor_asks_the_class_counselor_to_help(
    client, db, make_user, reporter, student_in
) -> None:
    counselor = make_user("counselor")
    student, adviser = _student_with_class_counselor(db, student_in, make_user)
    case = _crisis_report(db, reporter, student)
    sign_in(client, db, counselor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Ask the class counselor (辅导员刘老师) to help reach the student" in page
    assert client.post(f"/referrals/cases/{case.id}/ask-class-counselor").status_code == 302
    asked = db.scalar(select(ClassCounselorNotice).where(ClassCounselorNotice.kind == "asked"))
    assert asked is not None and asked.by == counselor.id
    assert db.scalar(select(CaseEvent).where(CaseEvent.type == "class_counselor_asked"))
    assert db.scalar(
        select(OutboxMessage).where(
            OutboxMessage.recipient_id == adviser.id, OutboxMessage.kind == "class.help"
        )
    )
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "case.ask_class_counselor"))
    history = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Class counselor asked to help reach the student" in history
    sign_in(client, db, adviser)
    assert "Please help the counselling centre reach this student." in client.get(
        "/referrals/class"
    ).get_data(as_text=True)


def test_outside_scope_cannot_ask(client, db, make_user, reporter, student_in) -> None:
    from screening.auth.services import get_or_create_faculty

    outsider = make_user("counselor", faculties=[get_or_create_faculty(db, "MA", "Math", "数学")])
    db.commit()
    student, _adviser = _student_with_class_counselor(db, student_in, make_user)
    case = _crisis_report(db, reporter, student)
    sign_in(client, db, outsider)
    assert client.post(f"/referrals/cases/{case.id}/ask-class-counselor").status_code == 404
    assert (
        db.scalar(select(ClassCounselorNotice).where(ClassCounselorNotice.kind == "asked")) is None
    )
