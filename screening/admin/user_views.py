"""Find a person (exact student number, e-mail or username), edit, reset the second factor."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening import db
from screening.admin.forms import UserEditForm, UserSearchForm
from screening.admin.routes import STAFF_ROLES, _faculties, bp
from screening.auth import mfa
from screening.auth.access import roles_required
from screening.auth.forms import ToggleForm
from screening.auth.models import Role, User
from screening.auth.services import (
    find_by_login,
    get_or_create_cohort,
    person,
    record_account_access,
    set_personal,
    vault_of,
)
from screening.forms import choices
from screening.i18n import current_locale as locale
from screening.templating import role_label


def _find(q: str) -> list[User]:
    """Exact matches only: username, student number or e-mail through their blind indexes."""
    s = db.session()
    found = find_by_login(s, q)
    if found is not None:
        return [found]
    if "@" in q:
        index = vault_of(s).index("email", q.strip())
        return list(s.scalars(select(User).where(User.email_index == index).limit(20)))
    return []


@bp.route("/people")
@roles_required(Role.ADMIN)
def people() -> str:
    """Search one person by an exact identifier; no list of everyone, no partial matches."""
    form = UserSearchForm(request.args)
    results: list[tuple[User, str | None]] = []
    searched = bool(request.args.get("q")) and form.validate()
    if searched:
        s = db.session()
        db.for_writing(s)  # this view writes (an audit entry)
        for user in _find(form.q.data or ""):
            results.append((user, person(s, user).name))
            record_account_access(s, current_user.id, "user.search", user.id)
    return render_template("admin/people.html", form=form, results=results, searched=searched)


def _edit_form(user: User) -> UserEditForm:
    form = UserEditForm()
    faculties = _faculties()
    if user.role == Role.STUDENT:
        form.role.choices = choices([(Role.STUDENT.value, role_label(Role.STUDENT.value))])
    else:
        form.role.choices = choices((value, role_label(value)) for value in STAFF_ROLES)
    form.faculty.choices = choices(
        [("", "—")] + [(str(f.id), f"{f.code} — {f.name(locale())}") for f in faculties]
    )
    form.faculties.choices = choices(
        (str(f.id), f"{f.code} — {f.name(locale())}") for f in faculties
    )
    return form


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def person_edit(user_id: int) -> str | Response:
    """A person's details: edit name, e-mail, role and faculties (each save audited)."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    user = s.get(User, user_id)
    if user is None:
        abort(404)
    form = _edit_form(user)
    opened = person(s, user)
    if request.method == "GET":
        form.name.data = opened.name
        form.email.data = opened.email
        form.role.data = user.role
        form.faculty.data = str(user.faculty_id or "")
        form.faculties.data = [str(f.id) for f in user.faculties]
        form.cohort.data = user.cohort.year if user.cohort else None
    if form.validate_on_submit():
        by_id = {str(f.id): f for f in _faculties()}
        changed = []
        if form.name.data != opened.name or (form.email.data or "") != (opened.email or ""):
            set_personal(s, user, name=form.name.data, email=(form.email.data or "").strip())
            changed.append("personal")
        role = form.role.data or user.role
        if role != user.role:
            if user.id == current_user.id:
                flash(_("You cannot change your own role."), "error")
                return redirect(url_for("admin.person_edit", user_id=user.id))
            user.role = role
            user.session_version += 1  # the new role applies from the next log-in
            changed.append(f"role={role}")
        faculty = by_id.get(form.faculty.data or "")
        if role in (Role.STUDENT, Role.DEAN) and faculty != user.faculty:
            if role == Role.STUDENT and faculty is None:
                form.faculty.errors = [_("A student needs a faculty.")]
                return _page(user, form, opened.student_number)
            user.faculty = faculty
            changed.append(f"faculty={faculty.code if faculty else '-'}")
        if role not in (Role.STUDENT, Role.DEAN) and user.faculty is not None:
            user.faculty = None
        served = [by_id[i] for i in form.faculties.data or [] if i in by_id]
        if role in (Role.COUNSELOR, Role.SUPERVISOR) and set(served) != set(user.faculties):
            user.faculties = served
            changed.append("faculties=" + ",".join(sorted(f.code for f in served)))
        if (
            role == Role.STUDENT
            and form.cohort.data
            and (user.cohort is None or user.cohort.year != form.cohort.data)
        ):
            user.cohort = get_or_create_cohort(s, form.cohort.data)
            changed.append(f"cohort={form.cohort.data}")
        if changed:
            # What changed, never the values of personal fields.
            record_account_access(s, current_user.id, "user.update", user.id, " ".join(changed))
            flash(_("Saved."), "success")
        return redirect(url_for("admin.person_edit", user_id=user.id))
    record_account_access(s, current_user.id, "user.view", user.id)
    return _page(user, form, opened.student_number)


def _page(user: User, form: UserEditForm, student_number: str | None) -> str:
    s = db.session()
    return render_template(
        "admin/person.html",
        user=user,
        form=form,
        student_number=student_number,
        enrolled=mfa.enrolled(s, user),
        toggle=ToggleForm(),
    )


@bp.route("/people/<int:user_id>/reset-mfa", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_mfa(user_id: int) -> Response:
    """Remove a person's authenticator and recovery codes (lost phone); they enrol again."""
    s = db.session()
    user = s.get(User, user_id)
    if user is None:
        abort(404)
    if not ToggleForm().validate_on_submit():
        abort(400)
    mfa.reset(s, user)
    record_account_access(s, current_user.id, "mfa.reset", user.id)
    flash(
        _("Two-step verification removed; the person enrols again at the next log-in."), "success"
    )
    return redirect(url_for("admin.person_edit", user_id=user.id))
