"""Worked examples of suppression, display, CSV and chart data agreeing with each other."""

from __future__ import annotations

import csv
import io

import pytest

from screening.csvexport import to_csv
from screening.stats.charts import chart_data
from screening.stats.suppression import (
    CountSeries,
    CountTable,
    SuppressedTable,
    rates,
    row_rates,
    suppress,
    suppress_series,
)
from tests.stats.strategies import complement_leaks, movable_entries

BANDS = ("none", "mild", "moderate", "severe")
FACULTIES = ("Law", "Arts", "Medicine", "Music")
# Music has 3 respondents in total, so all of its cells and its total are small.
CELLS = ((40, 25, 14, 12), (30, 22, 15, 11), (50, 40, 20, 16), (1, 2, 0, 0))


@pytest.fixture
def table() -> CountTable:
    """A faculty-by-band table with one tiny faculty."""
    return CountTable(FACULTIES, BANDS, CELLS)


def test_small_faculty_hidden_in_display(table: CountTable) -> None:
    """Every entry of the 3-respondent faculty, its total included, shows only as "<10"."""
    rows = suppress(table).display()
    assert rows[0] == ("", *BANDS, "Total")
    music = rows[1 + FACULTIES.index("Music")]
    assert music == ("Music", "<10", "<10", "<10", "<10", "<10")


def test_small_faculty_hidden_in_chart_data(table: CountTable) -> None:
    """The chart plots nothing for the small faculty, and only shown numbers elsewhere."""
    published = suppress(table)
    music = FACULTIES.index("Music")
    for band, values in chart_data(published):
        assert values[music] is None
        assert values == tuple(
            published.visible_value(r, BANDS.index(band)) for r in range(len(FACULTIES))
        )


def test_small_faculty_hidden_in_csv(table: CountTable) -> None:
    """The CSV row for the small faculty carries markers only, matching the display."""
    published = suppress(table)
    parsed = list(csv.reader(io.StringIO(to_csv(published.to_rows()))))
    assert [tuple(row) for row in parsed] == list(published.display())
    assert parsed[1 + FACULTIES.index("Music")] == ["Music", "<10", "<10", "<10", "<10", "<10"]


def test_complements_protect_the_small_faculty(table: CountTable) -> None:
    """The column totals stay shown only because other cells are hidden to protect Music."""
    published = suppress(table)
    assert published.grand_total() == table.grand_total
    for col in range(len(BANDS)):
        hidden_in_column = [published.is_suppressed(r, col) for r in range(len(FACULTIES))]
        assert sum(hidden_in_column) != 1


def test_single_small_cell_gets_cheapest_complement() -> None:
    """One small cell is protected by the cheapest rectangle of other cells, marked "x"."""
    table = CountTable(("A", "B", "C"), ("p", "q", "r"), ((40, 25, 12), (30, 3, 15), (50, 40, 20)))
    published = suppress(table)
    assert published.display()[1:] == (
        ("A", "40", "x", "x", "77"),
        ("B", "30", "<10", "x", "48"),
        ("C", "50", "40", "20", "110"),
        ("Total", "120", "68", "47", "235"),
    )


def test_zeros_are_hidden_and_cannot_be_derived() -> None:
    """A row whose only non-zero cell would reveal everyone's band is protected too."""
    table = CountTable(("A", "B"), ("p", "q", "r"), ((0, 0, 25), (30, 30, 30)))
    published = suppress(table)
    assert published.visible_value(0, 0) is None
    assert published.visible_value(0, 1) is None
    hidden = {(r, c) for r in range(3) for c in range(4) if published.is_suppressed(r, c)}
    assert hidden <= movable_entries(table, published)


def test_checker_detects_a_derivable_cell() -> None:
    """The independent brute-force checker flags a table that only hides the small cell."""
    table = CountTable(("A", "B"), ("p", "q"), ((3, 20), (30, 40)))
    naive = SuppressedTable(
        ("A", "B"), ("p", "q"), 10, (("<10", 20, 23), (30, 40, 70), (33, 60, 93))
    )
    assert (0, 0) not in movable_entries(table, naive)
    assert suppress(table).visible_value(0, 0) is None


def test_minimum_is_configurable() -> None:
    """A higher minimum hides more, with the matching marker."""
    table = CountTable(("A",), ("p", "q"), ((11, 30),))
    assert suppress(table, 10).visible_value(0, 0) == 11
    assert suppress(table, 12).grid[0][0] == "<12"


def test_default_minimum_is_ten() -> None:
    """Without an explicit minimum, 10 applies."""
    assert suppress(CountTable(("A",), ("p", "q"), ((9, 30),))).minimum == 10


def test_rejects_bad_counts() -> None:
    """Negative or non-integer counts are a caller bug and are refused."""
    with pytest.raises(ValueError):
        CountTable(("A",), ("p",), ((-1,),))
    with pytest.raises(TypeError):
        CountTable(("A",), ("p",), ((1.5,),))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CountTable(("A", "B"), ("p",), ((1,),))


def test_series_hides_small_and_a_complement() -> None:
    """Participation by faculty: a small group forces the next smallest to be hidden too."""
    series = CountSeries(("Law", "Arts", "Music"), (120, 45, 4))
    published = suppress_series(series)
    assert published.to_rows() == (("Law", "Arts", "Music", "Total"), (120, "x", "<10", 169))
    assert published.display()[1] == ("120", "x", "<10", "169")


def test_series_rates() -> None:
    """Positive-screen rates exist only where both counts are shown and large enough."""
    labels = ("Law", "Arts", "Music", "Med")
    positive = suppress_series(CountSeries(labels, (12, 30, 1, 20)))
    completed = suppress_series(CountSeries(labels, (100, 60, 4, 80)))
    result = rates(positive, completed)
    assert result[labels.index("Music")] is None
    assert result[labels.index("Law")] in (None, 12 / 100)
    for rate, num, den in zip(
        result, positive.visible_values(), completed.visible_values(), strict=True
    ):
        assert (rate is None) == (num is None or den is None)


def test_rates_need_matching_labels() -> None:
    """Rates over mismatched groups are refused rather than silently misaligned."""
    a = suppress_series(CountSeries(("x", "y"), (20, 20)))
    b = suppress_series(CountSeries(("y", "x"), (20, 20)))
    with pytest.raises(ValueError):
        rates(a, b)


def test_row_rates_for_small_faculty_are_hidden(table: CountTable) -> None:
    """The severe-band share of the tiny faculty is not published."""
    shares = row_rates(suppress(table), BANDS.index("severe"))
    assert shares[FACULTIES.index("Music")] is None


# --- hostile faculties: what an attacker would look for --------------------------------------

#: Positive / not positive screens per faculty: a large faculty, a faculty of 3, a faculty of 12
#: with 11 flagged, a faculty of 40 with none flagged and a faculty of 57 = 50 + 7.
HOSTILE = {
    "Large": (60, 140),
    "Three": (1, 2),
    "Twelve": (11, 1),
    "Forty": (0, 40),
    "FiftySeven": (50, 7),
}


@pytest.fixture
def hostile() -> CountTable:
    """The hostile faculties as one positive-by-faculty table."""
    return CountTable(tuple(HOSTILE), ("positive", "not positive"), tuple(HOSTILE.values()))


def _published_row(published: SuppressedTable, label: str) -> tuple[str, ...]:
    """The display row of one faculty, label first."""
    return published.display()[1 + published.row_labels.index(label)]


def test_faculty_of_three_shows_nothing(hostile: CountTable) -> None:
    """Every entry of a faculty of 3, its size included, is "<10"."""
    assert _published_row(suppress(hostile), "Three") == ("Three", "<10", "<10", "<10")


def test_eleven_of_twelve_is_hidden(hostile: CountTable) -> None:
    """11 flagged of 12 would flag everyone but one: neither 11 nor a telling total is shown."""
    published = suppress(hostile)
    row = _published_row(published, "Twelve")
    assert "11" not in row
    assert row[1:] == ("x", "<10", "x")
    assert complement_leaks(published) == []


def test_forty_with_none_flagged_is_hidden(hostile: CountTable) -> None:
    """A shown 40 of 40 not positive would say that nobody in the faculty screened positive."""
    published = suppress(hostile)
    row = _published_row(published, "Forty")
    assert row[1] == "<10"
    assert "40" not in row[2:]


def test_fifty_of_fifty_seven_is_hidden(hostile: CountTable) -> None:
    """50 of 57 leaves 7 elsewhere: the 50 is hidden with the 7, and 57 with them."""
    published = suppress(hostile)
    row = _published_row(published, "FiftySeven")
    assert row[1:] == ("x", "<10", "x")


def test_hostile_table_has_no_derivable_entry(hostile: CountTable) -> None:
    """The solver-independent checker finds every hidden entry movable and no complement leak."""
    published = suppress(hostile)
    hidden = {
        (r, c)
        for r, row in enumerate(published.grid)
        for c, v in enumerate(row)
        if isinstance(v, str)
    }
    assert hidden <= movable_entries(hostile, published)
    assert complement_leaks(published) == []
    large = _published_row(published, "Large")
    assert all(v.isdigit() or v == "x" for v in large[1:])


def test_everyone_in_one_band_university_wide_is_hidden() -> None:
    """The totals row is a group too: 95 of 100 in one band hides that column total and 100."""
    table = CountTable(("A", "B"), ("p", "q"), ((45, 3), (50, 2)))
    published = suppress(table)
    assert published.grid[2][0] == "x"
    assert published.grand_total() is None
    assert complement_leaks(published) == []


def test_one_column_table_is_not_a_group() -> None:
    """A table with a single column (results without bands) keeps its counts."""
    published = suppress(CountTable(("A", "B"), ("completed",), ((40,), (30,))))
    assert published.cell_values() == ((40,), (30,))
