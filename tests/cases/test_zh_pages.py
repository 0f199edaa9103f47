"""Nothing English on the counselor's Chinese pages: case page, queue, alerts, print, timeline."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy.orm import Session

from tests.conftest import log_in_fully

#: Instrument abbreviations and units that Chinese pages write in Latin letters.
ALLOWED = {"PHQ", "GAD", "ASQ", "UPI", "AUDIT", "CBI", "WHO", "UCLA", "GPA"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_WORD = re.compile(r"[A-Za-z]{2,}")


class _Text(HTMLParser):
    """The visible text of a page, without scripts, styles and text marked lang="en"."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        skip = tag in ("script", "style") or dict(attrs).get("lang", "zh")[:2] == "en"
        self.stack.append((tag, skip or any(s for _, s in self.stack[-1:])))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1][1]):
            self.parts.append(data)


def latin_words(html: str) -> set[str]:
    """Latin words a Chinese reader would see, less instrument abbreviations and e-mails."""
    parser = _Text()
    parser.feed(html)
    text = _EMAIL.sub(" ", " ".join(parser.parts))
    return {w for w in _WORD.findall(text) if w.upper() not in ALLOWED}


def test_latin_words_catches_english_and_spares_marked_wording() -> None:
    page = '<p>中度 PHQ-9</p><p lang="en">Little interest</p><p>ASQ positive screen</p>'
    assert latin_words(page) == {"positive", "screen"}


def test_counselor_pages_have_no_english_in_chinese(
    client, db: Session, make_user, crisis_case
) -> None:
    counselor = make_user("counselor", name="王老师", username="wang")
    case = crisis_case(class_counselor=make_user("counselor", name="赵老师"))
    log_in_fully(client, db, counselor)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    client.post(f"/cases/{case.id}/acknowledge")
    client.post(f"/cases/{case.id}/notes", data={"kind": "contact", "text": "电话联系"})
    pages = (f"/cases/{case.id}", "/cases/", "/inbox/", f"/cases/{case.id}/print")
    for path in (*pages, f"/cases/student/{case.student_id}"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert latin_words(answer.get_data(as_text=True)) == set(), path
