"""Creating campaigns, enabling instruments, assigning students, participation counts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.audit.services import append as audit
from screening.auth.models import Cohort, Faculty, Role, User
from screening.campaigns.models import (
    Assignment,
    Campaign,
    CampaignInstrument,
    CrisisResource,
    InstrumentEnablement,
    campaign_cohorts,
    campaign_faculties,
)
from screening.db import for_writing
from screening.instruments import Instrument, Library

log = logging.getLogger(__name__)

#: Shown until an admin edits the list (China's national lines); admins add their own centre.
DEFAULT_CRISIS_RESOURCES = [
    ("全国统一心理援助热线", "National psychological assistance line", "12356"),
    ("24小时心理危机干预热线", "24-hour psychological crisis line", "400-161-9995"),
    ("报警", "Police", "110"),
    ("急救", "Ambulance", "120"),
]


class CampaignError(ValueError):
    """A campaign could not be created as asked; the message says why."""


#: The languages a campaign serves unless told otherwise: the install's (BCP 47 tags).
DEFAULT_LANGUAGES: tuple[str, ...] = ("zh-Hans", "en")


def language_tags(locales: Sequence[str]) -> tuple[str, ...]:
    """Flask-Babel locale names (zh_Hans) as the BCP 47 tags instruments declare (zh-Hans)."""
    return tuple(dict.fromkeys(locale.replace("_", "-") for locale in locales))


@dataclass(frozen=True)
class MissingLanguages:
    """An instrument and the served languages it has no validated wording in."""

    instrument_id: str
    languages: tuple[str, ...]


class LanguageCoverageError(CampaignError):
    """Instruments lack a language the campaign serves; `missing` says which lacks which."""

    def __init__(self, missing: Sequence[MissingLanguages]) -> None:
        """Keep the structured list so each caller can say it in its user's language."""
        self.missing = tuple(missing)
        super().__init__(
            "; ".join(
                f"{m.instrument_id} has no validated wording in {', '.join(m.languages)}"
                for m in self.missing
            )
            + ". Students who read that language could not answer it: remove the instrument "
            "or do not serve that language."
        )


class SuicideScreenLanguageError(CampaignError):
    """Stepping needs a suicide screen every student can read, and none covers every language."""

    def __init__(self, target: str, trigger: str, screens: Sequence[MissingLanguages]) -> None:
        """Keep the stepped instrument and the screens that fall short, with what they lack."""
        self.target, self.trigger, self.screens = target, trigger, tuple(screens)
        lacking = "; ".join(
            f"{m.instrument_id} has no wording in {', '.join(m.languages)}" for m in self.screens
        )
        super().__init__(
            f"{target} asks about suicide risk and would be skipped when {trigger} is negative, "
            f"and the suicide screen every student answers must exist in every language the "
            f"campaign serves ({lacking})."
        )


def missing_languages(instrument: Instrument, languages: Sequence[str]) -> tuple[str, ...]:
    """The served languages an instrument has no wording in."""
    return tuple(lang for lang in languages if lang not in instrument.languages)


@dataclass(frozen=True)
class Resource:
    """A crisis line as shown to a student."""

    label_zh: str
    label_en: str
    number: str

    def label(self, locale: str) -> str:
        """The label in the user's language."""
        return self.label_zh if locale.startswith("zh") else self.label_en


def enabled_instrument_ids(session: Session, library: Library) -> set[str]:
    """Instruments usable in campaigns: enabled by default, or enabled by an admin."""
    enabled = {i.id for i in library.latest() if i.enabled_by_default}
    return enabled | set(session.scalars(select(InstrumentEnablement.instrument_id)))


def enable_instrument(session: Session, library: Library, instrument_id: str, admin: User) -> None:
    """Record an admin's acknowledgement of the licence, enabling the instrument."""
    instrument = library.get(instrument_id)
    if session.get(InstrumentEnablement, instrument_id) is None:
        session.add(
            InstrumentEnablement(
                instrument_id=instrument_id,
                enabled_by=admin.id,
                licence_text=instrument.licence.text,
            )
        )
        session.flush()
    audit(
        session,
        actor_id=admin.id,
        action="instrument.enable",
        target_type="instrument",
        target_id=instrument_id,
    )


def has_critical_rules(instrument: Instrument) -> bool:
    """True when an instrument can flag a crisis (PHQ-9 item 9, ASQ, UPI item 25)."""
    return any(rule.critical for rule in instrument.rules)


def check_plan(
    library: Library,
    enabled: set[str],
    instruments: Sequence[str],
    steps: dict[str, str],
    languages: Sequence[str] = DEFAULT_LANGUAGES,
) -> list[Instrument]:
    """Check instruments, stepping and languages; refuse a plan that could skip a suicide screen.

    Every instrument must exist in every language the campaign serves; a suicide screen that
    makes stepping safe must too, or the students reading the missing language would be
    stepped past their only suicide question.
    """
    if not languages:
        raise CampaignError("Choose at least one language the campaign serves.")
    if not instruments:
        raise CampaignError("Choose at least one instrument.")
    if len(set(instruments)) != len(instruments):
        raise CampaignError("An instrument appears twice.")
    chosen = []
    for instrument_id in instruments:
        try:
            chosen.append(library.get(instrument_id))
        except KeyError as exc:
            raise CampaignError(f"Unknown instrument {instrument_id}.") from exc
        if instrument_id not in enabled:
            raise CampaignError(
                f"{instrument_id} is not enabled: an admin must acknowledge its licence first."
            )
    for target, trigger in steps.items():
        if target not in instruments or trigger not in instruments:
            raise CampaignError(f"Stepping {trigger} → {target} names an instrument not chosen.")
        if instruments.index(trigger) > instruments.index(target):
            raise CampaignError(f"{trigger} must come before {target} to step into it.")
        if not library.get(trigger).thresholds:
            raise CampaignError(
                f"{trigger} has no positive-screen cut-off, so {target} would never be asked."
            )
    always = [i for i in chosen if i.id not in steps and has_critical_rules(i)]
    for inst in chosen:
        if inst.id not in steps or not has_critical_rules(inst):
            continue
        if not always:
            raise CampaignError(
                f"{inst.id} asks about suicide risk and would be skipped when "
                f"{steps[inst.id]} is negative. Add a suicide screen that every student answers "
                "(e.g. ASQ), or do not step into it."
            )
        if not any(not missing_languages(a, languages) for a in always):
            short = [MissingLanguages(a.id, missing_languages(a, languages)) for a in always]
            raise SuicideScreenLanguageError(inst.id, steps[inst.id], short)
    missing = [
        MissingLanguages(i.id, missing_languages(i, languages))
        for i in chosen
        if missing_languages(i, languages)
    ]
    if missing:
        raise LanguageCoverageError(missing)
    return chosen


def check_settings(
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    faculties: Sequence[Faculty],
    cohorts: Sequence[Cohort],
    reminder_days: str,
) -> list[str]:
    """Refuse a campaign without a name, window or targets; return its reminder days."""
    if not name.strip():
        raise CampaignError("Give the campaign a name.")
    if closes_at <= opens_at:
        raise CampaignError("The campaign must close after it opens.")
    if not faculties or not cohorts:
        raise CampaignError("Choose at least one faculty and one cohort.")
    days = [d.strip() for d in reminder_days.split(",") if d.strip()]
    if any(not d.isdigit() for d in days):
        raise CampaignError("Reminder days must be whole numbers separated by commas, e.g. 3,7.")
    return days


def create_campaign(
    session: Session,
    library: Library,
    *,
    name: str,
    instruments: Sequence[str],
    steps: dict[str, str],
    faculties: Sequence[Faculty],
    cohorts: Sequence[Cohort],
    opens_at: datetime,
    closes_at: datetime,
    show_results: bool,
    consent_version: str,
    reminder_days: str,
    created_by: int | None,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
) -> Campaign:
    """Create a campaign and assign it to every targeted student (audited as `created_by`)."""
    days = check_settings(name, opens_at, closes_at, faculties, cohorts, reminder_days)
    languages = tuple(dict.fromkeys(languages))
    chosen = check_plan(
        library, enabled_instrument_ids(session, library), instruments, steps, languages
    )
    campaign = Campaign(
        name=name.strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        show_results=show_results,
        consent_version=consent_version or "v1",
        reminder_days=",".join(days),
        created_by=created_by,
        languages=",".join(languages),
        faculties=list(faculties),
        cohorts=list(cohorts),
    )
    campaign.instruments = [
        CampaignInstrument(
            position=n,
            instrument_id=inst.id,
            version=inst.version,
            when_positive_of=steps.get(inst.id),
        )
        for n, inst in enumerate(chosen)
    ]
    session.add(campaign)
    session.flush()
    sync_assignments(session, campaign)
    audit(
        session,
        actor_id=created_by,
        action="campaign.create",
        target_type="campaign",
        target_id=str(campaign.id),
    )
    return campaign


def _targeted_students(campaign: Campaign) -> Select[int]:
    return select(User.id).where(
        User.role == Role.STUDENT,
        User.active.is_(True),
        User.faculty_id.in_(
            select(campaign_faculties.c.faculty_id).where(
                campaign_faculties.c.campaign_id == campaign.id
            )
        ),
        User.cohort_id.in_(
            select(campaign_cohorts.c.cohort_id).where(
                campaign_cohorts.c.campaign_id == campaign.id
            )
        ),
    )


def sync_assignments(session: Session, campaign: Campaign) -> int:
    """Assign the campaign to targeted students who have no assignment yet (roster changes)."""
    have = select(Assignment.student_id).where(Assignment.campaign_id == campaign.id)
    new = session.execute(
        _targeted_students(campaign).add_columns(User.faculty_id).where(User.id.not_in(have))
    ).all()
    session.add_all(
        Assignment(campaign_id=campaign.id, student_id=i, faculty_id=f, status="pending")
        for i, f in new
    )
    session.flush()
    return len(new)


def assignments_for(session: Session, student: User, now: datetime) -> list[Assignment]:
    """The student's assignments, picking up campaigns not yet closed that now target them."""
    targeting = select(Campaign).where(
        Campaign.closes_at > now,
        Campaign.id.in_(
            select(campaign_faculties.c.campaign_id).where(
                campaign_faculties.c.faculty_id == student.faculty_id
            )
        ),
        Campaign.id.in_(
            select(campaign_cohorts.c.campaign_id).where(
                campaign_cohorts.c.cohort_id == student.cohort_id
            )
        ),
        Campaign.id.not_in(
            select(Assignment.campaign_id).where(Assignment.student_id == student.id)
        ),
    )
    missing = list(session.scalars(targeting))
    if missing:
        for_writing(session)  # the student's home page (a GET) enrols them
    for campaign in missing:
        try:  # two tabs opening the list at once: the other one's row is as good
            with session.begin_nested():
                session.add(
                    Assignment(
                        campaign_id=campaign.id,
                        student_id=student.id,
                        faculty_id=student.faculty_id,
                        status="pending",
                    )
                )
        except IntegrityError:
            pass
    return list(
        session.scalars(
            select(Assignment)
            .join(Campaign)
            .where(Assignment.student_id == student.id)
            .order_by(Campaign.opens_at.desc())
        )
    )


@dataclass(frozen=True)
class ParticipationRow:
    """Counts for one faculty and cohort of a campaign."""

    faculty: str
    cohort: int
    assigned: int
    started: int
    completed: int
    declined: int


def participation(session: Session, campaign: Campaign) -> list[ParticipationRow]:
    """Assigned, started, completed and declined counts per faculty and cohort (no names)."""
    status = Assignment.status
    rows = session.execute(
        select(
            Faculty.code,
            Cohort.year,
            func.count(),
            func.sum(case((status == "started", 1), else_=0)),
            func.sum(case((status == "completed", 1), else_=0)),
            func.sum(case((status == "declined", 1), else_=0)),
        )
        .select_from(Assignment)
        .join(User, and_(User.id == Assignment.student_id))
        .join(Faculty, Faculty.id == User.faculty_id)
        .join(Cohort, Cohort.id == User.cohort_id)
        .where(Assignment.campaign_id == campaign.id)
        .group_by(Faculty.code, Cohort.year)
        .order_by(Faculty.code, Cohort.year)
    ).all()
    return [ParticipationRow(f, c, a, s or 0, d or 0, x or 0) for f, c, a, s, d, x in rows]


def crisis_resources(session: Session) -> list[Resource]:
    """The crisis lines to show, as admins set them (the national defaults until then)."""
    rows = list(session.scalars(select(CrisisResource).order_by(CrisisResource.position)))
    if not rows:
        return [Resource(zh, en, number) for zh, en, number in DEFAULT_CRISIS_RESOURCES]
    return [Resource(r.label_zh, r.label_en, r.number) for r in rows]


def save_crisis_resources(
    session: Session, lines: Sequence[tuple[str, str, str]], actor_id: int
) -> None:
    """Replace the crisis lines with (Chinese label, English label, number) rows (audited)."""
    session.execute(delete(CrisisResource))
    session.add_all(
        CrisisResource(position=n, label_zh=zh, label_en=en, number=number)
        for n, (zh, en, number) in enumerate(lines)
    )
    session.flush()
    audit(session, actor_id=actor_id, action="crisis_lines.edit", target_type="settings")


def crisis_resources_or_defaults(session: Session) -> list[Resource]:
    """The crisis lines, or the national defaults when they cannot be read: never raises.

    The crisis page and the support block must render even when the database is failing. The
    lines are read in a savepoint, so a failure here never rolls back (or commits) the request's
    own work: the request's unit of work decides that.
    """
    try:
        with session.begin_nested():
            return crisis_resources(session)
    except Exception:
        log.exception("crisis lines unreadable; showing the national defaults")
        return [Resource(zh, en, number) for zh, en, number in DEFAULT_CRISIS_RESOURCES]


def due_reminders(session: Session, now: datetime) -> list[tuple[Assignment, str]]:
    """(assignment, day) pairs whose reminder day has come and that were not reminded for it."""
    due = []
    open_campaigns = session.scalars(
        select(Campaign).where(
            Campaign.opens_at <= now, Campaign.closes_at > now, Campaign.reminder_days != ""
        )
    )
    for campaign in open_campaigns:
        days = [d for d in campaign.reminder_days.split(",") if d]
        reached = [d for d in days if campaign.opens_at + timedelta(days=int(d)) <= now]
        if not reached:
            continue
        day = reached[-1]  # only the latest step: a late run does not send a burst
        pending = session.scalars(
            select(Assignment)
            .join(User, User.id == Assignment.student_id)
            .where(
                Assignment.campaign_id == campaign.id,
                Assignment.status.in_(("pending", "started")),
                User.active.is_(True),  # nobody writes to a student who has left
            )
        )
        for assignment in pending:
            if day not in assignment.reminders_sent.split(","):
                due.append((assignment, day))
    return due


def mark_reminded(assignment: Assignment, day: str) -> None:
    """Remember that this reminder step went out, so it is never sent twice."""
    sent = [d for d in assignment.reminders_sent.split(",") if d]
    assignment.reminders_sent = ",".join([*sent, day])
