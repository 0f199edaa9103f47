"""Admin pages: campaigns and participation, instrument enablement, crisis lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Cohort, Faculty, Role
from screening.campaigns import builder, consent, lifecycle, messages, services
from screening.campaigns.centre import (
    Centre,
    counselling_centre,
    counselling_centre_or_none,
    save_counselling_centre,
)
from screening.campaigns.forms import (
    CampaignForm,
    CentreForm,
    CloseForm,
    ConsentNoticeForm,
    EnableForm,
    ExtendForm,
    ResourcesForm,
)
from screening.campaigns.models import Campaign
from screening.db import utcnow
from screening.forms import choices
from screening.i18n import current_locale
from screening.instruments import Library

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.app_template_global("counselling_centre")
def counselling_centre_global() -> Centre | None:
    """The university's counselling centre for any page's support block (None if unset)."""
    return counselling_centre_or_none(db.session())


@bp.app_template_global("crisis_lines")
def crisis_lines_global() -> list[services.Resource]:
    """The crisis lines for any page's support block (the defaults if unreadable)."""
    return services.crisis_resources_or_defaults(db.session())


def _library() -> Library:
    return current_app.extensions["library"]  # type: ignore[no-any-return]


def _local(value: datetime | None) -> datetime:
    """A naive form time taken as the configured local time, made aware."""
    assert value is not None  # the form's fields are InputRequired
    return value.replace(tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


#: Language names shown to admins, in their own language.
LANGUAGE_NAMES = {"zh-Hans": _l("Simplified Chinese"), "en": _l("English")}


def _chinese() -> bool:
    return str(get_locale()).startswith("zh")


def _language_names(tags: tuple[str, ...]) -> str:
    return ("、" if _chinese() else ", ").join(str(LANGUAGE_NAMES.get(t, t)) for t in tags)


def _sentences(parts: list[str]) -> str:
    """Sentences one after another: Chinese needs no space after its full stop."""
    return ("" if _chinese() else " ").join(parts)


def campaign_error_message(exc: services.CampaignError) -> str:
    """A refused campaign's reason in the admin's language (language gaps named one by one)."""
    if isinstance(exc, services.LanguageCoverageError):
        return _sentences(
            [
                _(
                    "%(instrument)s has no validated wording in %(languages)s.",
                    instrument=m.instrument_id,
                    languages=_language_names(m.languages),
                )
                for m in exc.missing
            ]
            + [
                _(
                    "Students who read that language could not answer it: remove the "
                    "instrument, or do not serve that language."
                )
            ]
        )
    if isinstance(exc, services.SuicideScreenLanguageError):
        return _sentences(
            [
                _(
                    "%(target)s asks about suicide risk and would be skipped when %(trigger)s is "
                    "negative, so the suicide screen that every student answers must exist in "
                    "every language the campaign serves.",
                    target=exc.target,
                    trigger=exc.trigger,
                )
            ]
            + [
                _(
                    "%(instrument)s has no validated wording in %(languages)s.",
                    instrument=m.instrument_id,
                    languages=_language_names(m.languages),
                )
                for m in exc.screens
            ]
        )
    return str(exc)


def _install_languages() -> tuple[str, ...]:
    return services.language_tags(current_app.config["LANGUAGES"])


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> str:
    """Every campaign with its window and participation."""
    s = db.session()
    campaigns = list(s.scalars(select(Campaign).order_by(Campaign.opens_at.desc())))
    totals = {c.id: services.participation(s, c) for c in campaigns}
    return render_template("campaigns/index.html", campaigns=campaigns, totals=totals)


def _targets(s: Session) -> tuple[list[Faculty], list[Cohort]]:
    faculties = list(s.scalars(select(Faculty).order_by(Faculty.code)))
    cohorts = list(s.scalars(select(Cohort).order_by(Cohort.year)))
    return faculties, cohorts


def _campaign_form(s: Session, faculties: list[Faculty], cohorts: list[Cohort]) -> CampaignForm:
    form = CampaignForm()
    form.faculties.choices = choices(
        (str(f.id), f"{f.code} · {f.name(current_locale())}") for f in faculties
    )
    form.cohorts.choices = choices((str(c.id), str(c.year)) for c in cohorts)
    form.consent_version.choices = choices((n.label, n.label) for n in consent.versions(s))
    form.languages.choices = choices((t, LANGUAGE_NAMES.get(t, t)) for t in _install_languages())
    return form


def _naive_local(value: datetime) -> datetime:
    """A stored time as the configured local time, for a datetime-local field."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def _available(s: Session) -> list[str]:
    """Instruments a campaign may use (enabled), in the library's order."""
    enabled = services.enabled_instrument_ids(s, _library())
    return [i.id for i in _library().latest() if i.id in enabled]


def _builder(campaign: Campaign | None) -> str | Response:
    """The builder page for a new campaign or one not yet open: shown, moved, or saved."""
    s = db.session()
    faculties, cohorts = _targets(s)
    form = _campaign_form(s, faculties, cohorts)
    available = _available(s)
    if request.method == "POST":
        plan = builder.from_form(request.form.get, request.form.getlist, available)
    elif campaign is not None:
        plan = builder.from_campaign(
            [(i.instrument_id, i.when_positive_of) for i in campaign.instruments], available
        )
        form.name.data = campaign.name
        form.faculties.data = [str(f.id) for f in campaign.faculties]
        form.cohorts.data = [str(c.id) for c in campaign.cohorts]
        form.opens_at.data = _naive_local(campaign.opens_at)
        form.closes_at.data = _naive_local(campaign.closes_at)
        form.show_results.data = campaign.show_results
        form.consent_version.data = campaign.consent_version
        form.reminder_days.data = campaign.reminder_days
        form.languages.data = campaign.languages.split(",")
    else:
        plan = builder.Plan(available)
        form.consent_version.data = consent.versions(s)[0].label
    if request.method != "POST" and campaign is None:
        form.languages.data = list(_install_languages())
    problem = None
    saving = request.form.get("action") == "save"
    if saving and form.validate_on_submit():
        options: dict[str, Any] = dict(
            name=form.name.data or "",
            instruments=plan.instruments,
            steps=plan.chosen_steps,
            faculties=[f for f in faculties if str(f.id) in (form.faculties.data or [])],
            cohorts=[c for c in cohorts if str(c.id) in (form.cohorts.data or [])],
            opens_at=_local(form.opens_at.data),
            closes_at=_local(form.closes_at.data),
            show_results=bool(form.show_results.data),
            consent_version=form.consent_version.data or consent.BUILT_IN,
            reminder_days=form.reminder_days.data or "",
            languages=form.languages.data or list(_install_languages()),
        )
        try:
            if campaign is None:
                saved = services.create_campaign(
                    s, _library(), created_by=current_user.id, **options
                )
            else:
                saved = lifecycle.update_campaign(
                    s, _library(), campaign, now=utcnow(), actor_id=current_user.id, **options
                )
        except services.CampaignError as exc:
            db.discard(s)
            problem = (
                campaign_error_message(exc)
                if isinstance(
                    exc, services.LanguageCoverageError | services.SuicideScreenLanguageError
                )
                else messages.message(str(exc))
            )
        else:
            flash(_("Campaign created.") if campaign is None else _("Campaign saved."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=saved.id))
    library = _library()
    return render_template(
        "campaigns/new.html",
        form=form,
        campaign=campaign,
        plan=plan,
        library={i.id: i for i in library.latest()},
        critical={i.id for i in library.latest() if services.has_critical_rules(i)},
        screens={i.id for i in library.latest() if i.thresholds},
        not_enabled=[i for i in library.latest() if i.id not in available],
        problem=problem,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create() -> str | Response:
    """Build a campaign: instruments in order, stepping, targets, window, consent notice."""
    return _builder(None)


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(campaign_id: int) -> str | Response:
    """Change a campaign until it opens; afterwards only extend or close it."""
    campaign = _campaign(campaign_id)
    try:
        lifecycle.require_editable(campaign, utcnow())
    except services.CampaignError as exc:
        flash(messages.message(str(exc)), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return _builder(campaign)


@bp.route("/<int:campaign_id>")
@roles_required(Role.ADMIN)
def detail(campaign_id: int) -> str:
    """A campaign's plan, participation per faculty and cohort, reminders; extend or close."""
    s = db.session()
    campaign = _campaign(campaign_id)
    now = utcnow()
    extend_form = ExtendForm(formdata=None)
    extend_form.closes_at.data = _naive_local(campaign.closes_at)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        rows=services.participation(s, campaign),
        reminders=lifecycle.reminder_steps(s, campaign),
        sync=EnableForm(),
        extend_form=extend_form,
        close_form=CloseForm(formdata=None),
        editable=campaign.opens_at > now,
        running=campaign.is_open(now),
        closed=campaign.closes_at <= now,
        library={i.id: i for i in _library().latest()},
    )


@bp.route("/<int:campaign_id>/open", methods=["POST"])
@roles_required(Role.ADMIN)
def open_now(campaign_id: int) -> Response:
    """Open a campaign that has not opened yet, now; from then on its plan is frozen."""
    s = db.session()
    campaign = _campaign(campaign_id)
    try:  # the CSRF token is checked for every POST before the view
        lifecycle.open_now(s, campaign, utcnow(), current_user.id)
    except services.CampaignError as exc:
        db.discard(s)
        flash(messages.message(str(exc)), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    flash(_("Campaign open: students can answer now."), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/extend", methods=["POST"])
@roles_required(Role.ADMIN)
def extend(campaign_id: int) -> Response:
    """Close later; students who have not finished are told by e-mail."""
    s = db.session()
    campaign = _campaign(campaign_id)
    form = ExtendForm()
    if not form.validate_on_submit():
        flash(_("Give the new closing time."), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    try:
        told = lifecycle.extend(s, campaign, _local(form.closes_at.data), utcnow(), current_user.id)
    except services.CampaignError as exc:
        db.discard(s)
        flash(messages.message(str(exc)), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    flash(
        _("Campaign extended; %(n)d students who have not finished are told by e-mail.", n=told),
        "success",
    )
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/close", methods=["POST"])
@roles_required(Role.ADMIN)
def close(campaign_id: int) -> Response:
    """Close an open campaign now; students who have not finished are told by e-mail."""
    s = db.session()
    campaign = _campaign(campaign_id)
    if not CloseForm().validate_on_submit():
        flash(_("Tick the box to confirm closing the campaign now."), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    try:
        told = lifecycle.close_early(s, campaign, utcnow(), current_user.id)
    except services.CampaignError as exc:
        db.discard(s)
        flash(messages.message(str(exc)), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    flash(
        _("Campaign closed; %(n)d students who had not finished are told by e-mail.", n=told),
        "success",
    )
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/preview")
@roles_required(Role.ADMIN)
def preview(campaign_id: int) -> str:
    """Each page as a student sees it on a phone, in either language; nothing is saved."""
    from flask_babel import force_locale

    from screening.instruments.forms import build_form_class, form_item_lang

    s = db.session()
    campaign = _campaign(campaign_id)
    lang = "en" if request.args.get("lang") == "en" else "zh_Hans"
    pages = len(campaign.instruments) + 1
    page = min(max(request.args.get("page", 0, type=int) or 0, 0), pages - 1)
    shown = consent.notice(s, campaign.consent_version)
    context: dict[str, Any] = {"campaign": campaign, "page": page, "pages": pages, "lang": lang}
    with force_locale(lang):
        if page == 0:
            context["blocks"] = consent.blocks(shown.text(lang)) if shown else []
        else:
            step = campaign.instruments[page - 1]
            instrument = _library().get(step.instrument_id, step.version)
            wanted = "zh-Hans" if lang == "zh_Hans" else "en"
            item_lang = form_item_lang(instrument, wanted)
            form = build_form_class(instrument, item_lang)(formdata=None)
            context.update(
                instrument=instrument,
                step=step,
                item_lang=item_lang,
                language_missing=item_lang != wanted,
                items=Markup(  # noqa: S704 - the autoescaped questions template
                    current_app.jinja_env.get_template("responses/_items.html").render(
                        instrument=instrument, form=form, show_when={}
                    )
                ),
            )
        body = render_template("campaigns/preview.html", **context)
    return body


@bp.route("/consent", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def consent_notices() -> str | Response:
    """Consent notices in both languages: each save a new version; used ones never change."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    form = ConsentNoticeForm()
    base = request.args.get("from") or ""
    if form.validate_on_submit():
        try:
            if form.replace.data:
                saved = consent.replace(
                    s,
                    form.replace.data,
                    form.text_zh.data or "",
                    form.text_en.data or "",
                    current_user.id,
                )
            else:
                saved = consent.save_new(
                    s, form.text_zh.data or "", form.text_en.data or "", current_user.id
                )
        except consent.ConsentError as exc:
            db.discard(s)
            form.text_zh.errors = [*form.text_zh.errors, messages.message(str(exc))]
        else:
            flash(_("Consent notice %(v)s saved.", v=saved.label), "success")
            return redirect(url_for("campaigns.consent_notices"))
    notices = consent.versions(s)
    if not form.is_submitted():
        start = consent.notice(s, base) or notices[0]
        form.text_zh.data, form.text_en.data = start.text_zh, start.text_en
        if request.args.get("correct") and not consent.in_use(s, start.label):
            form.replace.data = start.label
    return render_template(
        "campaigns/consent.html",
        form=form,
        notices=notices,
        used={n.label for n in notices if consent.in_use(s, n.label)},
        built_in=consent.BUILT_IN,
        blocks=consent.blocks,
        locale=current_locale(),
    )


@bp.route("/<int:campaign_id>/sync", methods=["POST"])
@roles_required(Role.ADMIN)
def sync(campaign_id: int) -> Response:
    """Assign the campaign to students added to the roster since it opened."""
    s = db.session()
    campaign = s.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    if campaign.closes_at <= utcnow():
        flash(_("This campaign has closed; nobody new is assigned."), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    added = services.sync_assignments(s, campaign)
    flash(_("%(n)d new students assigned.", n=added), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


def licence_label(status: str) -> str:
    """A definition's licence status in the admin's language."""
    low = status.lower()
    if low.startswith("cc by-nc"):
        return str(
            _("Creative Commons %(licence)s: free for non-commercial use", licence=status[:20])
        )
    if "public domain" in low:
        return str(_("Public domain: free to use"))
    if low.startswith("free"):
        return str(_("Free to use; no permission needed"))
    if low == "local":
        return str(_("Written by the university: no licence needed"))
    return str(_("Licence unclear: check with the authors before use"))


@bp.route("/instruments", methods=["GET"])
@roles_required(Role.ADMIN)
def instruments() -> str:
    """The library: languages, provenance of the wording, licence, enabled or not."""
    library = _library()
    return render_template(
        "campaigns/instruments.html",
        licence_label=licence_label,
        critical={i.id for i in library.latest() if services.has_critical_rules(i)},
        instruments=library.latest(),
        enabled=services.enabled_instrument_ids(db.session(), library),
        form=EnableForm(),
    )


@bp.route("/instruments/<instrument_id>/enable", methods=["POST"])
@roles_required(Role.ADMIN)
def enable(instrument_id: str) -> Response:
    """Enable an instrument after the admin acknowledges its licence (recorded)."""
    s = db.session()
    form = EnableForm()
    if instrument_id not in _library().ids():
        abort(404)
    if not form.validate_on_submit():
        flash(_("Tick the acknowledgement to enable the instrument."), "error")
        return redirect(url_for("campaigns.instruments"))
    services.enable_instrument(s, _library(), instrument_id, current_user)
    flash(_("Instrument enabled."), "success")
    return redirect(url_for("campaigns.instruments"))


def _centre_of(form: CentreForm) -> Centre:
    """The centre's details as the admin wrote them."""
    data = {name: (field.data or "").strip() for name, field in form._fields.items()}
    data.pop("csrf_token", None)
    return Centre(**data)


@bp.route("/crisis-lines", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def crisis_lines() -> str | Response:
    """Edit the university's counselling centre and the hotlines shown after it."""
    s = db.session()
    db.for_writing(s)  # this view writes (an audit entry)
    # Two forms on one page: the centre's (section=centre) and the hotlines' (the default).
    posted = request.form.get("section") if request.method == "POST" else None
    if posted == "centre":
        form = ResourcesForm(formdata=None)
        centre_form = CentreForm(prefix="centre")
    else:
        form = ResourcesForm()
        centre_form = CentreForm(prefix="centre", formdata=None, obj=counselling_centre(s))
    if posted == "centre":
        if centre_form.validate():
            save_counselling_centre(s, _centre_of(centre_form), current_user.id)
            flash(_("Counselling centre saved."), "success")
            return redirect(url_for("campaigns.crisis_lines"))
    elif form.validate_on_submit():
        rows = []
        for n, line in enumerate((form.lines.data or "").splitlines()):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or not all(parts):
                form.lines.errors = [
                    *form.lines.errors,
                    _("Line %(n)d: write Chinese label | English label | number.", n=n + 1),
                ]
                break
            rows.append((parts[0], parts[1], parts[2]))
        if not form.lines.errors:
            services.save_crisis_resources(s, rows, current_user.id)
            flash(_("Crisis lines saved."), "success")
            return redirect(url_for("campaigns.crisis_lines"))
    if request.method == "GET" or posted == "centre":
        form.lines.data = "\n".join(
            f"{r.label_zh} | {r.label_en} | {r.number}" for r in services.crisis_resources(s)
        )
    return render_template("campaigns/crisis_lines.html", form=form, centre_form=centre_form)
