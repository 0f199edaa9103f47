"""Server-rendered, script-free SVG charts of suppressed statistics, drawn without a library.

Each chart is a self-contained image/svg+xml document used through <img> with a text
alternative, and opens alone in a tab: it styles itself with presentation attributes only
(fill, font-family, font-size), never a <style> element, which the app's security policy
(style-src 'self') would block, leaving a black box.

One chart type serves every view: a 100 % bar per group (faculty, cohort, campaign) split into
its severity bands, so groups of different sizes compare as shares. A band keeps one colour in
every chart: colours follow the instrument's band order along one palette from light green
(none, minimal) to dark red (severe). Hidden counts are drawn, never dropped: a group whose size
is hidden is a grey bar labelled "<10" or "已隐藏", and the hidden part of a shown group is one
grey segment. Every word comes from the caller, already translated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from screening.stats.suppression import SuppressedTable, small_marker

SVG_MEDIA_TYPE = "image/svg+xml"
ChartData = tuple[tuple[str, tuple[int | None, ...]], ...]

#: Severity palette, lightest (no or minimal symptoms) to darkest (severe); with the text colour
#: that stays readable on each.
PALETTE = (
    ("#a6d96a", "#1d2433"),
    ("#fee08b", "#1d2433"),
    ("#fdae61", "#1d2433"),
    ("#e8603c", "#1d2433"),
    ("#a50026", "#ffffff"),
)
HIDDEN_FILL, HIDDEN_STROKE, INK, MUTED = "#e2e8f0", "#4a5568", "#1d2433", "#4a5568"
FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
WIDTH, PAD, FONT_SIZE, BAR = 360, 10, 15, 26


def band_colours(n: int) -> list[tuple[str, str]]:
    """(fill, text colour) for n ordered bands, spread from the first to the last of PALETTE."""
    if n <= 1:
        return [PALETTE[0]]
    last = len(PALETTE) - 1
    return [PALETTE[round(i * last / (n - 1))] for i in range(n)]


def chart_data(table: SuppressedTable) -> ChartData:
    """(band label, value per row) pairs exactly as plotted: shown counts, None where hidden."""
    columns = zip(*table.cell_values(), strict=True)
    return tuple(zip(table.col_labels, (tuple(col) for col in columns), strict=True))


@dataclass(frozen=True)
class ChartText:
    """Every word a chart shows, in the reader's language."""

    title: str
    subtitle: str
    description: str
    hidden: str
    empty: str
    count: Callable[[int], str]


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimated rendered width: CJK characters are square, others about half as wide."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in text)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Split text into lines that fit width, at spaces where there are any."""
    lines, line = [], ""
    tokens = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    for token in tokens:
        candidate = f"{line}{joiner}{token}" if line else token
        if line and text_width(candidate, size) > width:
            lines.append(line)
            line = token
        else:
            line = candidate
    return [*lines, line] if line else lines


def _text(x: float, y: float, content: str, **attrs: object) -> str:
    """A <text> element with presentation attributes."""
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, **attrs: object) -> str:
    """A <rect> element with presentation attributes (data-* for tests and assistive tools)."""
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"{extra}/>'


def _hidden_marker(shown: object, minimum: int, hidden: str) -> str:
    """ "<10" for an entry hidden as small, the hidden label for one hidden to protect others."""
    return small_marker(minimum) if shown == small_marker(minimum) else hidden


def _group(
    table: SuppressedTable, r: int, y: float, colours: Sequence[tuple[str, str]], text: ChartText
) -> list[str]:
    """The label line and the bar of one group."""
    n_cols = table.shape[1]
    inner = WIDTH - 2 * PAD
    total = table.visible_value(r, n_cols)
    right = (
        text.count(total)
        if total is not None
        else _hidden_marker(table.grid[r][n_cols], table.minimum, text.hidden)
    )
    label_space = inner - text_width(right) - 8
    label = table.row_labels[r]
    while text_width(label) > label_space and len(label) > 1:
        label = label[:-2] + "…"
    out = [
        _text(PAD, y + FONT_SIZE, label, fill=INK),
        _text(WIDTH - PAD, y + FONT_SIZE, right, fill=MUTED, text_anchor="end"),
    ]
    top = y + FONT_SIZE + 6
    if total is None or total == 0:
        out.append(
            _rect(PAD, top, inner, BAR, HIDDEN_FILL, stroke=HIDDEN_STROKE, stroke_dasharray="4 3")
        )
        out.append(_text(WIDTH / 2, top + BAR * 0.68, right, fill=INK, text_anchor="middle"))
        return out
    x, shown_sum = float(PAD), 0
    for c in range(n_cols):
        value = table.visible_value(r, c)
        if not value:
            continue
        shown_sum += value
        width = inner * value / total
        fill, ink = colours[c]
        out.append(_rect(x, top, width, BAR, fill, data_band=table.col_labels[c], data_value=value))
        if width >= text_width(str(value), 13) + 6:
            out.append(
                _text(
                    x + width / 2,
                    top + BAR * 0.68,
                    str(value),
                    fill=ink,
                    font_size=13,
                    text_anchor="middle",
                )
            )
        x += width
    if shown_sum < total:
        width = inner * (total - shown_sum) / total
        out.append(
            _rect(
                x,
                top,
                width,
                BAR,
                HIDDEN_FILL,
                stroke=HIDDEN_STROKE,
                stroke_dasharray="4 3",
                data_hidden="1",
            )
        )
        if width >= text_width(text.hidden, 13) + 6:
            out.append(
                _text(
                    x + width / 2,
                    top + BAR * 0.68,
                    text.hidden,
                    fill=INK,
                    font_size=13,
                    text_anchor="middle",
                )
            )
    return out


def _legend(labels: Sequence[str], colours: Sequence[tuple[str, str]], hidden: str, y: float):
    """Swatches for every band and for hidden counts, wrapped over as many lines as needed."""
    out, x = [], float(PAD)
    items = [*zip(labels, (c[0] for c in colours), strict=True), (hidden, HIDDEN_FILL)]
    for label, fill in items:
        width = 18 + text_width(label, 14) + 14
        if x > PAD and x + width > WIDTH - PAD:
            x, y = float(PAD), y + 24
        stroke = {"stroke": HIDDEN_STROKE} if fill == HIDDEN_FILL else {}
        out.append(_rect(x, y, 14, 14, fill, **stroke))
        out.append(_text(x + 18, y + 12, label, fill=INK, font_size=14))
        x += width
    return out, y + 24


def band_chart(
    table: SuppressedTable | None, colours: Sequence[tuple[str, str]], text: ChartText
) -> str:
    """Bars of bands per group, from the suppressed table only; None draws the empty chart."""
    body: list[str] = []
    y = float(PAD)
    for line in _wrap(text.title, WIDTH - 2 * PAD, 17):
        body.append(_text(PAD, y + 17, line, fill=INK, font_size=17, font_weight="bold"))
        y += 23
    if text.subtitle:
        body.append(_text(PAD, y + 14, text.subtitle, fill=MUTED, font_size=13))
        y += 22
    y += 6
    if table is None or not table.row_labels:
        body.append(_text(WIDTH / 2, y + 30, text.empty, fill=MUTED, text_anchor="middle"))
        y += 50
    else:
        legend, y = _legend(table.col_labels, colours, text.hidden, y)
        body += legend
        y += 4
        for r in range(table.shape[0]):
            body += _group(table, r, y, colours, text)
            y += FONT_SIZE + 6 + BAR + 12
    height = y + PAD
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-labelledby="chart-title chart-desc" font-family="{escape(FONT)}" '
        f'font-size="{FONT_SIZE}">'
        f'<title id="chart-title">{escape(text.title)}</title>'
        f'<desc id="chart-desc">{escape(text.description)}</desc>'
        f"{_rect(0, 0, WIDTH, height, '#ffffff')}"
        f"{''.join(body)}</svg>"
    )
