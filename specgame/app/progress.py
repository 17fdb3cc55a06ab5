"""What a long command is doing, while it does it: one live line on stderr (rich's progress).

Every command that makes a person wait more than a couple of seconds (training, compare,
compare --all, bench) reports through one :class:`Progress`:

- ``progress("compiling the table")`` says what it is doing now: the live line shows the
  stage, a bar when the work is counted (``progress("training", done, total)``) and the
  time since the command started;
- ``progress.log("CliffWalking-v0: aligned")`` prints a line that stays, above the live one
  (a finished row, a time estimate).

It is silent with ``--quiet`` and when stderr is not a terminal (a log file, CI, a pipe), so
tables written to a file stay clean.  ``TTY_COMPATIBLE=1`` (rich's switch) shows it anyway;
:func:`specgame.app.output.is_terminal` decides, as it does for stdout.
Analysis functions take a plain ``progress`` callable (``progress(message)``) and know
nothing of rich, so the layers below the app stay free of display code.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from specgame.app.output import is_terminal


class Progress:
    """The live progress line of one command; a no-op when quiet or not in a terminal.

    Use it as a context manager (``with Progress(args.quiet) as progress:``) so the live line
    is cleared when the command ends, even on an error.
    """

    def __init__(self, quiet: bool = False, console: Console | None = None):
        self.console = console or Console(stderr=True, highlight=False)
        self.shown = not quiet and is_terminal(self.console.file)
        self._bar: RichProgress | None = None
        self._task = None

    def _start(self) -> None:
        self._bar = RichProgress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=20),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True,
                                 redirect_stdout=False, redirect_stderr=False)  # tables go to stdout untouched
        self._bar.start()
        self._task = self._bar.add_task("", total=None)

    def __call__(self, message: str, done: int | None = None, total: int | None = None) -> None:
        """Show ``message`` as the current stage; with ``total``, a bar at ``done`` of ``total``."""
        if not self.shown:
            return
        if self._bar is None:
            self._start()
        new_stage = message != self._bar.tasks[0].description
        # A new stage is drawn at once: a stage that ends before the next timed refresh still shows.
        self._bar.update(self._task, description=message, completed=done or 0, total=total, refresh=new_stage)

    def log(self, message: str) -> None:
        """A line that stays (printed above the live line)."""
        if not self.shown:
            return
        if self._bar is None:
            self._start()
        self._bar.console.print(message, markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
