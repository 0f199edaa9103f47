"""The full answer sheets behind a case, item by item, for the counselor who opened it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.cases.reads import CaseFile
from screening.cases.wording import (
    answer_label,
    band_label,
    glossed,
    instrument_name,
    reader_lang,
    rule_text,
)
from screening.instruments import Instrument, Library
from screening.instruments.fhir import pick_lang
from screening.instruments.ranges import points
from screening.responses.models import Submission
from screening.responses.services import open_answers, open_score


@dataclass(frozen=True)
class AnswerRow:
    """One item as the student answered it."""

    number: int
    text: str
    #: The language of `text` (differs from the page's when the definition lacks it).
    lang: str
    answer: str
    #: The language of `answer` (an option set may lack the page's language).
    answer_lang: str
    points: float | None
    flagged: bool


@dataclass(frozen=True)
class Sheet:
    """One submission that opened or joined the case."""

    submission_id: int
    #: The case event it came with: opened, flag (joined) or followup_done.
    kind: str
    instrument: str
    submitted_at: datetime
    total: Any
    band: str
    reasons: list[tuple[str, str]]
    rows: list[AnswerRow]


def _rows(
    instrument: Instrument, answers: dict[str, Any], flagged: set[str], locale: str
) -> list[AnswerRow]:
    lang = pick_lang(instrument, reader_lang(locale))
    rows = []
    for n, item in enumerate(instrument.items, start=1):
        if item.id not in answers:
            continue
        value = answers[item.id]
        options = instrument.options_for(item)
        earned: float | None = None
        if options is not None and item.scored and not isinstance(value, str):
            earned = float(points(options, item, value))
        text_lang = lang if lang in item.text else next(iter(item.text), lang)
        option = options.option(value) if options is not None else None
        labels = option.label if option is not None else {}
        readable = not labels or glossed(labels, locale) is not None
        answer_lang = reader_lang(locale) if readable else next(iter(labels), lang)
        rows.append(
            AnswerRow(
                number=n,
                text=item.text.get(text_lang, ""),
                lang=text_lang,
                answer=answer_label(instrument, item.id, value, locale),
                answer_lang=answer_lang,
                points=earned,
                flagged=item.id in flagged,
            )
        )
    return rows


def answer_sheets(session: Session, file: CaseFile, library: Library, locale: str) -> list[Sheet]:
    """Every submission behind an opened (scoped, audited) case file, in the reader's language."""
    ids = [sid for sid, _ in file.submissions]
    if not ids:
        return []
    found = {
        s.id: s
        for s in session.scalars(
            select(Submission).where(
                Submission.id.in_(ids), Submission.student_id == file.case.student_id
            )
        )
    }
    sheets = []
    for sid, kind in file.submissions:
        submission = found.get(sid)
        if submission is None:
            continue
        try:
            instrument: Instrument | None = library.get(
                submission.instrument_id, submission.instrument_version
            )
        except KeyError:
            instrument = None
        answers = open_answers(session, submission) or {}
        score = open_score(session, submission) or {}
        fired = score.get("fired") or []
        flagged = {k for f in fired for k in (f.get("values") or {})}
        sheets.append(
            Sheet(
                submission_id=sid,
                kind=kind,
                instrument=instrument_name(instrument, submission.instrument_id, locale),
                submitted_at=submission.submitted_at,
                total=score.get("total"),
                band=band_label(instrument, score.get("band"), locale),
                reasons=[
                    (str(f.get("tier", "none")), rule_text(instrument, f, locale)) for f in fired
                ],
                rows=_rows(instrument, answers, flagged, locale) if instrument else [],
            )
        )
    return sheets
