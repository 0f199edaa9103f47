"""Admin pages: staff accounts, faculties and which faculties each counselor serves."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.forms import (
    AssignmentForm,
    FacultyForm,
    ToggleForm,
    UserForm,
    password_message,
)
from screening.auth.models import Faculty, Role, User
from screening.auth.services import (
    AccountError,
    WeakPassword,
    create_account,
    create_faculty,
    person,
    set_active,
    set_faculties,
)
from screening.forms import choices
from screening.i18n import current_locale as locale
from screening.templating import role_label

bp = Blueprint("admin", __name__, url_prefix="/admin")

STAFF_ROLES = ("counselor", "supervisor", "dean", "admin")


def _faculties() -> list[Faculty]:
    return list(db.session().scalars(select(Faculty).order_by(Faculty.code)))


def _user_form(faculties: list[Faculty]) -> UserForm:
    form = UserForm()
    form.role.choices = choices((value, role_label(value)) for value in STAFF_ROLES)
    form.faculty.choices = choices([("", "—")] + [(str(f.id), f.code) for f in faculties])
    form.faculties.choices = choices((str(f.id), f.code) for f in faculties)
    return form


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> Response:
    """The admin area opens on the user list."""
    return redirect(url_for("admin.users"))


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> str | Response:
    """List staff, count students per faculty, and create staff accounts."""
    s = db.session()
    faculties = _faculties()
    form = _user_form(faculties)
    if form.validate_on_submit():
        by_id = {str(f.id): f for f in faculties}
        role = Role(form.role.data)
        try:
            create_account(
                s,
                current_user,
                is_advisor=bool(form.is_advisor.data),
                role=role,
                username=(form.username.data or "").strip(),
                password=form.password.data,
                name=form.name.data or "",
                email=form.email.data or "",
                faculty=by_id.get(form.faculty.data or "") if role == Role.DEAN else None,
                faculties=[by_id[i] for i in form.faculties.data or [] if i in by_id]
                if role in (Role.COUNSELOR, Role.SUPERVISOR)
                else None,
            )
        except WeakPassword as exc:
            db.discard(s)
            form.password.errors = [
                *form.password.errors,
                password_message(exc.reason, exc.minimum),
            ]
        except AccountError as exc:
            db.discard(s)
            form.username.errors = [*form.username.errors, str(exc)]
        else:
            flash(_("Account created."), "success")
            return redirect(url_for("admin.users"))
    staff = list(
        s.scalars(select(User).where(User.role != Role.STUDENT).order_by(User.role, User.username))
    )
    names = {u.id: person(s, u).name for u in staff}
    counts = dict(
        s.execute(
            select(User.faculty_id, func.count())
            .where(User.role == Role.STUDENT)
            .group_by(User.faculty_id)
        ).all()
    )
    return render_template(
        "admin/users.html",
        form=form,
        staff=staff,
        names=names,
        faculties=faculties,
        student_counts=counts,
        toggle=ToggleForm(),
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def toggle_active(user_id: int) -> Response:
    """Disable or re-enable an account; disabling ends its sessions."""
    s = db.session()
    user = s.get(User, user_id)
    if user is None:
        abort(404)
    if not ToggleForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("admin.users"))
    set_active(s, current_user, user, not user.active)
    flash(_("Account enabled.") if user.active else _("Account disabled."), "success")
    if request.form.get("back") == "person":
        return redirect(url_for("admin.person_edit", user_id=user.id))
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/faculties", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def assignments(user_id: int) -> str | Response:
    """Set the faculties a counselor or supervisor serves."""
    s = db.session()
    user = s.get(User, user_id)
    if user is None or user.role not in (Role.COUNSELOR, Role.SUPERVISOR):
        abort(404)
    faculties = _faculties()
    form = AssignmentForm()
    form.faculties.choices = choices(
        (str(f.id), f"{f.code} — {f.name(locale())}") for f in faculties
    )
    if request.method == "GET":
        form.faculties.data = [str(f.id) for f in user.faculties]
    if form.validate_on_submit():
        chosen = set(form.faculties.data or [])
        set_faculties(s, current_user, user, [f for f in faculties if str(f.id) in chosen])
        flash(_("Faculties saved."), "success")
        return redirect(url_for("admin.users"))
    return render_template(
        "admin/assignments.html", form=form, user=user, name=person(s, user).name
    )


@bp.route("/faculties", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def faculties() -> str | Response:
    """List and create faculties."""
    s = db.session()
    form = FacultyForm()
    if form.validate_on_submit():
        code = (form.code.data or "").strip()
        if s.scalar(select(Faculty).where(Faculty.code == code)) is not None:
            form.code.errors = [*form.code.errors, _("This code exists already.")]
        else:
            create_faculty(s, current_user, code, form.name_en.data or "", form.name_zh.data or "")
            flash(_("Faculty created."), "success")
            return redirect(url_for("admin.faculties"))
    return render_template("admin/faculties.html", form=form, faculties=_faculties())


@bp.route("/mail")
@roles_required(Role.ADMIN)
def dev_mail() -> str:
    """Development only: the e-mails the local mail sink of `make run` received."""
    from flask import current_app

    from screening.admin import devmail

    if current_app.config["ENVIRONMENT"] != "development":
        abort(404)
    folder = devmail.folder_of(current_app.instance_path)
    return render_template("admin/dev_mail.html", messages=devmail.received(folder))


# The admin area's other pages attach their routes to this blueprint.
from screening.admin import keys_views, roster_views, user_views  # noqa: E402, F401
