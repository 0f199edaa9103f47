"""The questionnaire page on a phone: neutral title, time estimate, answered count, ASQ q5."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.campaigns.models import Assignment
from screening.cases.models import Case
from screening.instruments import load_file
from screening.responses.models import Submission
from screening.responses.services import open_answers
from screening.responses.titles import minutes, student_title
from tests.responses.conftest import answer

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "questionnaires"


def _begin(client: FlaskClient, logged_in, db, lang: str = "en") -> Assignment:
    student = logged_in("student")
    with client.session_transaction() as session:
        session["lang"] = lang
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    assert client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"}).status_code
    return assignment


def test_students_read_a_neutral_title_the_time_and_their_progress(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"])
    assignment = _begin(client, logged_in, db, "zh_Hans")
    take = f"/screening/{assignment.id}/take"
    html = client.get(take).get_data(as_text=True)
    assert '<h1 lang="zh-Hans">近两周的心情</h1>' in html
    assert "患者健康问卷" not in html and "Patient Health" not in html
    assert "约 2 分钟" in html  # nine items
    assert "已答 0/9" in html
    answer(client, assignment.id, {"q1": "1", "q2": "0"}, action="save")
    assert "已答 2/9" in client.get(take).get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get(take).get_data(as_text=True)
    assert "Mood over the last two weeks" in html and "About 2 minutes" in html
    assert "Answered 2/10" in html  # the difficulty item is asked in English only
    # The list of downloads names it the same way.
    answer(client, assignment.id, {f"q{i}": "0" for i in range(1, 11)})
    assert "Mood over the last two weeks" in client.get("/screening/").get_data(as_text=True)


def test_staff_keep_the_validated_title(client: FlaskClient, logged_in) -> None:
    logged_in("admin")
    page = client.get("/cases/admin/tiers").get_data(as_text=True)
    assert "Patient Health Questionnaire (PHQ-9)" in page
    assert "Mood over the last two weeks" not in page


def test_a_definitions_display_title_comes_first(tmp_path: Path) -> None:
    source = (QUESTIONNAIRES / "phq9" / "1.toml").read_text(encoding="utf-8")
    folder = tmp_path / "phq9"
    folder.mkdir()
    extra = '\n[display_title]\nen = "How you have been"\nzh-Hans = "您近来怎么样"\n'
    (folder / "1.toml").write_text(source.replace("\n[instructions]", extra + "\n[instructions]"))
    instrument = load_file(folder / "1.toml")
    assert student_title(instrument, "zh-Hans") == "您近来怎么样"
    assert student_title(instrument, "en") == "How you have been"
    assert instrument.title["en"] == "Patient Health Questionnaire (PHQ-9)"
    assert (minutes(1), minutes(9), minutes(64)) == (1, 2, 11)


def _asq_answers(db) -> dict:
    db.expire_all()
    submission = db.scalar(select(Submission).where(Submission.instrument_id == "asq"))
    return open_answers(db, submission)


def test_asq_question_five_is_shown_by_condition_and_used_only_when_it_applies(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["asq"], languages=["en"])
    assignment = _begin(client, logged_in, db)
    html = client.get(f"/screening/{assignment.id}/take").get_data(as_text=True)
    assert 'id="item-asq-q5"' in html and "data-show-when='{&#34;count&#34;" not in html
    assert 'data-show-when=\'{"count": ["asq-q1"' in html  # the page's script hides it
    # Three conditional items: the write-in after q4, q5 and the write-in after q5.
    assert 'id="item-asq-q1"' in html and html.count("data-show-when") == 3
    # All "No", and a stray q5 (no script, ticked anyway): q5 is neither required nor kept.
    done = answer(client, assignment.id, {"q1": 0, "q2": 0, "q3": 0, "q4": 0, "q5": 1})
    assert "/receipt/" in done.headers["Location"]
    assert _asq_answers(db) == {"q1": 0, "q2": 0, "q3": 0, "q4": 0}
    assert "Help is available now" not in client.get(done.headers["Location"]).get_data(
        as_text=True
    )


def test_asq_question_five_left_empty_after_a_positive_screen_is_acute_not_refused(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    # An empty question 5 must never hold back a positive screen: it is stored and scored acute.
    make_campaign(["asq"], languages=["en"])
    assignment = _begin(client, logged_in, db)
    done = answer(client, assignment.id, {"q1": 1, "q2": 0, "q3": 0, "q4": 0})
    assert "/receipt/" in done.headers["Location"]
    assert "q5" not in _asq_answers(db)
    case = db.scalar(select(Case))
    assert case is not None and case.tier == "crisis"  # acute: question 5 was not answered


def test_the_header_holds_the_language_choice_in_its_menu(
    app: Flask, client: FlaskClient, logged_in
) -> None:
    logged_in("student")
    html = client.get("/home").get_data(as_text=True)
    menu = html[html.index('<details class="menu">') : html.index("</details>")]
    assert 'id="lang-select"' in menu and "Log out" in menu and "My screenings" in menu
