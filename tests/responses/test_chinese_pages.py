"""Every page a Chinese student sees is in Chinese: no English word left, real data on it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.campaigns.models import Assignment
from tests.responses.conftest import answer, form_of, gad7, phq9

#: Latin words a Chinese page may carry: instrument abbreviations, file format names, the
#: names of Chinese organisations' own brands. Anything else is an untranslated string.
ALLOWED = {"PHQ", "GAD", "ASQ", "JSON", "FHIR", "English"}

#: Attributes a person reads or hears (screen readers read labels and titles aloud).
SPOKEN = ("aria-label", "title", "placeholder", "alt")


class _Text(HTMLParser):
    """The text a person sees or hears on a page: body text and spoken attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in SPOKEN and value:
                self.parts.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.parts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    """Latin words of two or more letters on the page that the allow-list does not cover."""
    parser = _Text()
    parser.feed(html)
    words = set(re.findall(r"[A-Za-z]{2,}", " ".join(parser.parts)))
    return words - ALLOWED


def _check(client: FlaskClient, path: str, seen: dict[str, set[str]], **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    seen[path] = english_words(html)
    return html


def test_every_student_page_is_chinese(
    app: Flask, client: FlaskClient, logged_in, make_campaign, db
) -> None:
    make_campaign(["phq9", "gad7"], name="秋季心理健康筛查")
    student = logged_in("student")
    with client.session_transaction() as session:
        session["lang"] = "zh_Hans"
    seen: dict[str, set[str]] = {}
    _check(client, "/home", seen)
    _check(client, "/screening/", seen)
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    base = f"/screening/{assignment.id}"
    _check(client, f"{base}/consent", seen)
    client.post(f"{base}/consent", data={"agree": "1"})
    _check(client, f"{base}/take", seen)
    # Errors: a half-answered page, and a page of another questionnaire.
    errors = answer(client, assignment.id, {"q1": "2"})
    assert errors.status_code == 422
    seen["take, with errors"] = english_words(errors.get_data(as_text=True))
    wrong = form_of({"token": "x", "instrument": "phq9", "version": "1"}, phq9())
    refused = client.post(f"{base}/take", data=wrong)
    assert refused.status_code == 409
    seen["take, refused"] = english_words(refused.get_data(as_text=True))
    # PHQ-9 with item 9 answered: the crisis page.
    crisis = answer(client, assignment.id, phq9(q1=1, q9=2))
    crisis_html = _check(client, crisis.headers["Location"], seen)
    assert "您不必独自面对" in crisis_html
    # GAD-7 with a band shown on its receipt.
    receipt = answer(client, assignment.id, gad7(q1=2, q2=2, q3=1))
    receipt_html = _check(client, receipt.headers["Location"], seen)
    assert "轻度" in receipt_html
    _check(client, f"{base}/done", seen)
    listing = _check(client, "/screening/", seen)
    assert "/submissions/" in listing  # the download page, with both questionnaires
    _check(client, "/home", seen)
    missing = client.get(f"{base}/receipt/999999")
    assert missing.status_code == 404
    seen["not found"] = english_words(missing.get_data(as_text=True))
    untranslated = {page: words for page, words in seen.items() if words}
    assert not untranslated, untranslated


def test_the_crisis_page_with_the_centre_and_an_english_only_result_are_chinese(
    client: FlaskClient, logged_in, make_campaign, db
) -> None:
    logged_in("admin")
    centre = {
        "section": "centre",
        "centre-name_zh": "学生心理发展指导中心",
        "centre-name_en": "Student Counselling Centre",
        "centre-phone": "010-6278-2007",
        "centre-place_zh": "紫荆学生公寓 C 楼 2 层",
        "centre-place_en": "Zijing Apartments, Building C",
        "centre-hours_zh": "周一至周五 8:00–17:00",
        "centre-hours_en": "Monday to Friday, 8:00–17:00",
        "centre-after_hours_phone": "010-6278-5555",
    }
    assert client.post("/campaigns/crisis-lines", data=centre).status_code == 302
    client.post("/auth/logout")
    # ASQ's result words exist in English only: the receipt says it in Chinese words.
    make_campaign(["asq", "phq9"], name="秋季心理健康筛查", languages=["en"])
    student = logged_in("student")
    with client.session_transaction() as session:
        session["lang"] = "zh_Hans"
    client.get("/screening/")
    assignment = db.scalar(select(Assignment).where(Assignment.student_id == student.id))
    client.post(f"/screening/{assignment.id}/consent", data={"agree": "1"})
    negative = answer(client, assignment.id, {"q1": 0, "q2": 0, "q3": 0, "q4": 0})
    receipt = client.get(negative.headers["Location"]).get_data(as_text=True)
    assert "关于您安全的几个问题：这份问卷未显示明显困扰" in receipt
    assert english_words(receipt) == set()
    crisis = answer(client, assignment.id, phq9(q9=3))
    html = client.get(crisis.headers["Location"]).get_data(as_text=True)
    assert "学生心理发展指导中心" in html and "前与您联系" in html
    assert english_words(html) == set()


def test_the_check_finds_english() -> None:
    page = '<p>您好 Negative</p><button aria-label="Close">×</button><script>var x</script>'
    assert english_words(page) == {"Negative", "Close"}
    assert english_words("<p>患者健康问卷（PHQ-9）</p>") == set()
