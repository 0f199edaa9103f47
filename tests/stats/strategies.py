"""Hypothesis strategies and an independent disclosure check shared by the stats tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from hypothesis import strategies as st

from screening.stats.suppression import CountTable, SuppressedTable, published_bounds

counts = st.one_of(st.integers(0, 12), st.integers(0, 60))
minimums = st.integers(5, 12)


@st.composite
def count_tables(draw: st.DrawFn, max_rows: int = 6, max_cols: int = 6) -> CountTable:
    """Random tables of 1..max_rows x 1..max_cols counts, biased towards small counts."""
    n_rows = draw(st.integers(1, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    cells = draw(
        st.lists(
            st.lists(counts, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows
        )
    )
    return CountTable(
        tuple(f"row {i}" for i in range(n_rows)),
        tuple(f"col {j}" for j in range(n_cols)),
        tuple(tuple(row) for row in cells),
    )


def _feasible_steps(
    truth: CountTable, published: SuppressedTable
) -> Iterator[dict[tuple[int, int], int]]:
    """Every nonzero change in {-1,0,1} of hidden entries that a reader cannot rule out."""
    values = truth.augmented()
    n_rows, n_cols = len(values), len(values[0])

    def options(r: int, c: int) -> list[int]:
        shown = published.grid[r][c]
        if isinstance(shown, int):
            return [0]
        low, high = published_bounds(shown, published.minimum)
        return [
            d
            for d in (-1, 0, 1)
            if low <= values[r][c] + d and (high is None or values[r][c] + d <= high)
        ]

    per_row = [
        list(itertools.product(*(options(r, c) for c in range(n_cols)))) for r in range(n_rows)
    ]
    # Keep only row changes that respect their own row equation.
    per_row = [[steps for steps in rows if sum(steps[:-1]) == steps[-1]] for rows in per_row]
    allowed_totals = set(per_row[-1])
    # The column equations force the totals row, so only the body rows are enumerated.
    for body in itertools.product(*per_row[:-1]):
        totals = tuple(sum(col) for col in zip(*body, strict=True))
        if totals not in allowed_totals or not any(map(any, body)):
            continue
        grid = (*body, totals)
        yield {(r, c): grid[r][c] for r in range(n_rows) for c in range(n_cols)}


def movable_entries(truth: CountTable, published: SuppressedTable) -> set[tuple[int, int]]:
    """Hidden entries that some other table consistent with everything published changes.

    Independent of the module's graph search: a brute-force walk over unit changes. Unit changes
    suffice because the line equations form a totally unimodular system, so any second solution
    can be reached by a conformal unit step (a standard result for network matrices).
    """
    moved: set[tuple[int, int]] = set()
    for change in _feasible_steps(truth, published):
        moved.update(entry for entry, step in change.items() if step)
    return moved


def complement_leaks(published: SuppressedTable) -> list[tuple[int, int]]:
    """Entries from which a reader, using one row alone, proves the rest of its group is small.

    A shown count v beside a shown total t with t - v under the minimum says that all but a few
    of the group share that column; so does a hidden "x" (at least the minimum) beside a shown
    total under twice the minimum. Independent of the module: it reads only what is published.
    """
    minimum = published.minimum
    n_rows, n_cols = published.shape
    if n_cols < 2:
        return []
    leaks = []
    for r in range(n_rows + 1):
        total = published.visible_value(r, n_cols)
        if total is None:
            continue
        for c in range(n_cols):
            low, _high = published_bounds(published.grid[r][c], minimum)
            if low >= minimum and total - low < minimum:
                leaks.append((r, c))
    return leaks
