"""Class counselors (辅导员): told that a student of theirs has an open crisis case, and asked by
the counselor to help reach the student. Only that travels: no answer, score, sign or note; the
e-mail says "log in", the page names the student and who at the centre holds the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.contact import contact_of
from screening.auth.models import Role, User
from screening.auth.services import person
from screening.cases import intake
from screening.cases import services as cases
from screening.cases.models import Case
from screening.db import utcnow
from screening.notify.services import enqueue
from screening.referrals.models import ClassCounselorNotice
from screening.referrals.services import ReferralError

PAGE = "/referrals/class"


def _class_counselor(session: Session, case: Case) -> User | None:
    student = session.get(User, case.student_id)
    if student is None or not student.class_counselor_id:
        return None
    counselor = session.get(User, student.class_counselor_id)
    if counselor is None or not counselor.active or counselor.role == Role.STUDENT:
        return None
    return counselor


def tell_class_counselor(session: Session, case: Case, now: datetime | None = None) -> bool:
    """When configured, tell the student's class counselor once that the student has an open
    crisis case (called by the case intake when a case opens as, or rises to, a crisis)."""
    if not session.info["app"].config.get("REFERRAL_TELL_CLASS_COUNSELOR"):
        return False
    if case.tier != "crisis" or case.status == "closed":
        return False
    counselor = _class_counselor(session, case)
    if counselor is None:
        return False
    told = session.scalar(
        select(ClassCounselorNotice.id).where(
            ClassCounselorNotice.case_id == case.id,
            ClassCounselorNotice.counselor_id == counselor.id,
            ClassCounselorNotice.kind == "told",
        )
    )
    if told is not None:
        return False
    session.add(
        ClassCounselorNotice(
            case_id=case.id, counselor_id=counselor.id, kind="told", at=now or utcnow()
        )
    )
    intake.event(session, case, "class_counselor_told", detail={"counselor_id": counselor.id})
    enqueue(session, recipient_id=counselor.id, kind="class.crisis", link_path=PAGE)
    session.flush()
    return True


def ask_class_counselor(session: Session, viewer: User, case_id: int) -> ClassCounselorNotice:
    """The counselor holding a case asks the student's class counselor to help reach them."""
    case = cases.get_case(session, viewer, case_id)  # scope, or CaseError
    if case.status == "closed":
        raise ReferralError("state")
    counselor = _class_counselor(session, case)
    if counselor is None:
        raise ReferralError("no_class_counselor")
    notice = ClassCounselorNotice(
        case_id=case.id, counselor_id=counselor.id, kind="asked", at=utcnow(), by=viewer.id
    )
    session.add(notice)
    intake.event(
        session,
        case,
        "class_counselor_asked",
        actor_id=viewer.id,
        detail={"counselor_id": counselor.id},
    )
    enqueue(session, recipient_id=counselor.id, kind="class.help", link_path=PAGE)
    audit(
        session,
        actor_id=viewer.id,
        action="case.ask_class_counselor",
        target_type="case",
        target_id=str(case.id),
    )
    session.flush()
    return notice


@dataclass(frozen=True)
class ClassNotice:
    """What a class counselor sees: which student, told or asked, when, and whom to call."""

    kind: str
    at: datetime
    name: str
    student_number: str
    class_name: str
    holder: str


def for_class_counselor(session: Session, counselor: User) -> list[ClassNotice]:
    """The class counselor's notices about cases still open, newest first (audited)."""
    rows = session.execute(
        select(ClassCounselorNotice, Case)
        .join(Case, Case.id == ClassCounselorNotice.case_id)
        .where(ClassCounselorNotice.counselor_id == counselor.id, Case.status != "closed")
        .order_by(ClassCounselorNotice.at.desc(), ClassCounselorNotice.id.desc())
    ).all()
    found = []
    for notice, case in rows:
        student = session.get(User, case.student_id)
        holder = session.get(User, case.assignee_id) if case.assignee_id else None
        if student is None:
            continue
        who = person(session, student)
        found.append(
            ClassNotice(
                kind=notice.kind,
                at=notice.at,
                name=who.name or "",
                student_number=who.student_number or "",
                class_name=contact_of(session, student).class_name,
                holder=(person(session, holder).name or holder.username or "") if holder else "",
            )
        )
    audit(session, actor_id=counselor.id, action="class_notices.view", target_type="class")
    return found
