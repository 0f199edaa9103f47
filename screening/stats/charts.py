"""Server-rendered, script-free SVG charts of suppressed statistics, drawn with pygal.

The SVGs are served as separate image/svg+xml responses and used through <img> with a text
alternative. pygal always embeds a small configuration <script> and some comments with web
addresses, so an XML filter strips every script and comment, even with js=[]. The filter also adds
a <desc> after the <title> and labels the root for assistive technology. Inline <style> stays: it is
allowed inside an SVG image.

Stacked bars: pygal turns a missing (None) value into a zero-height bar whose tooltip text says
"0". That would misreport a hidden count, so the filter drops those bars. ``chart_data``
returns exactly the numbers that remain plotted, so tests can compare them with the table and
the CSV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from screening.stats.suppression import SuppressedTable

SVG_MEDIA_TYPE = "image/svg+xml"
ChartData = tuple[tuple[str, tuple[int | None, ...]], ...]

_BASE_CONFIG: dict[str, Any] = {
    "js": [],
    "disable_xml_declaration": True,
    "explicit_size": False,
    "show_legend": True,
    "legend_at_bottom": True,
}


def chart_data(table: SuppressedTable) -> ChartData:
    """(band label, value per row) pairs exactly as plotted: shown counts, None where hidden."""
    columns = zip(*table.cell_values(), strict=True)
    return tuple(zip(table.col_labels, (tuple(col) for col in columns), strict=True))


def _local(tag: object) -> str:
    """Element name without any namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _classes(element: Any) -> set[str]:
    """The element's class names."""
    return set(element.get("class", "").split())


def _make_filter(description: str, hidden: Sequence[Sequence[bool]] | None) -> Any:
    """Build the XML filter that strips scripts and comments, drops hidden bars and adds desc."""

    def clean(root: Any) -> Any:
        parents = {child: parent for parent in root.iter() for child in parent}
        for element in list(root.iter()):
            if not isinstance(element.tag, str) or _local(element.tag) == "script":
                parents[element].remove(element)
        if hidden is not None:
            _drop_hidden_bars(root, hidden)
        chart_id = root.get("id", "chart")
        title = next((el for el in root if _local(el.tag) == "title"), None)
        desc = root.makeelement("desc", {"id": f"{chart_id}-desc"})
        desc.text = description
        labelled_by = f"{chart_id}-desc"
        if title is None:
            root.insert(0, desc)
        else:
            title.set("id", f"{chart_id}-title")
            root.insert(list(root).index(title) + 1, desc)
            labelled_by = f"{chart_id}-title {labelled_by}"
        root.set("role", "img")
        root.set("aria-labelledby", labelled_by)
        return root

    return clean


def _drop_hidden_bars(root: Any, hidden: Sequence[Sequence[bool]]) -> None:
    """Remove the zero-height bars pygal draws for hidden (None) values, series by series."""
    for element in root.iter():
        classes = _classes(element)
        if "series" not in classes:
            continue
        index = next(int(c[len("serie-") :]) for c in classes if c.startswith("serie-"))
        for group in element:
            if "bars" not in _classes(group):
                continue
            bars = [bar for bar in group if "bar" in _classes(bar)]
            if len(bars) != len(hidden[index]):
                raise AssertionError("pygal drew an unexpected number of bars")
            for bar, is_hidden in zip(bars, hidden[index], strict=True):
                if is_hidden:
                    group.remove(bar)


def _render(chart: Any) -> str:
    """Render a configured pygal chart to SVG text."""
    return str(chart.render(is_unicode=True))


def stacked_bands_chart(
    table: SuppressedTable,
    title: str,
    *,
    description: str,
    x_title: str | None = None,
    y_title: str | None = None,
) -> str:
    """Stacked bars of bands (columns) per group (rows); hidden cells are not plotted at all."""
    data = chart_data(table)
    import pygal  # loaded with the first chart: it slows start-up

    chart = pygal.StackedBar(
        title=title,
        x_title=x_title,
        y_title=y_title,
        print_values=True,
        print_zeroes=False,
        **_BASE_CONFIG,
    )
    chart.x_labels = list(table.row_labels)
    for label, values in data:
        chart.add(label, list(values))
    hidden = [[value is None for value in values] for _, values in data]
    chart.add_xml_filter(_make_filter(description, hidden))
    return _render(chart)


def trend_chart(
    series: Mapping[str, Sequence[float | None]],
    x_labels: Sequence[str],
    title: str,
    *,
    description: str,
    y_title: str | None = None,
) -> str:
    """Lines across campaigns; None leaves a gap rather than inventing a value."""
    import pygal

    chart = pygal.Line(
        title=title,
        y_title=y_title,
        allow_interruptions=True,
        **_BASE_CONFIG,
    )
    chart.x_labels = list(x_labels)
    for label, values in series.items():
        if len(values) != len(x_labels):
            raise ValueError(f"series {label!r} needs one value per x label")
        chart.add(label, list(values))
    chart.add_xml_filter(_make_filter(description, None))
    return _render(chart)
