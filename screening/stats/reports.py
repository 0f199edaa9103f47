"""The fixed statistics views: raw counts from queries, suppressed, labelled, ready to publish.

Raw counts never leave this module: every view holds only a SuppressedTable and rates computed
from it. The page, its chart and its CSV all come from the same view object, so they agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.auth.models import Faculty
from screening.campaigns.models import Campaign
from screening.instruments import Library
from screening.stats import queries
from screening.stats.queries import Counts, Scope
from screening.stats.suppression import (
    COMPLEMENT_MARKER,
    CountTable,
    Shown,
    SuppressedTable,
    row_rates,
    suppress,
)
from screening.templating import TIER_LABELS

#: The fixed views of one campaign and instrument; nothing else can be asked for.
CAMPAIGN_VIEWS = ("faculty", "cohort", "positive", "critical")
PARTICIPATION = "participation"
TREND = "trend"
NOT_SHOWN = "—"


@dataclass(frozen=True)
class View:
    """One published table: title, suppressed counts and, optionally, each row's rate."""

    key: str
    title: str
    corner: str
    table: SuppressedTable
    #: Share of the row total in the first column, None where it would rest on hidden counts.
    rates: tuple[float | None, ...] | None = None
    rate_label: str = ""
    #: A text per row (e.g. the median band), "—" where it would rest on hidden counts.
    notes: tuple[str, ...] | None = None
    note_label: str = ""

    def rows(self) -> list[list[Shown]]:
        """Header, body and totals rows exactly as shown on the page and in the CSV."""
        hidden = _("Hidden")
        rows = [
            [hidden if value == COMPLEMENT_MARKER else value for value in row]
            for row in self.table.to_rows(pgettext("sum of counts", "Total"), self.corner)
        ]
        if self.rates is not None:
            rows[0].append(self.rate_label)
            for row, rate in zip(rows[1:-1], self.rates, strict=True):
                row.append(format_rate(rate))
            rows[-1].append(format_rate(self.overall_rate()))
        if self.notes is not None:
            rows[0].append(self.note_label)
            for row, note in zip(rows[1:-1], self.notes, strict=True):
                row.append(note)
            rows[-1].append(NOT_SHOWN)
        return rows

    def share_rows(self) -> list[list[str]]:
        """Each column's share of each row (and of all rows), a dash where it rests on hidden
        counts: faculties and cohorts compare as rates over the groups that are shown."""
        n_cols = self.table.shape[1]
        shares = [row_rates(self.table, c) for c in range(n_cols)]
        grand = self.table.grand_total()
        overall = [
            format_rate(
                None
                if grand is None or grand < self.table.minimum or part is None
                else part / grand
            )
            for part in self.table.col_totals()
        ]
        header = [self.corner, *self.table.col_labels]
        body = [
            [label, *(format_rate(shares[c][r]) for c in range(n_cols))]
            for r, label in enumerate(self.table.row_labels)
        ]
        return [header, *body, [pgettext("sum of counts", "Total"), *overall]]

    def overall_rate(self) -> float | None:
        """The first column's share of the grand total, when both are shown and not small."""
        n_rows, n_cols = self.table.shape
        part = self.table.visible_value(n_rows, 0)
        whole = self.table.visible_value(n_rows, n_cols)
        if part is None or whole is None or whole < self.table.minimum:
            return None
        return part / whole


def format_rate(rate: float | None) -> str:
    """A rate as a percentage with one decimal, or a dash where it is not published."""
    return NOT_SHOWN if rate is None else f"{rate * 100:.1f}%"


def _label(mapping: object, lang: str) -> str:
    """A label in lang, falling back to English and then any language."""
    if not isinstance(mapping, dict) and not hasattr(mapping, "get"):
        return str(mapping)
    values = dict(mapping)  # type: ignore[call-overload]
    return str(values.get(lang) or values.get("en") or next(iter(values.values()), ""))


def band_columns(
    library: Library, instrument_id: str, seen: set[str], lang: str
) -> list[tuple[str, str]]:
    """(band id, label) in the instrument's order, then bands only older versions used."""
    columns: list[tuple[str, str]] = []
    try:
        instrument = library.get(instrument_id)
        for band in instrument.bands:
            if band.id not in (c[0] for c in columns):
                columns.append((band.id, _label(band.label, lang)))
    except KeyError:
        pass
    known = {c[0] for c in columns}
    for band_id in sorted(seen - known):
        columns.append((band_id, band_id or _("Completed")))
    return columns or [("", _("Completed"))]


def instrument_title(library: Library, instrument_id: str, lang: str) -> str:
    """The instrument's title in lang, or its id when the library no longer has it."""
    try:
        return _label(library.get(instrument_id).title, lang)
    except KeyError:
        return instrument_id


def faculty_names(session: Session, lang: str) -> dict[int, str]:
    """Faculty id to its name in lang."""
    names = {}
    for fac in session.scalars(select(Faculty).order_by(Faculty.code)):
        names[fac.id] = fac.name_zh if lang.startswith("zh") else fac.name_en
    return names


def _table(
    counts: Mapping[tuple[Any, str], int],
    groups: Sequence[Any],
    label: Callable[[Any], Any],  # e.g. a dict's .get: a missing name shows as it always did
    columns: Sequence[tuple[str, str]],
    minimum: int,
) -> SuppressedTable:
    """Suppress a (group, column) count mapping laid out in the given order."""
    cells = tuple(tuple(counts.get((g, c), 0) for c, _label in columns) for g in groups)
    labels = tuple(label(g) for g in groups)
    return suppress(CountTable(labels, tuple(lbl for _c, lbl in columns), cells), minimum)


def campaign_view(
    session: Session,
    library: Library,
    key: str,
    campaign_id: int,
    instrument_id: str,
    scope: Scope,
    *,
    lang: str,
    minimum: int,
) -> View | None:
    """One fixed view of a campaign's instrument; None when there are no results in scope."""
    if key == "faculty" or key == "cohort":
        fetch = queries.bands_by_faculty if key == "faculty" else queries.bands_by_cohort
        counts = fetch(session, campaign_id, instrument_id, scope)
        if not counts:
            return None
        columns = band_columns(library, instrument_id, {b for _g, b in counts}, lang)
        groups = sorted({g for g, _b in counts})
        if key == "faculty":
            names = faculty_names(session, lang)
            title, corner = _("Results by faculty and band"), _("Faculty")
            return View(
                key,
                title,
                corner,
                _table(counts, groups, lambda g: names.get(g, str(g)), columns, minimum),
            )
        title, corner = _("Results by cohort and band"), _("Cohort")
        return View(key, title, corner, _table(counts, groups, str, columns, minimum))
    if key in ("positive", "critical"):
        flags = queries.flags_by_faculty(session, campaign_id, instrument_id, scope)
        if not flags:
            return None
        split = {(g, "yes"): flags[(g, key)] for g, name in flags if name == "total"} | {
            (g, "no"): flags[(g, "total")] - flags[(g, key)] for g, name in flags if name == "total"
        }
        if key == "positive":
            title, cols = _("Positive screens"), [("yes", _("Positive")), ("no", _("Not positive"))]
        else:
            title = _("Critical answers")
            cols = [("yes", _("With a critical answer")), ("no", _("Without a critical answer"))]
        return _rate_view(session, key, title, split, cols, lang, minimum)
    raise KeyError(key)


def participation_view(
    session: Session, campaign_id: int, scope: Scope, *, lang: str, minimum: int
) -> View | None:
    """Completed and not completed assignments per faculty, with the participation rate."""
    counts = queries.participation_by_faculty(session, campaign_id, scope)
    if not counts:
        return None
    split = {(g, "yes"): counts[(g, "completed")] for g, n in counts if n == "assigned"} | {
        (g, "no"): counts[(g, "assigned")] - counts[(g, "completed")]
        for g, n in counts
        if n == "assigned"
    }
    cols = [("yes", _("Completed")), ("no", _("Not completed"))]
    return _rate_view(session, PARTICIPATION, _("Participation"), split, cols, lang, minimum)


def _rate_view(
    session: Session,
    key: str,
    title: str,
    split: Counts,
    cols: list[tuple[str, str]],
    lang: str,
    minimum: int,
) -> View:
    """A faculty x (yes, no) table with the share of yes, only over unsuppressed rows."""
    names = faculty_names(session, lang)
    groups = sorted({g for g, _c in split})
    table = _table(split, groups, lambda g: names.get(g, str(g)), cols, minimum)
    return View(key, title, _("Faculty"), table, row_rates(table, 0), _("Rate"))


@dataclass(frozen=True)
class Trend:
    """Bands per campaign over time, suppressed, with each band's share per campaign."""

    view: View
    shares: dict[str, list[float | None]]

    def share_rows(self) -> list[list[str]]:
        """Campaigns by bands as percentages, a dash where the share is not published."""
        header = [self.view.corner, *self.shares]
        body = [
            [label, *(format_rate(values[i]) for values in self.shares.values())]
            for i, label in enumerate(self.view.table.row_labels)
        ]
        return [header, *body]


def trend(
    session: Session,
    library: Library,
    instrument_id: str,
    scope: Scope,
    *,
    lang: str,
    minimum: int,
) -> Trend | None:
    """The trend view of one instrument across campaigns; None without results in scope."""
    counts = queries.bands_by_campaign(session, instrument_id, scope)
    if not counts:
        return None
    ids = {cid for cid, _b in counts}
    rows = session.execute(
        select(Campaign.id, Campaign.name)
        .where(Campaign.id.in_(ids))
        .order_by(Campaign.opens_at, Campaign.id)
    ).all()
    order = [cid for cid, _name in rows]
    names = {cid: name for cid, name in rows}
    columns = band_columns(library, instrument_id, {b for _c, b in counts}, lang)
    table = _table(counts, order, lambda cid: names.get(cid, str(cid)), columns, minimum)
    shares = {label: list(row_rates(table, i)) for i, (_id, label) in enumerate(columns)}
    view = View(TREND, _("Bands by campaign"), _("Campaign"), table)
    return Trend(view, shares)


#: Case handling columns: how each case stands against its tier's time limit.
HANDLING_COLUMNS = (
    ("within_time", _l("Contacted within time")),
    ("late", _l("Contacted late")),
    ("overdue", _l("Overdue, not yet contacted")),
    ("waiting", _l("Not yet due")),
    ("closed_uncontacted", _l("Closed without recorded contact")),
)
#: Hours from opening a case to the first contact, in bands (as cases.register.CONTACT_BANDS).
CONTACT_COLUMNS = (
    ("1h", _l("Within 1 hour")),
    ("24h", _l("1 to 24 hours")),
    ("72h", _l("24 to 72 hours")),
    ("more", _l("More than 72 hours")),
)
OPEN_COLUMNS = (("open", _l("Still open")), ("closed", _l("Closed cases")))
#: Tiers in order of urgency; unknown tiers follow.
TIER_ORDER = ("crisis", "high", "moderate", "none")


def median_band(counts: Sequence[int], labels: Sequence[str]) -> str:
    """The label of the band holding the median of counts per ordered band."""
    total = sum(counts)
    if not total:
        return NOT_SHOWN
    running = 0
    for count, label in zip(counts, labels, strict=True):
        running += count
        if 2 * running >= total:
            return label
    return labels[-1]


def case_handling_views(
    session: Session,
    counts: Mapping[str, Mapping[tuple[Any, str], int]],
    *,
    lang: str,
    minimum: int,
) -> list[View]:
    """Case handling per faculty and per tier, suppressed: state against the time limit (with
    the on-time share), open cases, and hours to first contact in bands (with the median band)."""
    names = faculty_names(session, lang)
    specs = (
        (
            "",
            HANDLING_COLUMNS,
            {"faculty": _("Case handling by faculty"), "tier": _("Case handling by tier")},
            _("Share contacted within time"),
        ),
        (
            "open-",
            OPEN_COLUMNS,
            {"faculty": _("Open cases by faculty"), "tier": _("Open cases by tier")},
            _("Share still open"),
        ),
        (
            "contact-",
            CONTACT_COLUMNS,
            {
                "faculty": _("Hours to first contact by faculty"),
                "tier": _("Hours to first contact by tier"),
            },
            "",
        ),
    )
    views = []
    for prefix, spec_columns, titles, rate_label in specs:
        columns = [(key, str(label)) for key, label in spec_columns]
        for kind in ("faculty", "tier"):
            found = counts.get(prefix + kind, {})
            if not found:
                continue
            present = {g for g, _s in found}
            if kind == "faculty":
                groups: list[Any] = sorted(present)
                label = lambda g: names.get(g, str(g))  # noqa: E731
                corner = _("Faculty")
            else:
                groups = [t for t in TIER_ORDER if t in present] + sorted(present - set(TIER_ORDER))
                label = lambda t: str(TIER_LABELS.get(t, t))  # noqa: E731
                corner = _("Tier")
            table = _table(found, groups, label, columns, minimum)
            key = f"cases-{prefix}{kind}"
            heading = titles[kind]
            if rate_label:
                views.append(View(key, heading, corner, table, row_rates(table, 0), rate_label))
                continue
            labels = [lbl for _k, lbl in columns]
            medians = tuple(
                median_band([found.get((g, k), 0) for k, _l in columns], labels)
                if table.visible_value(r, len(columns)) is not None
                else NOT_SHOWN
                for r, g in enumerate(groups)
            )
            views.append(View(key, heading, corner, table, notes=medians, note_label=_("Median")))
    return views


#: How many of the latest campaigns a pooled view may add up: fixed choices, never user input.
POOLED_CHOICES = (2, 3, 5)


def pooled_view(
    session: Session,
    library: Library,
    key: str,
    instrument_id: str,
    last: int,
    scope: Scope,
    *,
    lang: str,
    minimum: int,
) -> View | None:
    """Bands per faculty or cohort over the latest campaigns pooled, so that a small faculty
    still sees figures without any lowering of the minimum; None without results."""
    if last not in POOLED_CHOICES or key not in ("faculty", "cohort"):
        raise KeyError(key)
    ids = queries.last_campaigns(session, instrument_id, scope, last)
    counts = queries.pooled_bands(session, ids, instrument_id, scope, key) if ids else {}
    if not counts:
        return None
    columns = band_columns(library, instrument_id, {b for _g, b in counts}, lang)
    groups = sorted({g for g, _b in counts})
    if key == "faculty":
        names = faculty_names(session, lang)
        title = _("Results by faculty and band, latest %(n)s campaigns pooled", n=len(ids))
        table = _table(counts, groups, lambda g: names.get(g, str(g)), columns, minimum)
        return View(f"pooled-{key}", title, _("Faculty"), table)
    title = _("Results by cohort and band, latest %(n)s campaigns pooled", n=len(ids))
    return View(f"pooled-{key}", title, _("Cohort"), _table(counts, groups, str, columns, minimum))
