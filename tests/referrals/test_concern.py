"""Concern reports: who may report whom, no existence oracle, crisis signs, joining, limits."""

from __future__ import annotations

from sqlalchemy import func, select

from screening.audit.models import AuditEntry
from screening.auth.services import person
from screening.cases.models import Case, CaseEvent
from screening.notify.models import Alert
from screening.referrals import services
from screening.referrals.models import ConcernReport
from tests.referrals.conftest import sign_in

TEXT = "他昨晚在宿舍说活着没意思"


def _number(db, user) -> str:
    return str(person(db, user).student_number)


def _report(client, number, signs=("death_talk",), urgency="soon", text=TEXT):
    return client.post(
        "/referrals/concern",
        data={"student_number": number, "signs": list(signs), "urgency": urgency, "text": text},
    )


def _count(db, model) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_a_committee_member_reports_a_classmate_who_talked_of_death(
    client, db, reporter, student_in, on_call
) -> None:
    member = reporter()
    classmate = student_in(name="赵同学")
    sign_in(client, db, member)
    response = _report(client, _number(db, classmate), urgency="routine")
    assert (
        response.status_code == 302
        and response.headers["Location"] == "/referrals/concern/received"
    )
    case = db.scalar(select(Case).where(Case.student_id == classmate.id))
    assert case is not None and (case.kind, case.tier) == ("concern", "crisis")
    assert db.scalar(select(Alert).where(Alert.recipient_id == on_call.id)) is not None
    row = db.scalar(select(ConcernReport))
    assert row is not None and row.case_id == case.id
    assert TEXT.encode() not in row.detail_sealed
    assert len(row.reporter_index) == 64 and row.reporter_index != str(member.id)  # blind index
    assert "Received" in client.get("/referrals/concern/received").get_data(as_text=True)
    mine = client.get("/referrals/mine").get_data(as_text=True)
    assert _number(db, classmate) in mine and "Received" in mine
    for hidden in ("Crisis", "赵同学", TEXT, f"/cases/{case.id}", "Talk of death"):
        assert hidden not in mine


def test_the_same_transaction_holds_report_case_and_alert(app, db, reporter, student_in, on_call):
    from screening.auth.models import User

    member_id, number = reporter().id, None
    classmate = student_in()
    number = _number(db, classmate)
    with app.extensions["sessionmaker"]() as unit:
        member = unit.get(User, member_id)
        services.report_concern(
            unit, member, student_number=number, signs=["self_harm"], urgency="routine"
        )
        assert unit.scalar(select(Alert).where(Alert.recipient_id == on_call.id)) is not None
        unit.rollback()
    assert _count(db, ConcernReport) == 0 and _count(db, Case) == 0 and _count(db, Alert) == 0


def test_out_of_scope_answers_exactly_like_unknown(client, db, reporter, student_in) -> None:
    member = reporter(class_name="计科2401班", dorm="紫荆3号楼512")
    elsewhere = student_in(class_name="软工2402班", dorm="丁香5号楼101")
    sign_in(client, db, member)
    outside = _report(client, _number(db, elsewhere))
    unknown = _report(client, "20990000")
    assert (outside.status_code, outside.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert outside.get_data() == unknown.get_data()
    assert _count(db, Case) == 0
    rows = list(db.scalars(select(ConcernReport)))
    assert len(rows) == 2 and all(r.student_id is None and r.detail_sealed is None for r in rows)
    mine = client.get("/referrals/mine").get_data(as_text=True)
    assert mine.count("Received") == 2 and "20990000" in mine
    assert [
        e.reason
        for e in db.scalars(select(AuditEntry).where(AuditEntry.action == "concern.report"))
    ] == ["unmatched", "unmatched"]


def test_a_dorm_head_reports_within_the_dorm_only(client, db, reporter, student_in) -> None:
    head = reporter(kind="dorm_head", class_name="计科2401班", dorm="紫荆3号楼512")
    roommate = student_in(class_name="数学2401班", dorm="紫荆3号楼512")
    classmate = student_in(class_name="计科2401班", dorm="丁香5号楼101")
    sign_in(client, db, head)
    _report(client, _number(db, roommate), signs=["withdrawal"])
    _report(client, _number(db, classmate), signs=["withdrawal"])
    assert [c.student_id for c in db.scalars(select(Case))] == [roommate.id]
    assert db.scalar(select(Case)).tier == "high"  # urgency "soon", no crisis sign


def test_staff_report_within_their_faculties(client, db, make_user, student_in) -> None:
    from screening.auth.services import get_or_create_faculty

    other = get_or_create_faculty(db, "MA", "Mathematics", "数学学院")
    db.commit()
    counselor = make_user("counselor")
    mine_ = student_in()
    theirs = student_in(faculty=other)
    sign_in(client, db, counselor)
    assert "/referrals/concern" in client.get("/home").get_data(as_text=True)  # staff navigation
    _report(client, _number(db, mine_), signs=["missing_classes"], urgency="routine")
    _report(client, _number(db, theirs), signs=["missing_classes"], urgency="routine")
    cases = list(db.scalars(select(Case)))
    assert [(c.student_id, c.tier) for c in cases] == [(mine_.id, "moderate")]


def test_students_without_the_flag_and_admins_cannot_report(client, db, student_in, make_user):
    sign_in(client, db, student_in())
    assert client.get("/referrals/concern").status_code == 403
    assert client.get("/referrals/mine").status_code == 403
    assert _report(client, "2024000001").status_code == 403
    sign_in(client, db, make_user("admin"))
    assert client.get("/referrals/concern").status_code == 403


def test_duplicate_reports_join_the_open_case(client, db, reporter, student_in) -> None:
    first, second = reporter(), reporter(kind="dorm_head")
    classmate = student_in()
    for who in (first, second):
        sign_in(client, db, who)
        _report(client, _number(db, classmate), signs=["sudden_change"], urgency="routine")
    cases = list(db.scalars(select(Case)))
    assert len(cases) == 1
    assert {r.case_id for r in db.scalars(select(ConcernReport))} == {cases[0].id}
    types = [e.type for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == cases[0].id))]
    assert types.count("opened") == 1 and types.count("flag") == 1


def test_reports_are_rate_limited_per_reporter(app, client, db, reporter, student_in) -> None:
    app.config["REFERRAL_REPORTS_PER_DAY"] = 2
    member = reporter()
    sign_in(client, db, member)
    for _ in range(2):
        assert _report(client, "20990000").status_code == 302
    refused = _report(client, "20990000")
    assert refused.status_code == 429
    assert "as many reports as one person may send in a day" in refused.get_data(as_text=True)
    assert _count(db, ConcernReport) == 2
    limited = db.scalar(select(AuditEntry).where(AuditEntry.action == "security.rate_limited"))
    assert limited is not None and limited.actor_id == member.id
    sign_in(client, db, reporter())  # another reporter is not limited by the first
    assert _report(client, "20990000").status_code == 302


def test_bad_input_gets_a_clear_error_and_keeps_the_form(client, db, reporter) -> None:
    sign_in(client, db, reporter())
    response = _report(client, "2024000001", signs=(), text="我很担心")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose at least one thing you noticed." in page and "我很担心" in page
    assert _count(db, ConcernReport) == 0


def test_the_counselor_sees_who_reported_audited_and_marks_it_unfounded(
    client, db, make_user, reporter, student_in
) -> None:
    counselor = make_user("counselor")
    member = reporter(name="钱委员")
    classmate = student_in()
    sign_in(client, db, member)
    _report(client, _number(db, classmate), signs=["conflict"], urgency="routine")
    case = db.scalar(select(Case))
    sign_in(client, db, counselor)
    queue = client.get("/cases/").get_data(as_text=True)
    assert "Concern report · Conflict with others" in queue
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "钱委员" in page and "Class psychological committee member" in page and TEXT in page
    viewed = db.scalar(select(AuditEntry).where(AuditEntry.action == "concern.reporters_view"))
    assert viewed is not None and viewed.actor_id == counselor.id
    report = db.scalar(select(ConcernReport))
    assert client.post(f"/referrals/reports/{report.id}/unfounded").status_code == 302
    db.refresh(report)
    assert report.state == "unfounded"
    assert db.scalar(select(CaseEvent).where(CaseEvent.type == "report_unfounded")) is not None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "concern.unfounded"))
    sign_in(client, db, member)
    assert "Followed up" in client.get("/referrals/mine").get_data(as_text=True)


def test_a_counselor_outside_scope_cannot_mark_a_report(
    client, db, make_user, reporter, student_in
):
    from screening.auth.services import get_or_create_faculty

    other = get_or_create_faculty(db, "MA", "Mathematics", "数学学院")
    db.commit()
    outsider = make_user("counselor", faculties=[other])
    member = reporter()
    row = services.report_concern(
        db, member, student_number=_number(db, student_in()), signs=["other"], urgency="routine"
    )
    db.commit()
    sign_in(client, db, outsider)
    assert client.post(f"/referrals/reports/{row.id}/unfounded").status_code == 404
    db.refresh(row)
    assert row.state == "received"


def test_admins_flag_and_unflag_reporters(client, db, make_user, student_in) -> None:
    student = student_in(name="孙同学")
    sign_in(client, db, make_user("admin"))
    response = client.post(
        "/referrals/reporters", data={"student_number": _number(db, student), "kind": "dorm_head"}
    )
    assert response.status_code == 200 and "孙同学" in response.get_data(as_text=True)
    assert services.reporter_kind(db, student) == "dorm_head"
    bad = client.post(
        "/referrals/reporters", data={"student_number": "nobody", "kind": "dorm_head"}
    )
    assert bad.status_code == 400 and "No student has this student number." in bad.get_data(
        as_text=True
    )
    assert client.post(f"/referrals/reporters/{student.id}/remove").status_code == 302
    db.expire_all()
    assert services.reporter_kind(db, student) is None
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"reporters.set", "reporters.remove", "reporters.view"} <= actions


def test_chinese_reporter_pages(client, db, reporter, student_in) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(client, db, reporter())
    home = client.get("/home").get_data(as_text=True)
    assert "报告需要关注的同学" in home and "我的报告" in home
    form = client.get("/referrals/concern").get_data(as_text=True)
    assert "谈论死亡或自杀" in form and "Talk of death" not in form
    _report(client, _number(db, student_in()))
    assert "已收到" in client.get("/referrals/concern/received").get_data(as_text=True)
    assert "已收到" in client.get("/referrals/mine").get_data(as_text=True)
