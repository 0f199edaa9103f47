"""The keys page (read-only): key ring, data keys by state, last rotation, shreds, last anchor."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import func, select

from screening import db
from screening.admin.routes import bp
from screening.audit.anchoring import last_anchored_at
from screening.audit.models import AuditEntry
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.keys.models import ShredRecord, SubjectKey


@bp.route("/keys")
@roles_required(Role.ADMIN)
def keys() -> str:
    """What an administrator needs to know about the keys; changes stay on the command line."""
    s = db.session()
    ring = current_app.extensions["vault"].ring
    by_kek = dict(
        s.execute(
            select(SubjectKey.kek_id, func.count())
            .where(SubjectKey.shredded_at.is_(None))
            .group_by(SubjectKey.kek_id)
        ).all()
    )
    shredded = s.scalar(
        select(func.count()).select_from(SubjectKey).where(SubjectKey.shredded_at.is_not(None))
    )
    ledger = s.scalar(select(func.count()).select_from(ShredRecord))

    def last(*actions: str) -> AuditEntry | None:
        return s.scalar(
            select(AuditEntry)
            .where(AuditEntry.action.in_(actions))
            .order_by(AuditEntry.at.desc())
            .limit(1)
        )

    return render_template(
        "admin/keys.html",
        keks=ring.keks(),
        active=ring.active_kek_id,
        by_kek=by_kek,
        shredded=shredded or 0,
        ledger=ledger or 0,
        rotation=last("keys.rotate"),
        anchor_at=last_anchored_at(Path(current_app.config["AUDIT_ANCHOR_PATH"])),
    )
