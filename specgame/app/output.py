"""Where the command's output goes, decided in one place: a terminal, or not (a pipe, a file, CI).

- On a terminal, tables narrow themselves to its width (:func:`~specgame.app.tables.fitted`),
  prose wraps between words, and long work shows a live progress line on stderr.
- Anywhere else nothing is wrapped or cut: a line is as long as it needs to be, so a path or
  a table row stays whole for ``grep`` and in a log; tables are printed at their natural
  width; every line is written out as soon as it is printed (``| tee log`` sees it at once);
  and there is no live line.

:func:`is_terminal` is the only test of "terminal or not"; the stdout :func:`console`, the
tables and :class:`~specgame.app.progress.Progress` all ask it.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.text import Text

from specgame.app.tables import Grid, aligned, fitted

# The width of the console when stdout is not a terminal: wider than any table we print, so
# rich never squeezes one (prose is not wrapped at all there: soft_wrap).
UNWRAPPED = 10_000


def is_terminal(stream) -> bool:
    """Whether ``stream`` is a terminal a person reads as it is written.

    A tty is, unless rich's switch ``TTY_COMPATIBLE`` says otherwise (``1``: treat the stream
    as a terminal, ``0``: not).  ``FORCE_COLOR``, which CI services set to get colours, only
    colours the output: a log stays a log, never wrapped at an imagined 80 columns.
    """
    switch = os.environ.get("TTY_COMPATIBLE", "")
    if switch in ("0", "1"):
        return switch == "1"
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def console() -> Console:
    """A console on stdout: fitted to the terminal, or never wrapping when stdout is not one."""
    if is_terminal(sys.stdout):
        return Console(highlight=False)  # the terminal's width (or COLUMNS)
    return Console(highlight=False, soft_wrap=True, width=UNWRAPPED)


def line_buffered_stdout() -> None:
    """Write each line of stdout out as it is printed, even into a pipe or a file.

    Python buffers a pipe in blocks of kilobytes, so plain ``print`` lines (bench, interpret,
    lm) would reach ``| tee log`` only at the end; a terminal is line-buffered already.
    """
    if not is_terminal(sys.stdout) and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)


def show(grid: Grid) -> None:
    """Print a table: in the layout that fits the terminal, or at its natural width elsewhere."""
    con = console()
    con.print(fitted(grid, con.width))


class StreamedTable:
    """A table whose rows come in over minutes (``compare --all``), printed so a reader can follow.

    On a terminal the rows are kept and the whole table is printed, fitted, by :meth:`close`
    (the live progress line shows each row meanwhile).  Anywhere else the title and the
    header are printed at once and each row as soon as it is added, one line each, in
    columns wide enough for the header and the ``known`` values (say, the env names to
    come); a wider cell widens its column from that row on rather than being cut.
    """

    def __init__(self, grid: Grid, known: dict[int, list[str]] | None = None):
        self.grid = grid
        self.console = console()
        self.streaming = not is_terminal(sys.stdout)
        self.widths = [max([len(name), *(Text.from_markup(v).cell_len for v in (known or {}).get(i, ()))])
                       for i, name in enumerate(grid.header)]
        if self.streaming:
            if grid.title:
                self.console.print(Text(grid.title, style="italic"))
            self.console.print(aligned(grid.header, self.widths, grid.text_columns, markup=False), style="bold")

    def add_row(self, *cells: str, end_section: bool = False) -> None:
        self.grid.add_row(*cells, end_section=end_section)
        if self.streaming:
            self.widths = [max(width, Text.from_markup(cell).cell_len) for width, cell in zip(self.widths, cells)]
            dim = len(self.grid.rows) - 1 in self.grid.dim_rows
            self.console.print(aligned(cells, self.widths, self.grid.text_columns), style="dim" if dim else None)

    def close(self) -> None:
        if self.streaming:
            if self.grid.caption:
                self.console.print(Text(self.grid.caption, style="dim"))
        else:
            show(self.grid)
