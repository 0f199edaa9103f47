"""The student's own record: who looked at it, what is held and until when, consents, download."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, render_template
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role, User
from screening.auth.services import person
from screening.campaigns import consent as consent_notices
from screening.campaigns.models import Assignment
from screening.i18n import current_locale
from screening.responses.forms import TokenForm
from screening.responses.models import Submission
from screening.responses.routes import answers_document, bp
from screening.retention import policy as pol
from screening.retention import services as retention
from screening.retention.forms import CATEGORY_NAMES

#: What a staff member or the system did, as the student reads it.
ACTION_LABELS = {
    "case.view": _l("Opened your case"),
    "case.break_glass": _l("Asked for emergency access to your case"),
    "case.claim": _l("Took on your case"),
    "case.acknowledge": _l("Recorded first contact with you"),
    "case.note": _l("Wrote a note in your case"),
    "case.close": _l("Closed your case"),
    "case.signoff": _l("Signed off the close-out of your case"),
    "case.reassign": _l("Passed your case to another counselor"),
    "case.hold": _l("Placed a legal hold on your case"),
    "case.release": _l("Lifted a legal hold on your case"),
    "user.create": _l("Created your account"),
    "user.enable": _l("Changed whether your account is active"),
    "user.password": _l("Reset your password"),
    "mfa.reset": _l("Reset your second sign-in step"),
    "keys.shred": _l("Destroyed your data key (erasure)"),
    "keys.reshred": _l("Destroyed your data key again after a restore"),
    "retention.purge": _l("Deleted data past its retention date"),
}
CATEGORY_LABELS = {
    "answers": _l("Your answers and saved drafts"),
    "scores": _l("Your scores"),
    "cases": _l("Cases and counselors' notes"),
    "contact": _l("Contact data (name, student number, e-mail)"),
    "consents": _l("Your consent decisions"),
}


def _names(s: Any, accesses: list[retention.Access]) -> dict[int, str]:
    """Staff names by user id, only where the install chose to show them."""
    if not current_app.config.get("RECORD_SHOW_STAFF_NAMES"):
        return {}
    ids = {a.actor_id for a in accesses if a.actor_id is not None}
    users = s.scalars(select(User).where(User.id.in_(ids))) if ids else []
    return {u.id: person(s, u).name or u.username or "" for u in users}


@bp.route("/record")
@roles_required(Role.STUDENT)
def record() -> str:
    """Who accessed the student's record and when, what is held until when, their consents."""
    s = db.session()
    db.for_writing(s)  # the view of one's own record is audited
    policy = retention.current_policy(s)
    accesses = retention.accesses(s, current_user.id)
    retention.record_own_access(s, current_user.id, "record.view")
    consents = retention.consents(s, current_user.id)
    lang = current_locale()
    notices = {}
    for version in {c.version for c in consents}:
        shown = consent_notices.notice(s, version)
        notices[version] = consent_notices.blocks(shown.text(lang)) if shown else []
    return render_template(
        "responses/record.html",
        accesses=accesses,
        names=_names(s, accesses),
        action_label=lambda a: str(ACTION_LABELS.get(a, _l("Worked on your record"))),
        held=retention.held(s, current_user.id, policy),
        category_label=lambda c: str(CATEGORY_LABELS[c]),
        consents=consents,
        notices=notices,
        on_hold=retention.on_hold(s, current_user.id),
        policy=[(str(CATEGORY_NAMES[c]), policy[c]) for c in pol.CATEGORIES],
        form=TokenForm(),
        day=lambda d: format_date(d, "medium"),
    )


@bp.route("/record/download", methods=["POST"])
@roles_required(Role.STUDENT)
def record_download() -> Response:
    """Everything on the record page and every answer, as one JSON file (POST: audited)."""
    s = db.session()
    if not TokenForm().validate_on_submit():
        return Response(status=400)
    policy = retention.current_policy(s)
    accesses = retention.accesses(s, current_user.id)
    document = retention.record_document(s, current_user.id, policy, _names(s, accesses))
    me = person(s, current_user)
    document["contact"] = {
        "name": me.name,
        "student_number": me.student_number,
        "email": me.email,
    }
    rows = s.execute(
        select(Submission, Assignment)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Submission.student_id == current_user.id)
        .order_by(Submission.submitted_at)
    )
    document["submissions"] = [answers_document(a, sub, "json") for sub, a in rows]
    retention.record_own_access(s, current_user.id, "record.download")
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-record.json"',
            "Cache-Control": "no-store",
        },
    )
