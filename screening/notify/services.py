"""Enqueue notifications in the caller's transaction; deliver them over SMTP with retries.

Delivery is at-least-once, never concurrent: a worker claims due rows (status 'sending',
committed; `FOR UPDATE SKIP LOCKED` on PostgreSQL plus a conditional UPDATE everywhere) before
it talks to the SMTP server, and marks a row 'sent' only after the server accepted it. Two
workers therefore never send the same row. A crash after the server accepted a message but
before 'sent' was committed leaves the row 'sending'; `recover_stuck` puts it back after ten
minutes and it goes out once more, with the same Message-ID, which mail systems use to fold
the duplicate. Exactly-once is impossible with SMTP (no two-phase commit); we prefer a rare
duplicate notice to a lost crisis alert.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from screening import db
from screening.auth.models import User
from screening.auth.services import person
from screening.db import utcnow
from screening.notify.models import Alert, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
#: Problems of the system itself, alerted to every admin (see alert_admins).
SYSTEM_KINDS = ("system.keyring", "system.delivery", "system.anchor", "security.burst")
KINDS = (
    "case.new",
    "case.escalated",
    "case.signoff",
    "case.breakglass",
    "reminder",
    "password.reset",
    "security.login",
    "campaign.extended",
    "campaign.closed",
    "class.crisis",
    "class.help",
    *SYSTEM_KINDS,
)
#: An admin gets one alert of a system kind per this interval, however many processes notice.
SYSTEM_ALERT_EVERY = timedelta(hours=1)
#: Fixed, reviewed wording per kind and language: no name, score, instrument or answer, ever.
SUBJECTS = {
    "zh": {
        "case.new": "筛查系统：您有一条新的关注提醒",
        "case.escalated": "筛查系统：一条关注提醒已升级，请尽快处理",
        "case.signoff": "筛查系统：有结案申请等待您签字确认",
        "case.breakglass": "筛查系统：有同事申请了紧急查阅权限",
        "class.crisis": "筛查系统：您负责的一名学生需要关注",
        "class.help": "筛查系统：心理中心请您协助联系一名学生",
        "reminder": "心理健康筛查提醒",
        "password.reset": "筛查系统：重设密码",
        "security.login": "筛查系统：登录安全提醒，请查看",
        "campaign.extended": "心理健康筛查：截止时间已延长",
        "campaign.closed": "心理健康筛查已提前结束",
        "system.keyring": "筛查系统：密钥环出现问题，请立即处理",
        "system.delivery": "筛查系统：危机提醒无法送达，请立即处理",
        "system.anchor": "筛查系统：审计日志与锚点不一致，请立即核查",
        "security.burst": "筛查系统：短时间内出现大量安全事件",
    },
    "en": {
        "case.new": "Screening: you have a new alert",
        "case.escalated": "Screening: an alert was escalated and needs action",
        "case.signoff": "Screening: a close-out awaits your sign-off",
        "case.breakglass": "Screening: a colleague used emergency access",
        "class.crisis": "Screening: a student of yours needs attention",
        "class.help": "Screening: the counselling centre asks your help to reach a student",
        "reminder": "Wellbeing screening reminder",
        "password.reset": "Screening: reset your password",
        "security.login": "Screening: a log-in security alert needs your attention",
        "campaign.extended": "Wellbeing screening: the closing date was extended",
        "campaign.closed": "Wellbeing screening closed early",
        "system.keyring": "Screening: a problem with the key ring needs action now",
        "system.delivery": "Screening: crisis alerts cannot be delivered",
        "system.anchor": "Screening: the audit log does not match its anchor",
        "security.burst": "Screening: a burst of security events",
    },
}
BODIES = {
    "zh": "您在筛查系统中有一条新的通知。请登录查看：{link}\n\n此邮件由系统自动发送，请勿回复。\n",
    "en": "You have a new alert in Screening. Log in to see it: {link}\n\n"
    "This message was sent automatically; please do not reply.\n",
}
#: The reset e-mail: the single-use link and nothing else about the account.
RESET_BODIES = {
    "zh": "有人（希望是您本人）请求重设筛查系统的密码。请在 30 分钟内打开下面的链接设置新密码，"
    "链接只能使用一次：\n{link}\n\n如果这不是您的请求，请忽略此邮件，您的密码不会改变。\n\n"
    "此邮件由系统自动发送，请勿回复。\n",
    "en": "Someone (we hope you) asked to reset your Screening password. Open this link within "
    "30 minutes to set a new one; it works once:\n{link}\n\nIf you did not ask for this, "
    "ignore this e-mail: your password stays as it is.\n\n"
    "This message was sent automatically; please do not reply.\n",
}


def enqueue(
    session: Session, *, recipient_id: int, kind: str, link_path: str, alert: bool = True
) -> None:
    """Add an e-mail (and an in-app alert) to the caller's transaction; no content, only a kind.

    `link_path` is a path inside the app (ids only, never personal data). Nothing is sent until
    the caller commits, and nothing is left behind if it rolls back.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not link_path.startswith("/") or link_path.startswith("//"):
        raise ValueError("link_path must be a path inside the app")
    session.add(OutboxMessage(recipient_id=recipient_id, kind=kind, link_path=link_path))
    if alert:
        session.add(Alert(recipient_id=recipient_id, kind=kind, link_path=link_path))


def alert_admins(session: Session, kind: str, link_path: str, now: datetime | None = None) -> int:
    """Alert every active admin (in-app and e-mail) of a system problem; return how many.

    An admin who already has an unacknowledged alert of this kind from the last hour gets no
    second one, so many processes noticing the same fault alert once.
    """
    if kind not in SYSTEM_KINDS:
        raise ValueError(f"unknown system alert kind {kind!r}")
    now = now or utcnow()
    admins = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True)))
    recent = set(
        session.scalars(
            select(Alert.recipient_id).where(
                Alert.kind == kind,
                Alert.acknowledged_at.is_(None),
                Alert.created_at > now - SYSTEM_ALERT_EVERY,
            )
        )
    )
    count = 0
    for admin_id in admins.all():
        if admin_id not in recent:
            enqueue(session, recipient_id=admin_id, kind=kind, link_path=link_path)
            count += 1
    session.flush()
    return count


#: Messages about a student at risk: retried at least every CRISIS_BACKOFF_CAP, never given up.
CRISIS_KINDS = frozenset({"case.new", "case.escalated"})
CRISIS_BACKOFF_CAP = timedelta(minutes=5)


def backoff(attempts: int, kind: str = "") -> timedelta:
    """Wait before the next attempt: 1, 2, 4 … minutes, at most an hour (crisis: 5 minutes).

    A crisis alert must reach someone well within the one-hour time limit of a crisis, so
    after an outage it is retried every five minutes however long the outage lasted.
    """
    wait = timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))
    return min(wait, CRISIS_BACKOFF_CAP) if kind in CRISIS_KINDS else wait


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom to send."""

    host: str
    port: int
    sender: str
    base_url: str
    username: str = ""
    password: str = ""
    starttls: bool = False


def message_id(message: OutboxMessage, base_url: str) -> str:
    """The same Message-ID for every attempt of one outbox row, unique across rows."""
    domain = urlsplit(base_url).hostname or "screening"
    stamp = int(message.created_at.timestamp())
    return f"<outbox-{message.id}-{stamp}@{domain}>"


def render(
    message: OutboxMessage,
    lang: str,
    address: str,
    settings: MailSettings,
    link_path: str | None = None,
) -> EmailMessage:
    """The e-mail in the recipient's language: a notice and a link, nothing personal."""
    lang = "en" if lang.startswith("en") else "zh"
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = address
    email["Subject"] = SUBJECTS[lang].get(message.kind, SUBJECTS[lang]["case.new"])
    email["Message-ID"] = message_id(message, settings.base_url)
    email["Auto-Submitted"] = "auto-generated"
    bodies = RESET_BODIES if message.kind == "password.reset" else BODIES
    link = settings.base_url.rstrip("/") + (link_path or message.link_path)
    email.set_content(bodies[lang].format(link=link))
    return email


def _claim(session: Session, now: datetime, limit: int) -> list[int]:
    """Move due rows from pending to sending in one committed transaction; return their ids."""
    due = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    claimed = []
    for message_id_ in due:
        won = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id_, OutboxMessage.status == "pending")
            .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
        ).rowcount  # type: ignore[attr-defined]  # a CursorResult at run time
        if won:
            claimed.append(message_id_)
    db.complete(session)
    return claimed


def _send(smtp_settings: MailSettings, email: EmailMessage) -> None:
    with smtplib.SMTP(smtp_settings.host, smtp_settings.port, timeout=15) as smtp:
        if smtp_settings.starttls:
            smtp.starttls()
        if smtp_settings.username:
            smtp.login(smtp_settings.username, smtp_settings.password)
        smtp.send_message(email)


def deliver(
    session_factory: Callable[[], Session],
    settings: MailSettings,
    now: datetime | None = None,
    limit: int = 100,
) -> tuple[int, int]:
    """Send due messages; return (sent, given up). Safe to run in several workers at once."""
    now = now or utcnow()
    sent = failed = 0
    with session_factory() as session:
        claimed = _claim(session, now, limit)
    for message_id_ in claimed:
        with session_factory() as session:
            message = session.get(OutboxMessage, message_id_)
            assert message is not None
            recipient = session.get(User, message.recipient_id)
            address = person(session, recipient).email if recipient and recipient.active else None
            if not address or getattr(address, "unreadable", False):
                message.status, message.last_error = "failed", "NoAddress"
                log.error(
                    "outbox %s (%s) to user %s not sent: no readable address; given up",
                    message.id,
                    message.kind,
                    message.recipient_id,
                )
                _alert_if_crisis(session, message)
                db.complete(session)
                failed += 1
                continue
            link: str | None = message.link_path
            if message.kind == "password.reset":
                # The link's token is recomputed now; an expired or used reset is not sent.
                from screening.auth.recovery import link_path as reset_link

                link = reset_link(session, message.link_path, now)
                if link is None:
                    message.status, message.last_error = "failed", "Expired"
                    db.complete(session)
                    failed += 1
                    continue
            assert recipient is not None  # no recipient, no address: handled above
            try:
                email = render(message, recipient.locale or "zh", address, settings, link)
                _send(settings, email)
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = type(exc).__name__
                crisis = message.kind in CRISIS_KINDS
                if message.attempts >= MAX_ATTEMPTS and not crisis:
                    message.status = "failed"
                    failed += 1
                else:
                    message.status = "pending"
                    message.next_attempt_at = now + backoff(message.attempts, message.kind)
                log.warning(
                    "outbox %s (%s) send failed: %s, attempt %d; %s",
                    message.id,
                    message.kind,
                    message.last_error,
                    message.attempts,
                    "given up"
                    if message.status == "failed"
                    else f"next attempt at {message.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC",
                )
                _alert_if_crisis(session, message)
                db.complete(session)
                continue
            message.status, message.sent_at, message.last_error = "sent", utcnow(), None
            db.complete(session)
            sent += 1
    return sent, failed


def waiting(session: Session) -> int:
    """How many e-mails wait in the outbox to be sent (pending or being sent)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(("pending", "sending")))
        )
        or 0
    )


def mail_problem(settings: MailSettings) -> str | None:
    """Why no e-mail can go out now (no server set, or none answering); None when one answers."""
    if not settings.host:
        return (
            "No mail server is configured: set MAIL_SERVER (SCREENING_MAIL_SERVER) and MAIL_PORT."
        )
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=5) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return (
            f"No mail server answers at {settings.host}:{settings.port} ({type(exc).__name__}): "
            "set MAIL_SERVER and MAIL_PORT (SCREENING_MAIL_SERVER, SCREENING_MAIL_PORT) to your "
            "mail relay; in development `make run` starts a local one."
        )
    return None


def _alert_if_crisis(session: Session, message: OutboxMessage) -> None:
    """A crisis alert that could not go out: tell the admins in the app (e-mail may be down)."""
    if message.kind in CRISIS_KINDS:
        alert_admins(session, "system.delivery", "/notify/")


def recover_stuck(
    session: Session, now: datetime, older_than: timedelta = timedelta(minutes=10)
) -> int:
    """Put back messages left 'sending' by a crashed worker (they may go out once more)."""
    moved = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at < now - older_than)
        .values(status="pending")
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult at run time
    return int(moved)


def open_alerts(session: Session, user: User) -> list[Alert]:
    """The user's alerts, unacknowledged first, newest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.recipient_id == user.id)
            .order_by(Alert.acknowledged_at.is_not(None), Alert.created_at.desc(), Alert.id.desc())
            .limit(200)
        )
    )


def unread_count(session: Session, user: User) -> int:
    """How many of the user's alerts are not acknowledged yet (for the navigation badge)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.recipient_id == user.id, Alert.acknowledged_at.is_(None))
        )
        or 0
    )


def acknowledge(session: Session, user: User, alert_id: int) -> Alert | None:
    """Mark one of the user's own alerts as seen; None when it is not theirs."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.recipient_id != user.id:
        return None
    alert.acknowledged_at = alert.acknowledged_at or utcnow()
    return alert


@dataclass(frozen=True)
class AlertGroup:
    """Alerts of one kind about one thing (e.g. every escalation of one case) shown as one."""

    kind: str
    link_path: str
    alerts: tuple[Alert, ...]

    @property
    def first(self) -> Alert:
        """The newest alert of the group (its id acknowledges the whole group)."""
        return self.alerts[0]

    @property
    def unread(self) -> bool:
        """True while any alert of the group is not acknowledged."""
        return any(a.acknowledged_at is None for a in self.alerts)


def grouped_alerts(session: Session, user: User) -> list[AlertGroup]:
    """The user's alerts grouped by kind and link, unread groups first, newest first."""
    groups: dict[tuple[str, str, bool], list[Alert]] = {}
    for alert in open_alerts(session, user):
        key = (alert.kind, alert.link_path, alert.acknowledged_at is None)
        groups.setdefault(key, []).append(alert)
    return [AlertGroup(kind, link, tuple(alerts)) for (kind, link, _), alerts in groups.items()]


def acknowledge_group(session: Session, user: User, alert_id: int) -> Alert | None:
    """Mark one of the user's alerts and its unread siblings (same kind and link) as seen."""
    alert = acknowledge(session, user, alert_id)
    if alert is not None:
        session.execute(
            update(Alert)
            .where(
                Alert.recipient_id == user.id,
                Alert.kind == alert.kind,
                Alert.link_path == alert.link_path,
                Alert.acknowledged_at.is_(None),
            )
            .values(acknowledged_at=alert.acknowledged_at)
        )
    return alert


def acknowledge_many(session: Session, user: User, alert_ids: list[int]) -> int:
    """Mark several of the user's own alerts (and their groups) as seen; how many groups."""
    done = 0
    for alert_id in alert_ids[:200]:
        if acknowledge_group(session, user, alert_id) is not None:
            done += 1
    session.flush()
    return done
