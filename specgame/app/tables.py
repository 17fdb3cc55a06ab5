"""Tables that fit the terminal: every header whole and every number visible at 80 columns.

A table is tried in ever narrower layouts until one fits: the full headers in boxes,
then short headers (with a legend line), then short headers without boxes, and last a
stacked layout (one block per row, ``header: value`` pairs wrapped to the width).  Rich
never has to squeeze a column, so it never cuts a header to "inte…" or a number to nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text

# Short names for long headers, used when the full ones do not fit (a legend explains them).
SHORT = {"proxy return": "proxy", "intended return": "intended", "proxy score": "p score",
         "intended score": "i score", "intended regret": "regret", "EPIC unif/pol": "EPIC u/p",
         "hack rate": "hack"}


@dataclass
class Grid:
    """The content of a table: what to show, not how wide."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    title: str | None = None
    caption: str | None = None
    text_columns: tuple[int, ...] = (0,)
    """Columns of names, left-aligned; the rest are numbers, right-aligned."""
    sections: tuple[int, ...] = ()
    """Row indices after which a rule is drawn."""
    dim_rows: tuple[int, ...] = ()

    def add_row(self, *cells: str, end_section: bool = False) -> None:
        self.rows.append(tuple(cells))
        if end_section:
            self.sections += (len(self.rows) - 1,)


def _table(grid: Grid, header, compact: bool, widths: list[int]) -> Table:
    options = {"box": None, "padding": (0, 1), "collapse_padding": True, "pad_edge": False} if compact else {}
    table = Table(title=grid.title, caption=grid.caption, **options)
    for i, (name, width) in enumerate(zip(header, widths)):
        text = i in grid.text_columns
        # A fixed width per column: left to itself, rich shares a squeeze evenly and cuts a
        # column below what its cells need ("intend…", a verdict cut in half).
        table.add_column(name, justify="left" if text else "right", no_wrap=text, width=width)
    for i, row in enumerate(grid.rows):
        table.add_row(*row, style="dim" if i in grid.dim_rows else None, end_section=i in grid.sections)
    return table


def _legend(grid: Grid) -> Text | None:
    used = [f"{SHORT[name]} = {name}" for name in grid.header if name in SHORT]
    return Text("; ".join(used), style="dim") if used else None


def _stacked(grid: Grid, width: int):
    lines = [Text(grid.title, style="italic")] if grid.title else []
    for row in grid.rows:
        if Text.from_markup(row[0]).plain:  # an empty name continues the block above
            lines.append(Text.from_markup(f"[bold]{row[0]}[/bold]"))
        line = " "
        for name, cell in zip(grid.header[1:], row[1:]):
            if not Text.from_markup(cell).plain:
                continue
            item = f"  {name}: {cell}"
            if len(Text.from_markup(line + item).plain) > width and line.strip():
                lines.append(Text.from_markup(line))
                line = " "
            line += item
        lines.append(Text.from_markup(line))
    if grid.caption:
        lines.append(Text(grid.caption, style="dim"))
    return Group(*lines)


def _frame(header, compact: bool) -> int:
    """The width a layout spends outside its cells: one space between columns, or boxes and padding."""
    return len(header) - 1 if compact else 3 * len(header) + 1


def _widths(grid: Grid, header, compact: bool, wrap: bool, width: int) -> list[int] | None:
    """Each column's width in ``width`` characters, or None when they cannot all be whole.

    Names and numbers never break; with ``wrap`` the headers of number columns may break
    between words, and the room left over unbreaks as many of them as it can, the cheapest first.
    """
    cells = [max((Text.from_markup(row[i]).cell_len for row in grid.rows), default=0) for i in range(len(header))]
    breakable = [wrap and i not in grid.text_columns for i in range(len(header))]
    widths = [max(cell, max(len(word) for word in name.split()) if can else len(name))
              for cell, name, can in zip(cells, header, breakable)]
    room = width - _frame(header, compact) - sum(widths)
    if room < 0:
        return None
    for i in sorted(range(len(header)), key=lambda i: len(header[i]) - widths[i]):
        if 0 < len(header[i]) - widths[i] <= room:
            room -= len(header[i]) - widths[i]
            widths[i] = len(header[i])
    return widths


def fitted(grid: Grid, width: int):
    """The first layout of ``grid`` whose columns fit in ``width`` characters."""
    short = tuple(SHORT.get(name, name) for name in grid.header)
    for header, compact in ((grid.header, False), (short, False), (short, True)):
        # Rich wraps the full headers well when there is room; short ones must fit whole.
        widths = _widths(grid, header, compact, wrap=header is grid.header, width=width)
        if widths is not None:
            table = _table(grid, header, compact, widths)
            legend = _legend(grid) if header is short and short != grid.header else None
            return table if legend is None else Group(table, legend)
    return _stacked(grid, width)


def aligned(cells, widths, text_columns, markup: bool = True) -> Text:
    """One table row as one line: names left-aligned and numbers right-aligned in ``widths``,
    two spaces apart; a cell wider than its width is kept whole and pushes the rest along."""
    parts = []
    for i, (cell, width) in enumerate(zip(cells, widths)):
        text = Text.from_markup(cell) if markup else Text(cell)
        pad = " " * max(0, width - text.cell_len)
        parts.append(Text.assemble(text, pad) if i in text_columns else Text.assemble(pad, text))
    line = Text("  ").join(parts)
    line.rstrip()  # the last column's padding
    return line


def gap_grid(table) -> Grid:
    """A :class:`~specgame.analysis.compare.GapTable` as a grid: references dimmed, verdicts coloured."""
    colour = {"aligned": "green", "gaming": "bold red", "incompetent": "yellow"}
    n_refs = table.n_references
    rows = [(*row[:-1], f"[{colour[row[-1]]}]{row[-1]}[/]") for row in table.rows()]
    return Grid(table.HEADER, rows, title=table.title(), caption=table.caption(),
                text_columns=(0, len(table.HEADER) - 1), sections=(n_refs - 1,), dim_rows=tuple(range(n_refs)))

