"""Small-cell suppression for count tables shown to deans and the safety office.

The published object
--------------------
A ``CountTable`` (rows such as faculties, columns such as severity bands) is published with its
row totals, column totals and grand total. Think of it as an augmented (R+1) x (C+1) grid whose
last column holds the row totals and whose last row holds the column totals. Every line (row or
column) of that grid obeys "sum of the body entries = the margin entry". Each entry of the grid,
margins included, is either shown exactly or suppressed.

Primary rule: every entry below the minimum is suppressed, zeros included
--------------------------------------------------------------------------
Any cell, row total, column total or grand total with a count below ``minimum`` is suppressed,
and that includes 0. Why zeros too: if zeros were always shown, a reader would know that every
hidden cell holds at least 1, so a row "1, 1, 20 | total 22" with both 1s hidden gives them away
(two cells of at least 1 that add up to 2). A shown zero also reveals facts about whole groups
("nobody in faculty X is outside the severe band"). With zeros hidden, the marker "<10" means
exactly "somewhere from 0 to 9", and that is all a reader learns from it.

Primary rule: a count whose complement in its group is small is suppressed too
-------------------------------------------------------------------------------
A faculty of 12 with 11 students in one band must not show "11" beside "12": all but one of its
students would be known to be in that band (attribute disclosure). So a count v of a row whose
row total t leaves t - v below the minimum is hidden, with t (see ``complement_entries``). The
totals row is a group as well: the whole population. Tables with one column are exempt.

Markers
-------
Hidden entries below the minimum show as ``"<{minimum}"``. Entries hidden only to protect others
(complementary suppression) are always at or above the minimum, because everything below it is
already hidden. They show as ``"x"``: writing "<10" on a 40 would be false. The rule is public, so
a reader knows "x" means "at least the minimum", and the protection check assumes exactly that.

Complementary suppression, and why it is enough
-----------------------------------------------
A reader knows every shown entry, every line equation, that each "<m" entry lies in [0, m-1]
and that each "x" entry lies in [m, infinity). A hidden entry is *disclosed* if these facts leave it
only one possible value.

The hidden entries are the edges of a bipartite graph between grid rows and grid columns. Flip the
sign of the row-total and column-total entries (not the grand total). Then every line equation
reads "the flipped values on the edges at this node add up to a known constant". So the changes
that keep every equation true are exactly the alternating +t/-t changes around cycles of that
graph. The constraint matrix is totally unimodular, so if an entry can take a second value at all,
it can move by one around a single simple cycle. Orient each edge row->column for "+1 on the
flipped value" and column->row for "-1", and keep an arc only if that step stays within the
entry's published bounds. Then an entry can change iff a directed cycle through it exists in
that residual graph. An entry on no cycle at all (a bridge, for example the only hidden entry
in its line) is disclosed by subtraction. An entry whose cycles are all blocked by bounds is
disclosed by the bounds.

``suppress`` checks every hidden entry in this way. For each disclosed entry it hides the
cheapest set of further entries (smallest total count, then fewest entries, with a
deterministic order) that closes a usable cycle through it. It repeats this until every hidden
entry can move. Hiding more never narrows any range, so the loop ends. The result meets the
familiar line rule: every row and column of the augmented grid holds 0 or at least 2 hidden
entries. It is also stronger than that rule, because bridges between cycles and bound-pinned
cycles are caught too.

Not covered here: differencing *between* different published tables (for example two campaigns or
two overlapping groupings). Callers publish one table per question, and rates come from the same
suppressed tables, never from raw counts.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

DEFAULT_MINIMUM = 10
MINIMUM_FLOOR = 5
COMPLEMENT_MARKER = "x"
DEFAULT_TOTAL_LABEL = "Total"

Entry = tuple[int, int]
Shown = int | str


def check_minimum(minimum: int) -> int:
    """Return the minimum cell size, refusing values under the floor so no caller weakens it."""
    if isinstance(minimum, bool) or not isinstance(minimum, int):
        raise TypeError("minimum must be an int")
    if minimum < MINIMUM_FLOOR:
        raise ValueError(f"minimum must be at least {MINIMUM_FLOOR}, got {minimum}")
    return minimum


def small_marker(minimum: int) -> str:
    """Return the marker for a hidden entry below the minimum, e.g. "<10"."""
    return f"<{minimum}"


def _check_count(value: object) -> int:
    """Return value if it is a non-negative int, since counts can be nothing else."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"counts must be ints, got {value!r}")
    if value < 0:
        raise ValueError(f"counts must be non-negative, got {value}")
    return value


@dataclass(frozen=True)
class CountTable:
    """Raw counts by row and column; holds real values, so it must never reach a template."""

    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        """Normalise to tuples and validate the shape so later code can trust it."""
        rows = tuple(str(label) for label in self.row_labels)
        cols = tuple(str(label) for label in self.col_labels)
        cells = tuple(tuple(_check_count(v) for v in row) for row in self.cells)
        if not rows or not cols:
            raise ValueError("a table needs at least one row and one column")
        if len(cells) != len(rows) or any(len(row) != len(cols) for row in cells):
            raise ValueError("cells must have one row per row label and one value per column")
        object.__setattr__(self, "row_labels", rows)
        object.__setattr__(self, "col_labels", cols)
        object.__setattr__(self, "cells", cells)

    @property
    def row_totals(self) -> tuple[int, ...]:
        """Sum of each row."""
        return tuple(sum(row) for row in self.cells)

    @property
    def col_totals(self) -> tuple[int, ...]:
        """Sum of each column."""
        return tuple(sum(col) for col in zip(*self.cells, strict=True))

    @property
    def grand_total(self) -> int:
        """Sum of all cells."""
        return sum(self.row_totals)

    def augmented(self) -> tuple[tuple[int, ...], ...]:
        """Cells with row totals appended as the last column and column totals as the last row."""
        body = tuple((*row, total) for row, total in zip(self.cells, self.row_totals, strict=True))
        return (*body, (*self.col_totals, self.grand_total))


@dataclass(frozen=True)
class SuppressedTable:
    """What may be published: labels plus an augmented grid of shown ints and marker strings."""

    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    minimum: int
    grid: tuple[tuple[Shown, ...], ...]

    @property
    def shape(self) -> tuple[int, int]:
        """Number of body rows and body columns (margins excluded)."""
        return len(self.row_labels), len(self.col_labels)

    def _entry(self, row: int, col: int) -> Shown:
        """Return the grid entry; index n_rows is the totals row, n_cols the totals column."""
        n_rows, n_cols = self.shape
        if not (0 <= row <= n_rows and 0 <= col <= n_cols):
            raise IndexError(f"({row}, {col}) is outside the table and its margins")
        return self.grid[row][col]

    def visible_value(self, row: int, col: int) -> int | None:
        """Shown count at (row, col), None if hidden; margins are at index n_rows / n_cols."""
        entry = self._entry(row, col)
        return entry if isinstance(entry, int) else None

    def is_suppressed(self, row: int, col: int) -> bool:
        """Tell whether the entry at (row, col) is hidden."""
        return self.visible_value(row, col) is None

    def cell_values(self) -> tuple[tuple[int | None, ...], ...]:
        """Body cells as shown (None where hidden), without margins; what charts plot."""
        n_rows, n_cols = self.shape
        return tuple(tuple(self.visible_value(r, c) for c in range(n_cols)) for r in range(n_rows))

    def row_totals(self) -> tuple[int | None, ...]:
        """Row totals as shown (None where hidden)."""
        n_rows, n_cols = self.shape
        return tuple(self.visible_value(r, n_cols) for r in range(n_rows))

    def col_totals(self) -> tuple[int | None, ...]:
        """Column totals as shown (None where hidden)."""
        n_rows, n_cols = self.shape
        return tuple(self.visible_value(n_rows, c) for c in range(n_cols))

    def grand_total(self) -> int | None:
        """Grand total as shown (None where hidden)."""
        n_rows, n_cols = self.shape
        return self.visible_value(n_rows, n_cols)

    def to_rows(
        self, total_label: str = DEFAULT_TOTAL_LABEL, corner: str = ""
    ) -> tuple[tuple[Shown, ...], ...]:
        """Header, body rows and totals row as published, numbers kept numeric for CSV."""
        header: tuple[Shown, ...] = (corner, *self.col_labels, total_label)
        labels = (*self.row_labels, total_label)
        return (header, *((label, *row) for label, row in zip(labels, self.grid, strict=True)))

    def display(
        self, total_label: str = DEFAULT_TOTAL_LABEL, corner: str = ""
    ) -> tuple[tuple[str, ...], ...]:
        """The same rows as to_rows with every entry as text, ready for an HTML table."""
        return tuple(tuple(str(v) for v in row) for row in self.to_rows(total_label, corner))


@dataclass(frozen=True)
class CountSeries:
    """Raw counts for one line, e.g. bands for one faculty; never pass it to a template."""

    labels: tuple[str, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        """Normalise to tuples and validate so later code can trust the shape."""
        labels = tuple(str(label) for label in self.labels)
        counts = tuple(_check_count(v) for v in self.counts)
        if not labels or len(labels) != len(counts):
            raise ValueError("a series needs one count per label and at least one label")
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "counts", counts)

    @property
    def total(self) -> int:
        """Sum of the counts."""
        return sum(self.counts)


@dataclass(frozen=True)
class SuppressedSeries:
    """What may be published for one line: labels, shown values or markers, and the total."""

    labels: tuple[str, ...]
    minimum: int
    values: tuple[Shown, ...]
    total: Shown

    def visible_value(self, index: int) -> int | None:
        """Return the shown count at index (index == len(labels) is the total), or None."""
        if not 0 <= index <= len(self.labels):
            raise IndexError(f"{index} is outside the series and its total")
        entry = self.total if index == len(self.labels) else self.values[index]
        return entry if isinstance(entry, int) else None

    def visible_values(self) -> tuple[int | None, ...]:
        """All values as shown (None where hidden), total excluded."""
        return tuple(self.visible_value(i) for i in range(len(self.labels)))

    def visible_total(self) -> int | None:
        """The total as shown (None where hidden)."""
        return self.visible_value(len(self.labels))

    def to_rows(self, total_label: str = DEFAULT_TOTAL_LABEL) -> tuple[tuple[Shown, ...], ...]:
        """A header row and one value row, with the total last, numbers kept numeric for CSV."""
        return ((*self.labels, total_label), (*self.values, self.total))

    def display(self, total_label: str = DEFAULT_TOTAL_LABEL) -> tuple[tuple[str, ...], ...]:
        """The same rows as to_rows with every entry as text."""
        return tuple(tuple(str(v) for v in row) for row in self.to_rows(total_label))


# --- protection check and complementary search -------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """Augmented true values plus the bounds a reader learns from each marker."""

    values: tuple[tuple[int, ...], ...]
    minimum: int

    @property
    def n_row_nodes(self) -> int:
        """Rows of the augmented grid, totals row included."""
        return len(self.values)

    @property
    def n_col_nodes(self) -> int:
        """Columns of the augmented grid, totals column included."""
        return len(self.values[0])

    def entries(self) -> Iterator[Entry]:
        """Every grid position in row-major order, the deterministic order used throughout."""
        for r in range(self.n_row_nodes):
            for c in range(self.n_col_nodes):
                yield r, c

    def sign(self, entry: Entry) -> int:
        """-1 for row and column totals, +1 for body cells and the grand total (see module doc)."""
        r, c = entry
        return -1 if (r == self.n_row_nodes - 1) != (c == self.n_col_nodes - 1) else 1

    def value(self, entry: Entry) -> int:
        """True value at entry."""
        return self.values[entry[0]][entry[1]]

    def can_step(self, entry: Entry, step: int) -> bool:
        """Whether value+step stays in the published range of the entry once hidden."""
        value, new = self.value(entry), self.value(entry) + step
        if value < self.minimum:
            return 0 <= new <= self.minimum - 1
        return new >= self.minimum

    def nodes(self, entry: Entry) -> tuple[int, int]:
        """Graph nodes (row node, column node) joined by entry."""
        return entry[0], self.n_row_nodes + entry[1]

    def arcs(self, skip: Entry) -> Iterator[tuple[int, int, Entry, int]]:
        """Residual arcs (tail, head, entry, step on the true value) of all entries but skip."""
        for entry in self.entries():
            if entry == skip:
                continue
            row_node, col_node = self.nodes(entry)
            sign = self.sign(entry)
            yield row_node, col_node, entry, sign
            yield col_node, row_node, entry, -sign

    def endpoints(self, entry: Entry, step: int) -> tuple[int, int]:
        """Start and goal of the path that closes a cycle moving entry by step."""
        row_node, col_node = self.nodes(entry)
        if self.sign(entry) * step == 1:
            return col_node, row_node
        return row_node, col_node


Residual = dict[int, list[tuple[int, Entry]]]


def _residual(grid: _Grid, hidden: frozenset[Entry]) -> Residual:
    """Usable arcs (tail -> head, entry) of the hidden entries, built once per protection check."""
    adjacency: Residual = {}
    for other in hidden:
        row_node, col_node = grid.nodes(other)
        sign = grid.sign(other)
        if grid.can_step(other, sign):
            adjacency.setdefault(row_node, []).append((col_node, other))
        if grid.can_step(other, -sign):
            adjacency.setdefault(col_node, []).append((row_node, other))
    return adjacency


def _can_move(
    grid: _Grid,
    hidden: frozenset[Entry],
    entry: Entry,
    step: int,
    residual: Residual | None = None,
) -> bool:
    """Whether the hidden entry can move by step along a cycle of other hidden entries."""
    if not grid.can_step(entry, step):
        return False
    adjacency = _residual(grid, hidden) if residual is None else residual
    start, goal = grid.endpoints(entry, step)
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt, other in adjacency.get(node, ()):
            if other != entry and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def _disclosed(
    grid: _Grid, hidden: frozenset[Entry], among: frozenset[Entry] | None = None
) -> list[Entry]:
    """Hidden entries (of ``among``, default all) a reader can pin down, in row-major order."""
    residual = _residual(grid, hidden)
    return [
        entry
        for entry in sorted(hidden if among is None else among)
        if not _can_move(grid, hidden, entry, 1, residual)
        and not _can_move(grid, hidden, entry, -1, residual)
    ]


def _cheapest_cycle(
    grid: _Grid, hidden: frozenset[Entry], entry: Entry, step: int
) -> tuple[tuple[int, int], frozenset[Entry]] | None:
    """Cheapest shown entries to hide so entry can move by step: (cost, entries) or None."""
    if not grid.can_step(entry, step):
        return None
    start, goal = grid.endpoints(entry, step)
    adjacency: dict[int, list[tuple[int, Entry, int]]] = {}
    for tail, head, other, other_step in grid.arcs(skip=entry):
        if grid.can_step(other, other_step):
            cost = 0 if other in hidden else grid.value(other)
            adjacency.setdefault(tail, []).append((head, other, cost))
    best: dict[int, tuple[int, int]] = {start: (0, 0)}
    via: dict[int, tuple[int, Entry]] = {}
    heap: list[tuple[int, int, int]] = [(0, 0, start)]
    while heap:
        cost, count, node = heapq.heappop(heap)
        if (cost, count) != best[node]:
            continue
        if node == goal:
            added: set[Entry] = set()
            while node != start:
                node, used = via[node]
                if used not in hidden:
                    added.add(used)
            return (cost, count), frozenset(added)
        for head, other, arc_cost in adjacency.get(node, ()):
            candidate = (cost + arc_cost, count + (other not in hidden))
            if head not in best or candidate < best[head]:
                best[head] = candidate
                via[head] = (node, other)
                heapq.heappush(heap, (*candidate, head))
    return None


def _protect(grid: _Grid, primary: frozenset[Entry]) -> frozenset[Entry]:
    """Add complementary suppressions until no hidden entry can be pinned down."""
    hidden = primary
    disclosed = _disclosed(grid, hidden)
    while disclosed:
        entry = disclosed[0]
        options = [
            option
            for step in (-1, 1)
            if (option := _cheapest_cycle(grid, hidden, entry, step)) is not None
        ]
        if not options:
            # Nothing left to hide helps; hiding everything is the only safe outcome.
            return frozenset(grid.entries())
        _, added = min(options, key=lambda option: (option[0], sorted(option[1])))
        hidden = hidden | added
        # Hiding more only adds cycles, so an entry that could move still can: only the
        # entries still pinned and the newly hidden ones need checking again.
        disclosed = _disclosed(grid, hidden, frozenset(disclosed) | added)
    return hidden


def complement_entries(values: Sequence[Sequence[int]], minimum: int) -> frozenset[Entry]:
    """Entries hidden because the rest of their group is small, with that group's total.

    A group is a row of the augmented grid (the totals row is the group "everyone"). When a
    count v sits beside a total t with t - v below the minimum, publishing both says that all but
    a few members of the group share that column (11 of a faculty of 12 in one band). Such a v is
    hidden, and so is t: a reader who sees t and knows that a hidden "x" is at least the minimum
    would otherwise still learn that at most t - minimum members are elsewhere. A table with a
    single column is exempt: its one column is the group itself and says nothing about anyone.
    """
    hidden: set[Entry] = set()
    n_cols = len(values[0]) - 1
    if n_cols < 2:
        return frozenset()
    for r, row in enumerate(values):
        total = row[-1]
        for c in range(n_cols):
            if row[c] >= minimum and total - row[c] < minimum:
                hidden.update({(r, c), (r, n_cols)})
    return frozenset(hidden)


def primary_entries(values: Sequence[Sequence[int]], minimum: int) -> frozenset[Entry]:
    """Entries hidden by the two primary rules: small counts and small complements."""
    small = frozenset(
        (r, c) for r, row in enumerate(values) for c, v in enumerate(row) if v < minimum
    )
    return small | complement_entries(values, minimum)


def _hidden_entries(values: tuple[tuple[int, ...], ...], minimum: int) -> frozenset[Entry]:
    """Primary plus complementary suppressions for an augmented grid of true values."""
    grid = _Grid(values, minimum)
    return _protect(grid, primary_entries(values, minimum))


def _shown(value: int, hidden: bool, minimum: int) -> Shown:
    """The published form of one entry."""
    if not hidden:
        return value
    return small_marker(minimum) if value < minimum else COMPLEMENT_MARKER


def suppress(table: CountTable, minimum: int = DEFAULT_MINIMUM) -> SuppressedTable:
    """Hide small entries and enough others that no hidden entry can be worked out."""
    check_minimum(minimum)
    values = table.augmented()
    hidden = _hidden_entries(values, minimum)
    grid = tuple(
        tuple(_shown(v, (r, c) in hidden, minimum) for c, v in enumerate(row))
        for r, row in enumerate(values)
    )
    return SuppressedTable(table.row_labels, table.col_labels, minimum, grid)


def suppress_series(series: CountSeries, minimum: int = DEFAULT_MINIMUM) -> SuppressedSeries:
    """Suppress one line with its total, reusing the table rule on a one-row table."""
    table = suppress(CountTable(("",), series.labels, (series.counts,)), minimum)
    body, totals = table.grid
    # In a one-row table the totals row repeats the row, so both must be hidden alike.
    hidden_body = tuple(isinstance(v, str) for v in body)
    if hidden_body != tuple(isinstance(v, str) for v in totals):
        raise AssertionError("one-row suppression must hide a cell and its column total alike")
    return SuppressedSeries(series.labels, minimum, body[:-1], body[-1])


# --- rates --------------------------------------------------------------------------------------


def _rate(numerator: int | None, denominator: int | None, minimum: int) -> float | None:
    """numerator/denominator when both are shown and the denominator is not small, else None."""
    if numerator is None or denominator is None or denominator < minimum:
        return None
    if numerator > denominator:
        raise ValueError(f"numerator {numerator} exceeds denominator {denominator}")
    return numerator / denominator


def rates(numerators: SuppressedSeries, denominators: SuppressedSeries) -> tuple[float | None, ...]:
    """Per-label rate (e.g. positive screens / completed) only where both counts are shown.

    Prefer row_rates over one table of (positive, not positive) columns: two separately
    suppressed series can reveal a small difference (completed minus positive) by subtraction.
    """
    if numerators.labels != denominators.labels:
        raise ValueError("numerators and denominators must have the same labels")
    minimum = max(numerators.minimum, denominators.minimum)
    return tuple(
        _rate(n, d, minimum)
        for n, d in zip(numerators.visible_values(), denominators.visible_values(), strict=True)
    )


def row_rates(table: SuppressedTable, col: int) -> tuple[float | None, ...]:
    """Share of each row's total falling in column col, only where both are shown."""
    n_rows, n_cols = table.shape
    if not 0 <= col < n_cols:
        raise IndexError(f"column {col} is outside the table")
    return tuple(
        _rate(table.visible_value(r, col), table.visible_value(r, n_cols), table.minimum)
        for r in range(n_rows)
    )


def published_bounds(shown: Shown, minimum: int) -> tuple[int, int | None]:
    """Range of true values a reader can infer from one published entry alone."""
    if isinstance(shown, int):
        return shown, shown
    if shown == small_marker(minimum):
        return 0, minimum - 1
    if shown == COMPLEMENT_MARKER:
        return minimum, None
    raise ValueError(f"unknown marker {shown!r}")


def _lines(grid: Sequence[Sequence[Shown]]) -> Iterator[tuple[Shown, ...]]:
    """Every row and column of an augmented grid."""
    yield from (tuple(row) for row in grid)
    yield from zip(*grid, strict=True)


def satisfies_line_rule(table: SuppressedTable) -> bool:
    """Whether every line of the grid hides 0 or at least 2 entries (a necessary condition)."""
    return all(sum(isinstance(v, str) for v in line) != 1 for line in _lines(table.grid))
