"""Property tests: suppression never shows a wrong number nor leaves a hidden one derivable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.stats.suppression import (
    COMPLEMENT_MARKER,
    CountSeries,
    CountTable,
    check_minimum,
    rates,
    row_rates,
    satisfies_line_rule,
    small_marker,
    suppress,
    suppress_series,
)
from tests.stats.strategies import (
    complement_leaks,
    count_tables,
    counts,
    minimums,
    movable_entries,
)

SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(count_tables(), minimums)
def test_shown_entries_are_true_and_small_entries_hidden(table: CountTable, minimum: int) -> None:
    """(a) every shown entry is the real value; (b) everything under the minimum is hidden."""
    published = suppress(table, minimum)
    for truth_row, shown_row in zip(table.augmented(), published.grid, strict=True):
        for truth, shown in zip(truth_row, shown_row, strict=True):
            if isinstance(shown, int):
                assert shown == truth
                assert shown >= minimum
            elif truth < minimum:
                assert shown == small_marker(minimum)
            else:
                assert shown == COMPLEMENT_MARKER


@SETTINGS
@given(count_tables(), minimums)
def test_every_line_hides_none_or_at_least_two(table: CountTable, minimum: int) -> None:
    """(c) no row or column, totals included, has exactly one hidden entry to subtract out."""
    assert satisfies_line_rule(suppress(table, minimum))


@settings(max_examples=300, deadline=None)
@given(count_tables(max_rows=3, max_cols=3), minimums)
def test_no_hidden_entry_is_pinned_down(table: CountTable, minimum: int) -> None:
    """(c, exact) every hidden entry has another value consistent with all that is published."""
    published = suppress(table, minimum)
    hidden = {
        (r, c)
        for r, row in enumerate(published.grid)
        for c, v in enumerate(row)
        if isinstance(v, str)
    }
    assert hidden <= movable_entries(table, published)


@SETTINGS
@given(count_tables(), minimums, st.data())
def test_row_rates_only_over_shown_counts(
    table: CountTable, minimum: int, data: st.DataObject
) -> None:
    """(d) a rate exists exactly where numerator and denominator are both shown."""
    published = suppress(table, minimum)
    col = data.draw(st.integers(0, len(table.col_labels) - 1))
    n_cols = len(table.col_labels)
    for r, rate in enumerate(row_rates(published, col)):
        num, den = published.visible_value(r, col), published.visible_value(r, n_cols)
        if num is None or den is None:
            assert rate is None
        else:
            assert den >= minimum
            assert rate == table.cells[r][col] / table.row_totals[r]


@SETTINGS
@given(st.data(), minimums)
def test_series_rates_only_over_shown_counts(data: st.DataObject, minimum: int) -> None:
    """(d) series rates hide any group whose numerator or denominator is hidden."""
    size = data.draw(st.integers(1, 6))
    labels = tuple(f"g{i}" for i in range(size))
    dens = data.draw(st.lists(counts, min_size=size, max_size=size))
    nums = [data.draw(st.integers(0, d)) for d in dens]
    num_s = suppress_series(CountSeries(labels, tuple(nums)), minimum)
    den_s = suppress_series(CountSeries(labels, tuple(dens)), minimum)
    for i, rate in enumerate(rates(num_s, den_s)):
        if num_s.visible_value(i) is None or den_s.visible_value(i) is None:
            assert rate is None
        else:
            assert rate == nums[i] / dens[i]


@SETTINGS
@given(st.data(), minimums)
def test_series_shows_true_values_and_no_single_hidden(data: st.DataObject, minimum: int) -> None:
    """A one-line series follows the same rules: true values, small hidden, never one hidden."""
    values = data.draw(st.lists(counts, min_size=1, max_size=6))
    series = CountSeries(tuple(f"b{i}" for i in range(len(values))), tuple(values))
    published = suppress_series(series, minimum)
    entries = [*published.values, published.total]
    truths = [*values, series.total]
    assert sum(isinstance(v, str) for v in entries) != 1
    for shown, truth in zip(entries, truths, strict=True):
        assert shown == truth if isinstance(shown, int) else (truth < minimum or shown == "x")
        if truth < minimum:
            assert shown == small_marker(minimum)


@given(st.integers(max_value=4))
def test_minimum_below_five_is_refused(minimum: int) -> None:
    """(e) nobody can weaken the threshold below 5."""
    with pytest.raises(ValueError):
        check_minimum(minimum)
    with pytest.raises(ValueError):
        suppress(CountTable(("a",), ("b",), ((20,),)), minimum)


@SETTINGS
@given(count_tables(), minimums)
def test_no_group_is_shown_to_be_nearly_all_in_one_column(table: CountTable, minimum: int) -> None:
    """No row, totals row included, lets a reader prove that all but a few share one column."""
    assert complement_leaks(suppress(table, minimum)) == []
