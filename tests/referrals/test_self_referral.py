"""A student's own request for contact opens or joins a self-referral case like every case."""

from __future__ import annotations

from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.cases.models import Case, CaseEvent
from screening.notify.models import Alert, OutboxMessage
from screening.referrals import services
from screening.referrals.models import ContactRequest
from tests.referrals.conftest import sign_in

WORDS = "最近睡不着，想找人说说话"


def _ask(client, urgency="week", way="phone", when="afternoon", text=WORDS):
    return client.post(
        "/referrals/talk",
        data={"urgency": urgency, "contact_by": way, "contact_when": when, "text": text},
    )


def test_home_page_offers_it(client, db, student_in) -> None:
    sign_in(client, db, student_in())
    page = client.get("/home").get_data(as_text=True)
    assert "/referrals/talk" in page and "talk to someone" in page
    assert "/referrals/concern" not in page  # only reporters see the report link


def test_a_request_opens_a_routed_timed_case_and_says_when(client, db, make_user, student_in):
    counselor = make_user("counselor", name="王老师")
    student = student_in()
    sign_in(client, db, student)
    response = _ask(client)
    assert response.status_code == 302
    case = db.scalar(select(Case).where(Case.student_id == student.id))
    assert case is not None
    assert (case.kind, case.tier, case.assignee_id) == ("self_referral", "moderate", counselor.id)
    assert (case.due_at - case.opened_at).total_seconds() == 72 * 3600
    row = db.scalar(select(ContactRequest))
    assert row is not None and row.case_id == case.id
    assert WORDS.encode() not in row.detail_sealed and b"phone" not in row.detail_sealed
    assert services.request_detail(db, row)["text"] == WORDS
    assert db.scalar(select(Alert).where(Alert.recipient_id == counselor.id)) is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your request was received" in page and "A counsellor will contact you by" in page
    assert "Phone call" in page and "Afternoons" in page
    assert "If you might hurt yourself" not in page
    actions = set(db.scalars(select(AuditEntry.action)))
    assert "referral.request" in actions


def test_the_most_urgent_choice_is_a_crisis_with_the_crisis_lines_at_once(
    client, db, student_in, on_call
) -> None:
    student = student_in()
    sign_in(client, db, student)
    response = _ask(client, urgency="now", way="in_person", when="any", text="")
    case = db.scalar(select(Case).where(Case.student_id == student.id))
    assert case is not None and case.tier == "crisis"
    assert db.scalar(select(Alert).where(Alert.recipient_id == on_call.id)) is not None
    assert db.scalar(select(OutboxMessage).where(OutboxMessage.recipient_id == on_call.id))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.index('id="crisis-title"') < page.index('id="received-title"')
    assert "If you might hurt yourself" in page
    assert 'href="tel:' in page


def test_request_case_and_alert_are_one_transaction(app, db, student_in, on_call) -> None:
    student_id = student_in().id
    with app.extensions["sessionmaker"]() as unit:  # the app's own transactional session
        student = unit.get(User, student_id)
        services.request_contact(
            unit, student, urgency="now", contact_by="phone", contact_when="any"
        )
        assert unit.scalar(select(Alert)) is not None  # written, not yet committed
        unit.rollback()
    assert db.scalar(select(ContactRequest)) is None
    assert db.scalar(select(Case)) is None and db.scalar(select(Alert)) is None
    with app.extensions["sessionmaker"]() as unit:
        student = unit.get(User, student_id)
        services.request_contact(
            unit, student, urgency="now", contact_by="phone", contact_when="any"
        )
        unit.commit()
    assert db.scalar(select(Case)) is not None
    assert db.scalar(select(Alert).where(Alert.recipient_id == on_call.id)) is not None


def test_a_second_request_joins_the_open_case_and_raises_it(client, db, student_in) -> None:
    student = student_in()
    sign_in(client, db, student)
    _ask(client, urgency="week")
    _ask(client, urgency="soon", way="email")
    cases = list(db.scalars(select(Case).where(Case.student_id == student.id)))
    assert len(cases) == 1 and cases[0].tier == "high"
    events = [e.type for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == cases[0].id))]
    assert events.count("opened") == 1 and events.count("flag") == 1
    assert len(list(db.scalars(select(ContactRequest)))) == 2


def test_configured_tiers_apply(app, db, student_in) -> None:
    app.config["REFERRAL_SELF_TIERS"] = {"now": "crisis", "soon": "high", "week": "high"}
    _row, case = services.request_contact(
        db, student_in(), urgency="week", contact_by="phone", contact_when="any"
    )
    assert case.tier == "high"


def test_bad_input_is_refused_with_a_message_and_keeps_the_words(client, db, student_in) -> None:
    sign_in(client, db, student_in())
    response = _ask(client, urgency="", way="carrier-pigeon")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose how urgent it feels." in page and WORDS in page
    assert db.scalar(select(Case)) is None and db.scalar(select(ContactRequest)) is None


def test_a_receipt_is_only_its_students(client, db, student_in) -> None:
    first, second = student_in(), student_in()
    row, _case = services.request_contact(
        db, first, urgency="week", contact_by="phone", contact_when="any"
    )
    db.commit()
    sign_in(client, db, second)
    assert client.get(f"/referrals/talk/{row.id}").status_code == 404


def test_the_counselor_sees_the_request_and_the_way_of_contact(
    client, db, make_user, student_in
) -> None:
    counselor = make_user("counselor", name="王老师")
    student = student_in(name="张同学")
    _row, case = services.request_contact(
        db, student, urgency="soon", contact_by="in_person", contact_when="evening", text=WORDS
    )
    db.commit()
    sign_in(client, db, counselor)
    queue = client.get("/cases/").get_data(as_text=True)
    assert "张同学" in queue and "Self-referral · In person at the counselling centre" in queue
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "The student asked to talk to someone" in page
    assert "In person at the counselling centre" in page and "Evenings" in page and WORDS in page


def test_chinese_pages(client, db, student_in) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(client, db, student_in())
    assert "我想找人聊聊" in client.get("/home").get_data(as_text=True)
    form = client.get("/referrals/talk").get_data(as_text=True)
    assert "我想找人聊聊" in form and "How urgent" not in form
    page = client.get(_ask(client, urgency="now").headers["Location"]).get_data(as_text=True)
    assert "已收到你的请求" in page and "Your request was received" not in page
