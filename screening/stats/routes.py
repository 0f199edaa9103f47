"""Anonymised statistics for deans, the safety office (supervisors) and administrators.

Deans tied to a faculty see only that faculty; whole-university deans, supervisors and admins see
all faculties. Every table, chart and CSV is suppressed on the server before it is rendered.
Viewing is not audited (nothing identifies a person); every export is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template
from flask.blueprints import BlueprintSetupState
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from screening import db
from screening.auth.access import roles_required
from screening.auth.models import Role
from screening.campaigns.models import Campaign
from screening.csvexport import to_csv
from screening.stats import charts, queries, releases, reports
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


def released() -> str | None:
    """The "Data released at …" line of the published release, None before the first one."""
    release = releases.current(db.session())
    if release is None:
        return None
    return str(
        _(
            "Data released at %(time)s",
            time=format_datetime(release.published_at, "yyyy-MM-dd HH:mm"),
        )
    )


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
        released=released(),
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
        released=released(),
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
    svg = _chart(view, f"{title}: {view.title}")
    return Response(svg, mimetype=charts.SVG_MEDIA_TYPE, headers={"Cache-Control": "no-store"})


def _chart(view: reports.View | None, title: str) -> str:
    """The SVG of a view's table, every word in the viewer's language."""
    text = charts.ChartText(
        title=title,
        subtitle=released() or "",
        description=_(
            "Share of each band per group; hidden counts are drawn grey and labelled. "
            "The same figures are in the table beside the chart."
        ),
        hidden=_("Hidden"),
        empty=_("No figures published"),
        count=lambda n: _("%(n)s in total", n=n),
    )
    columns = len(view.table.col_labels) if view is not None else 0
    return charts.band_chart(
        None if view is None else view.table, charts.band_colours(columns), text
    )


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
    rows: list[list[Any]] = [[found.name], [released() or ""]]
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
        released=released(),
    )


@bp.route("/trend/<instrument_id>.svg")
@roles_required(*VIEWERS)
def trend_chart(instrument_id: str) -> Response:
    """Lines of each band's share per campaign; gaps where a share is not published."""
    found = _trend(instrument_id)
    library = current_app.extensions["library"]
    title = reports.instrument_title(library, instrument_id, _lang())
    svg = _chart(found.view, _("Trend: %(instrument)s", instrument=title))
    return Response(svg, mimetype=charts.SVG_MEDIA_TYPE, headers={"Cache-Control": "no-store"})


@bp.route("/trend/<instrument_id>.csv")
@roles_required(*VIEWERS)
def trend_export(instrument_id: str) -> Response:
    """The trend table as shown (suppressed), audited."""
    found = _trend(instrument_id)
    s = db.session()
    db.for_writing(s)
    record_export(s, current_user.id, "trend", instrument_id)
    rows: list[list[Any]] = [[released() or ""], [], *found.view.rows(), []]
    rows.append([_("Share of results")])
    rows += found.share_rows()
    return _csv(rows, f"statistics-trend-{instrument_id}.csv")


def _pooled(instrument_id: str, last: int) -> list[reports.View]:
    """The pooled views of an instrument for this viewer, or 404 for an unknown choice."""
    if last not in reports.POOLED_CHOICES:
        abort(404)
    if instrument_id not in queries.instruments_with_results(db.session(), _scope()):
        abort(404)
    library = current_app.extensions["library"]
    views = [
        reports.pooled_view(
            db.session(), library, key, instrument_id, last, _scope(), **_settings()
        )
        for key in ("faculty", "cohort")
    ]
    return [v for v in views if v is not None]


@bp.route("/pooled/<instrument_id>/<int:last>")
@roles_required(*VIEWERS)
def pooled(instrument_id: str, last: int) -> str:
    """Bands per faculty and cohort over the latest campaigns added up."""
    views = _pooled(instrument_id, last)
    library = current_app.extensions["library"]
    return render_template(
        "stats/pooled.html",
        instrument_id=instrument_id,
        title=reports.instrument_title(library, instrument_id, _lang()),
        views=views,
        last=last,
        choices=reports.POOLED_CHOICES,
        minimum=_settings()["minimum"],
        released=released(),
    )


@bp.route("/pooled/<instrument_id>/<int:last>/<any(faculty, cohort):key>.svg")
@roles_required(*VIEWERS)
def pooled_chart(instrument_id: str, last: int, key: str) -> Response:
    """The chart of one pooled view."""
    view = next((v for v in _pooled(instrument_id, last) if v.key == f"pooled-{key}"), None)
    if view is None:
        abort(404)
    title = reports.instrument_title(current_app.extensions["library"], instrument_id, _lang())
    svg = _chart(view, f"{title}: {view.title}")
    return Response(svg, mimetype=charts.SVG_MEDIA_TYPE, headers={"Cache-Control": "no-store"})


@bp.route("/pooled/<instrument_id>/<int:last>.csv")
@roles_required(*VIEWERS)
def pooled_export(instrument_id: str, last: int) -> Response:
    """The pooled tables as shown (suppressed), audited."""
    views = _pooled(instrument_id, last)
    rows: list[list[Any]] = [[released() or ""]]
    for view in views:
        rows += [[], [view.title], *view.rows()]
    s = db.session()
    db.for_writing(s)
    record_export(s, current_user.id, "pooled", f"{instrument_id}/{last}")
    return _csv(rows, f"statistics-pooled-{instrument_id}-{last}.csv")


def _case_views() -> list[reports.View]:
    """Case handling per faculty and tier for this viewer's scope, suppressed."""
    s = db.session()
    return reports.case_handling_views(s, queries.case_counts(s, _scope()), **_settings())


@bp.route("/cases")
@roles_required(*VIEWERS)
def cases() -> str:
    """How cases stand against their time limits, as suppressed counts (no case, no person)."""
    return render_template(
        "stats/cases.html",
        views=_case_views(),
        scoped=_scope().faculty_id is not None,
        minimum=_settings()["minimum"],
        released=released(),
    )


@bp.route("/cases.csv")
@roles_required(*VIEWERS)
def cases_export() -> Response:
    """The case handling tables as shown (suppressed), audited."""
    rows: list[list[Any]] = [[released() or ""], []]
    for view in _case_views():
        rows += [[view.title], *view.rows(), []]
    s = db.session()
    db.for_writing(s)
    record_export(s, current_user.id, "cases")
    return _csv(rows, "statistics-case-handling.csv")
