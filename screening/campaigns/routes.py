"""Admin pages: campaigns and participation, instrument enablement, crisis lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Cohort, Faculty, Role
from screening.campaigns import services
from screening.campaigns.forms import CampaignForm, EnableForm, ResourcesForm
from screening.campaigns.models import Campaign
from screening.db import utcnow
from screening.forms import choices
from screening.instruments import Library

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


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


def parse_steps(text: str) -> dict[str, str]:
    """'phq2:phq9, gad2:gad7' → {'phq9': 'phq2', 'gad7': 'gad2'} (target → trigger)."""
    steps = {}
    for part in text.replace(";", ",").split(","):
        if part.strip():
            trigger, _sep, target = part.partition(":")
            if not target.strip():
                raise services.CampaignError(
                    f"Write each step as trigger:follow-up, not {part.strip()!r}."
                )
            steps[target.strip()] = trigger.strip()
    return steps


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> str:
    """Every campaign with its window and participation."""
    s = db.session()
    campaigns = list(s.scalars(select(Campaign).order_by(Campaign.opens_at.desc())))
    totals = {c.id: services.participation(s, c) for c in campaigns}
    return render_template("campaigns/index.html", campaigns=campaigns, totals=totals)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create() -> str | Response:
    """Create a campaign and assign it to the targeted students."""
    s = db.session()
    faculties = list(s.scalars(select(Faculty).order_by(Faculty.code)))
    cohorts = list(s.scalars(select(Cohort).order_by(Cohort.year)))
    form = CampaignForm()
    form.faculties.choices = choices((str(f.id), f"{f.code} · {f.name_en}") for f in faculties)
    form.cohorts.choices = choices((str(c.id), str(c.year)) for c in cohorts)
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(
                s,
                _library(),
                name=form.name.data or "",
                instruments=[
                    i.strip() for i in (form.instruments.data or "").split(",") if i.strip()
                ],
                steps=parse_steps(form.steps.data or ""),
                faculties=[f for f in faculties if str(f.id) in (form.faculties.data or [])],
                cohorts=[c for c in cohorts if str(c.id) in (form.cohorts.data or [])],
                opens_at=_local(form.opens_at.data),
                closes_at=_local(form.closes_at.data),
                show_results=bool(form.show_results.data),
                consent_version=form.consent_version.data or "v1",
                reminder_days=form.reminder_days.data or "",
                created_by=current_user.id,
            )
        except services.CampaignError as exc:
            db.discard(s)
            form.instruments.errors = [*form.instruments.errors, str(exc)]
        else:
            flash(_("Campaign created."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    library = _library()
    enabled = services.enabled_instrument_ids(s, library)
    return render_template(
        "campaigns/new.html", form=form, instruments=library.latest(), enabled=enabled
    )


@bp.route("/<int:campaign_id>")
@roles_required(Role.ADMIN)
def detail(campaign_id: int) -> str:
    """A campaign's plan and participation per faculty and cohort."""
    s = db.session()
    campaign = s.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        rows=services.participation(s, campaign),
        sync=EnableForm(),
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


@bp.route("/instruments", methods=["GET"])
@roles_required(Role.ADMIN)
def instruments() -> str:
    """The library: languages, provenance of the wording, licence, enabled or not."""
    library = _library()
    return render_template(
        "campaigns/instruments.html",
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


@bp.route("/crisis-lines", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def crisis_lines() -> str | Response:
    """Edit the hotlines shown on the crisis page and the consent notice."""
    s = db.session()
    form = ResourcesForm()
    if form.validate_on_submit():
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
    elif not form.is_submitted():
        form.lines.data = "\n".join(
            f"{r.label_zh} | {r.label_en} | {r.number}" for r in services.crisis_resources(s)
        )
    return render_template("campaigns/crisis_lines.html", form=form)
