"""Consent notices: versions in both languages, each save a new version, used ones frozen.

Version v1 is the notice the project ships (below); admins write v2, v3 … on the consent
page. A notice's text is plain paragraphs separated by blank lines; a line starting with
"## " is a heading.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.campaigns.models import Campaign, Consent, ConsentVersion

BUILT_IN = "v1"
MAX_TEXT = 20000

BUILT_IN_ZH = """## 我们询问什么、为什么询问
学校邀请每位学生用经过验证的问卷做一次简短的心理健康自查，内容涉及情绪、焦虑和压力，约需五到十分钟。

## 谁能看到您的回答
您的回答经过加密。只有学校心理咨询中心的咨询师能看到，而且只在您的回答提示您可能需要支持时才会查看；每次查看都有记录。您所在院系和老师只能看到匿名统计，永远看不到您的回答或姓名。

## 不会影响什么
是否参加以及如何作答，都不会影响您的成绩、奖学金、评优或档案。

## 接下来会怎样
如果您的回答显示您正经历困难，咨询师会联系您并提供支持。如果您告诉我们您有危险，我们会尽快联系您。

## 您可以退出
参加完全自愿。您可以现在拒绝、随时停止，也可以请心理咨询中心删除您的回答。"""

BUILT_IN_EN = """## What we ask and why
The university invites every student to a short wellbeing check with validated
questionnaires about mood, worry and stress. It takes about five to ten minutes.

## Who sees your answers
Your answers are encrypted. Only counsellors of the university counselling centre can see
them, and only when your answers suggest you might benefit from support; every look is
recorded. Your faculty and teachers see only anonymous statistics, never your answers or
your name.

## What it does not affect
Taking part or not, and whatever you answer, never affects your grades, scholarships,
awards or records.

## What happens next
If your answers suggest you are having a hard time, a counsellor will contact you to offer
support. If you tell us you are in danger, we will contact you quickly.

## You can withdraw
Taking part is voluntary. You can decline now, stop at any time, and ask the counselling
centre to delete your answers."""


class ConsentError(ValueError):
    """A consent notice could not be saved as asked; the message says why."""


@dataclass(frozen=True)
class Notice:
    """A consent notice version as students read it."""

    label: str
    text_zh: str
    text_en: str

    def text(self, locale: str) -> str:
        """The text in the reader's language."""
        return self.text_zh if locale.startswith("zh") else self.text_en


@dataclass(frozen=True)
class Block:
    """A heading or a paragraph of a notice."""

    heading: bool
    text: str


def blocks(text: str) -> list[Block]:
    """Split a notice into headings and paragraphs (rendered escaped, never as HTML).

    Paragraphs are separated by blank lines; the lines of one paragraph are joined.
    """
    out: list[Block] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            out.append(Block(False, _join(lines)))
            lines.clear()

    for chunk in text.replace("\r\n", "\n").split("\n"):
        line = chunk.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            out.append(Block(True, line[3:].strip()))
        else:
            lines.append(line)
    flush()
    return out


def _join(lines: list[str]) -> str:
    """Join wrapped lines: with a space in English, without one between Chinese characters."""
    text = lines[0]
    for line in lines[1:]:
        cjk = ord(text[-1]) > 0x2E80 and ord(line[0]) > 0x2E80
        text += line if cjk else " " + line
    return text


def versions(session: Session) -> list[Notice]:
    """Every version, newest first, the shipped v1 last."""
    rows = list(session.scalars(select(ConsentVersion).order_by(ConsentVersion.id.desc())))
    notices = [Notice(r.label, r.text_zh, r.text_en) for r in rows]
    if not any(n.label == BUILT_IN for n in notices):
        notices.append(Notice(BUILT_IN, BUILT_IN_ZH, BUILT_IN_EN))
    return notices


def notice(session: Session, label: str) -> Notice | None:
    """The version with this label (None when there is none)."""
    row = session.scalar(select(ConsentVersion).where(ConsentVersion.label == label))
    if row is not None:
        return Notice(row.label, row.text_zh, row.text_en)
    if label == BUILT_IN:
        return Notice(BUILT_IN, BUILT_IN_ZH, BUILT_IN_EN)
    return None


def in_use(session: Session, label: str) -> bool:
    """True once a campaign names the version or a student decided on it."""
    return (
        session.scalar(select(Campaign.id).where(Campaign.consent_version == label).limit(1))
        is not None
        or session.scalar(select(Consent.id).where(Consent.version == label).limit(1)) is not None
    )


def _check(text_zh: str, text_en: str) -> tuple[str, str]:
    zh, en = text_zh.strip(), text_en.strip()
    if not zh or not en:
        raise ConsentError("Write the notice in both languages.")
    if len(zh) > MAX_TEXT or len(en) > MAX_TEXT:
        raise ConsentError(f"A notice may have at most {MAX_TEXT} characters per language.")
    return zh, en


def save_new(session: Session, text_zh: str, text_en: str, created_by: int | None) -> Notice:
    """Save the texts as the next version (v2, v3 …); audited as `created_by`."""
    notice = _save_new(session, text_zh, text_en, created_by)
    _audit(session, created_by, "consent.create", notice.label)
    return notice


def _save_new(session: Session, text_zh: str, text_en: str, created_by: int | None) -> Notice:
    zh, en = _check(text_zh, text_en)
    numbers = [
        int(label[1:])
        for label in session.scalars(select(ConsentVersion.label))
        if label[1:].isdigit()
    ]
    label = f"v{max([1, *numbers]) + 1}"
    session.add(ConsentVersion(label=label, text_zh=zh, text_en=en, created_by=created_by))
    session.flush()
    return Notice(label, zh, en)


def replace(
    session: Session, label: str, text_zh: str, text_en: str, actor_id: int | None = None
) -> Notice:
    """Correct a version nobody uses yet (audited); a version in use never changes in place."""
    notice = _replace(session, label, text_zh, text_en)
    _audit(session, actor_id, "consent.replace", notice.label)
    return notice


def _replace(session: Session, label: str, text_zh: str, text_en: str) -> Notice:
    zh, en = _check(text_zh, text_en)
    row = session.scalar(select(ConsentVersion).where(ConsentVersion.label == label))
    if row is None:
        raise ConsentError("Only a version written here can be corrected; save a new one.")
    if in_use(session, label):
        raise ConsentError(
            f"Version {label} is in use by a campaign or a student's decision and can never "
            "change; save the text as a new version instead."
        )
    row.text_zh, row.text_en = zh, en
    session.flush()
    return Notice(label, zh, en)


def count(session: Session) -> int:
    """How many versions admins wrote (for tests and the page)."""
    return int(session.scalar(select(func.count()).select_from(ConsentVersion)) or 0)


def _audit(session: Session, actor_id: int | None, action: str, label: str) -> None:
    from screening.audit.services import append as audit

    audit(session, actor_id=actor_id, action=action, target_type="consent", target_id=label)
