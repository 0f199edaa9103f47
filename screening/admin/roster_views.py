"""Roster import in the web: upload, preview what would change, confirm with the same file.

Nothing is written until the admin confirms. The upload is not kept anywhere (no file, no
session): the confirmation uploads the file again, and a keyed digest of the previewed bytes
makes sure what is imported is exactly what was previewed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from screening import db
from screening.admin import upload
from screening.admin.forms import RosterConfirmForm, RosterUploadForm
from screening.admin.routes import bp
from screening.auth import roster
from screening.auth.access import roles_required
from screening.auth.models import Role

SHOWN_ROWS = 500


@dataclass
class Preview:
    """What an upload would do, ready for the page."""

    parsed: roster.RosterParse
    errors: list[tuple[int, str]]
    plan: roster.RosterPlan
    new_codes: list[str]
    digest: str

    def status(self, line: int) -> str:
        """new, updated, unchanged or error for one line."""
        if line in {n for n, _ in self.errors}:
            return "error"
        if line in self.plan.new:
            return "new"
        return "updated" if line in self.plan.updated else "unchanged"


def _read(storage: FileStorage, create: list[str]) -> Preview:
    data = storage.read()
    secret = str(current_app.config["SECRET_KEY"])
    try:
        text = upload.to_text(storage.filename or "", data)
    except ValueError as exc:
        empty = roster.RosterParse()
        return Preview(empty, [(1, str(exc))], roster.RosterPlan(), [], upload.digest(secret, data))
    parsed = roster.parse(text)
    s = db.session()
    # A typo in a faculty code or a class counselor's username is an error on its line.
    unknown = roster.unknown_faculties(s, parsed.rows, create)
    unknown += roster.unknown_counselors(s, parsed.rows)
    bad = {line for line, _ in unknown}
    rows = [row for row in parsed.rows if row.line not in bad]
    return Preview(
        parsed,
        sorted(parsed.errors + unknown),
        roster.plan(s, rows),
        roster.new_faculty_codes(s, parsed.rows),
        upload.digest(secret, data),
    )


def _page(preview: Preview | None, form: RosterUploadForm, confirm: RosterConfirmForm) -> str:
    return render_template(
        "admin/roster.html",
        preview=preview,
        form=form,
        confirm=confirm,
        reason_text=upload.reason_text,
        shown_rows=SHOWN_ROWS,
    )


@bp.route("/roster", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def roster_upload() -> str:
    """Upload a roster and see, line by line, what importing it would change."""
    form = RosterUploadForm()
    confirm = RosterConfirmForm(formdata=None)
    preview = None
    if form.validate_on_submit():
        preview = _read(form.roster.data, [])
        confirm.digest.data = preview.digest
        confirm.new_faculties.data = ",".join(preview.new_codes)
        s = db.session()
        db.for_writing(s)  # this view writes (an audit entry)
        roster.record_preview(s, current_user.id, len(preview.parsed.rows), len(preview.errors))
    return _page(preview, form, confirm)


@bp.route("/roster/import", methods=["POST"])
@roles_required(Role.ADMIN)
def roster_import() -> str | Response:
    """Import the previewed roster (uploaded again); refused while any line is wrong."""
    form = RosterUploadForm(formdata=None)
    confirm = RosterConfirmForm()
    if not confirm.validate_on_submit():
        flash(_("Choose the same roster file again to import it."), "error")
        return _page(None, form, confirm)
    named = [c for c in (confirm.new_faculties.data or "").split(",") if c]
    create = named if confirm.create_faculties.data else []
    preview = _read(confirm.roster.data, create)
    if preview.digest != confirm.digest.data:
        flash(_("This is not the file you previewed. Preview it first."), "error")
        return _page(None, form, RosterConfirmForm(formdata=None))
    if preview.errors:
        flash(
            _("Nothing was imported: correct the lines below and upload the file again."), "error"
        )
        return _page(preview, form, confirm)
    s = db.session()
    result = roster.apply(s, preview.parsed.rows)
    created = [c for c in preview.new_codes if c in create]
    roster.record_import(s, current_user.id, result, created)
    flash(
        _(
            "Roster imported: %(new)d new, %(updated)d updated, %(same)d unchanged.",
            new=len(preview.plan.new),
            updated=len(preview.plan.updated),
            same=len(preview.plan.unchanged),
        ),
        "success",
    )
    if created:
        flash(
            _(
                "New faculties: %(codes)s. Give them names and counselors.",
                codes=", ".join(created),
            ),
            "success",
        )
    return redirect(url_for("admin.roster_upload"))
