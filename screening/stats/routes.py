"""Anonymised statistics for deans, the safety office (supervisors) and administrators.

Deans tied to a faculty see only that faculty; whole-university deans, supervisors and admins see
all faculties. Every table, chart and CSV is suppressed on the server before it is rendered.
Viewing is not audited (nothing identifies a person); every export is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.campaigns.models import Campaign
from screening.cases.register import handling_counts
from screening.csvexport import to_csv
from screening.db import utcnow
from screening.stats import charts, queries, reports
from screening.stats.queries import Scope
from screening.stats.services import record_export
from screening.stats.suppression import DEFAULT_MINIMUM, check_minimum
from screening.templating import register_nav

bp = Blueprint("stats", __name__, url_prefix="/stats")
VIEWERS = (Role.DEAN, Role.SUPERVISOR, Role.ADMIN)
register_nav("stats.index", _l("Statistics"), {str(r) for r in VIEWERS})


@bp.record_once
def _check_minimum(state: BlueprintSetupState) -> None:
    """Refuse to start when the small-cell minimum is missing or below the floor of 5."""
    state.app.config.setdefault("SMALL_CELL_MINIMUM", DEFAULT_MINIMUM)
    check_minimum(state.app.config["SMALL_CELL_MINIMUM"])


def _scope() -> Scope:
    """The viewer's scope: a dean with a faculty sees that faculty only."""
    if current_user.role == Role.DEAN and current_user.faculty_id is not None:
        return Scope(current_user.faculty_id)
    return Scope(None)


def _lang() -> str:
    """Language for instrument band labels and faculty names."""
    return "zh-Hans" if str(get_locale()).startswith("zh") else "en"


def _settings() -> dict[str, Any]:
    """Keyword arguments every view builder needs."""
    return {"lang": _lang(), "minimum": int(current_app.config["SMALL_CELL_MINIMUM"])}


def _campaign(campaign_id: int) -> Campaign:
    """The campaign, or 404."""
    campaign = db.session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _instrument(campaign_id: int, instrument_id: str) -> str:
    """The instrument id if it has results in this campaign for this viewer, else 404."""
    if instrument_id not in queries.instruments_in(db.session(), campaign_id, _scope()):
        abort(404)
    return instrument_id


def _sections(campaign_id: int) -> list[dict[str, Any]]:
    """Per instrument: its title and its fixed views (None views left out)."""
    s, library, scope = db.session(), current_app.extensions["library"], _scope()
    sections = []
    for instrument_id in queries.instruments_in(s, campaign_id, scope):
        views = [
            reports.campaign_view(s, library, key, campaign_id, instrument_id, scope, **_settings())
            for key in reports.CAMPAIGN_VIEWS
        ]
        sections.append(
            {
                "id": instrument_id,
                "title": reports.instrument_title(library, instrument_id, _lang()),
                "views": [v for v in views if v is not None],
            }
        )
    return sections


@bp.route("/")
@roles_required(*VIEWERS)
def index() -> str:
    """Campaigns with results, and instruments with a trend across campaigns."""
    s, library = db.session(), current_app.extensions["library"]
    instruments = [
        (i, reports.instrument_title(library, i, _lang()))
        for i in queries.instruments_with_results(s, _scope())
    ]
    return render_template(
        "stats/index.html",
        campaigns=queries.campaigns_with_results(s, _scope()),
        instruments=instruments,
        scoped=_scope().faculty_id is not None,
    )


@bp.route("/campaign/<int:campaign_id>")
@roles_required(*VIEWERS)
def campaign(campaign_id: int) -> str:
    """Participation and, per instrument, bands by faculty and cohort, with rates and charts."""
    found = _campaign(campaign_id)
    participation = reports.participation_view(db.session(), campaign_id, _scope(), **_settings())
    return render_template(
        "stats/campaign.html",
        campaign=found,
        participation=participation,
        sections=_sections(campaign_id),
        minimum=_settings()["minimum"],
    )


@bp.route("/campaign/<int:campaign_id>/<instrument_id>/<any(faculty, cohort):key>.svg")
@roles_required(*VIEWERS)
def chart(campaign_id: int, instrument_id: str, key: str) -> Response:
    """Stacked bars of bands per faculty or cohort, drawn from the suppressed table."""
    _campaign(campaign_id)
    library = current_app.extensions["library"]
    view = reports.campaign_view(
        db.session(),
        library,
        key,
        campaign_id,
        _instrument(campaign_id, instrument_id),
        _scope(),
        **_settings(),
    )
    if view is None:
        abort(404)
    title = reports.instrument_title(library, instrument_id, _lang())
    svg = charts.stacked_bands_chart(
        view.table,
        f"{title}: {view.title}",
        description=_("Stacked bars; small or protected counts are not drawn."),
        x_title=view.corner,
        y_title=_("Number of results"),
    )
    return Response(svg, mimetype=charts.SVG_MEDIA_TYPE, headers={"Cache-Control": "no-store"})


def _csv(rows: list[list[Any]], filename: str) -> Response:
    """A CSV download, formula-injection escaped, never cached."""
    return Response(
        to_csv(rows, bom=True),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/campaign/<int:campaign_id>/export.csv")
@roles_required(*VIEWERS)
def campaign_export(campaign_id: int) -> Response:
    """Every table of the campaign page as shown (suppressed), audited."""
    found = _campaign(campaign_id)
    rows: list[list[Any]] = [[found.name]]
    participation = reports.participation_view(db.session(), campaign_id, _scope(), **_settings())
    if participation is not None:
        rows += [[], [participation.title], *participation.rows()]
    for section in _sections(campaign_id):
        for view in section["views"]:
            rows += [[], [f"{section['title']}: {view.title}"], *view.rows()]
    s = db.session()
    db.for_writing(s)
    record_export(s, current_user.id, "campaign", str(campaign_id))
    return _csv(rows, f"statistics-campaign-{campaign_id}.csv")


def _trend(instrument_id: str) -> reports.Trend:
    """The trend of an instrument with results for this viewer, else 404."""
    if instrument_id not in queries.instruments_with_results(db.session(), _scope()):
        abort(404)
    library = current_app.extensions["library"]
    found = reports.trend(db.session(), library, instrument_id, _scope(), **_settings())
    if found is None:
        abort(404)
    return found


@bp.route("/trend/<instrument_id>")
@roles_required(*VIEWERS)
def trend(instrument_id: str) -> str:
    """Share of each band per campaign over time."""
    found = _trend(instrument_id)
    library = current_app.extensions["library"]
    return render_template(
        "stats/trend.html",
        instrument_id=instrument_id,
        title=reports.instrument_title(library, instrument_id, _lang()),
        trend=found,
        minimum=_settings()["minimum"],
    )


@bp.route("/trend/<instrument_id>.svg")
@roles_required(*VIEWERS)
def trend_chart(instrument_id: str) -> Response:
    """Lines of each band's share per campaign; gaps where a share is not published."""
    found = _trend(instrument_id)
    library = current_app.extensions["library"]
    series = {
        label: [None if v is None else round(v * 100, 1) for v in values]
        for label, values in found.shares.items()
    }
    svg = charts.trend_chart(
        series,
        list(found.view.table.row_labels),
        reports.instrument_title(library, instrument_id, _lang()),
        description=_("Share of each band per campaign; gaps where a share is not published."),
        y_title=_("Share of results (%)"),
    )
    return Response(svg, mimetype=charts.SVG_MEDIA_TYPE, headers={"Cache-Control": "no-store"})


@bp.route("/trend/<instrument_id>.csv")
@roles_required(*VIEWERS)
def trend_export(instrument_id: str) -> Response:
    """The trend table as shown (suppressed), audited."""
    found = _trend(instrument_id)
    s = db.session()
    db.for_writing(s)
    record_export(s, current_user.id, "trend", instrument_id)
    rows = [*found.view.rows(), [], [_("Share of results")], *found.share_rows()]
    return _csv(rows, f"statistics-trend-{instrument_id}.csv")


def _case_views() -> list[reports.View]:
    """Case handling per faculty and tier for this viewer's scope, suppressed."""
    s = db.session()
    counts = handling_counts(s, utcnow(), _scope().faculty_id)
    return reports.case_handling_views(s, counts, **_settings())


@bp.route("/cases")
@roles_required(*VIEWERS)
def cases() -> str:
    """How cases stand against their time limits, as suppressed counts (no case, no person)."""
    return render_template(
        "stats/cases.html",
        views=_case_views(),
        scoped=_scope().faculty_id is not None,
        minimum=_settings()["minimum"],
    )


@bp.route("/cases.csv")
@roles_required(*VIEWERS)
def cases_export() -> Response:
    """The case handling tables as shown (suppressed), audited."""
    rows: list[list[Any]] = []
    for view in _case_views():
        rows += [[view.title], *view.rows(), []]
    s = db.session()
    db.for_writing(s)
    record_export(s, current_user.id, "cases")
    return _csv(rows, "statistics-case-handling.csv")
