"""The lessons' source: jupytext percent-format ``.py`` files, and what is made from them.

One source file per lesson (``course/NN_name.py``) holds the solution.  Exercise cells
mark it so that the student version can be cut from the same file::

    # %%
    def target(reward, q_next, gamma):
        # SOLUTION START
        return reward + gamma * q_next.max()
        # SOLUTION END
        # BLANK: return None  # your code here

In the *solution* version the markers and ``# BLANK:`` lines go; in the *student*
version the lines from ``SOLUTION START`` to ``SOLUTION END`` go and each ``# BLANK: code``
line becomes ``code`` (at its own indentation).  The code cell after an exercise calls a
check from :mod:`specgame.course.checks`, which raises :class:`~specgame.course.checks.ExerciseError`
saying what is wrong until the exercise is done.

Only the subset of the percent format the lessons use is read here (``# %%`` code cells,
``# %% [markdown]`` cells whose lines start with ``# ``, and the ``# ---`` header), so
the course needs no notebook package to be tested or rendered; jupytext reads the same
files (``tests/test_course.py`` checks that both agree when jupytext is installed).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from specgame._checks import fail
from specgame._files import atomic_write

START, END, BLANK = "# SOLUTION START", "# SOLUTION END", "# BLANK:"
VERSIONS = ("student", "solution")
_CELL = re.compile(r"^# %%(?P<rest>.*)$")


@dataclass(frozen=True)
class Cell:
    """One cell of a lesson: ``kind`` is "code" or "markdown"; ``source`` is the full-solution text."""

    kind: str
    source: str

    @property
    def is_exercise(self) -> bool:
        return self.kind == "code" and any(line.strip() == START for line in self.source.splitlines())

    def text(self, version: str) -> str:
        """The cell as the ``version`` ("student" or "solution") shows it."""
        if version not in VERSIONS:
            fail("version", f"one of {VERSIONS}", version)
        if not self.is_exercise:
            return self.source
        lines, inside = [], False
        for line in self.source.splitlines():
            marker = line.strip()
            if marker == START:
                inside = True
            elif marker == END:
                inside = False
            elif marker.startswith(BLANK):
                if version == "student":
                    indent = line[:len(line) - len(line.lstrip())]
                    lines.append(indent + marker[len(BLANK):].strip())
            elif not (inside and version == "student"):
                lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True)
class Lesson:
    """A lesson read from its source file."""

    path: Path
    header: str
    cells: tuple

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def title(self) -> str:
        """The first markdown heading."""
        for cell in self.cells:
            if cell.kind == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("#"):
                        return line.lstrip("#").strip()
        return self.name

    @property
    def exercises(self) -> list[int]:
        """Indices of the exercise cells."""
        return [i for i, cell in enumerate(self.cells) if cell.is_exercise]

    def check_after(self, index: int) -> int:
        """Index of the code cell after exercise ``index``: the one that calls its check."""
        for later in range(index + 1, len(self.cells)):
            if self.cells[later].kind == "code":
                return later
        raise ValueError(f"{self.path.name}: exercise cell {index} has no check cell after it")

    def to_script(self, version: str = "solution") -> str:
        """The lesson as percent-format text again, in ``version``."""
        parts = [self.header] if self.header else []
        for cell in self.cells:
            if cell.kind == "markdown":
                body = "\n".join(f"# {line}".rstrip() for line in cell.source.splitlines())
                parts.append(f"# %% [markdown]\n{body}")
            else:
                parts.append(f"# %%\n{cell.text(version)}")
        return "\n\n".join(parts) + "\n"

    def to_notebook(self, version: str = "student") -> dict:
        """An nbformat-4 notebook (a dict), outputs empty, in ``version``."""
        cells = []
        for number, cell in enumerate(self.cells):
            text = cell.source if cell.kind == "markdown" else cell.text(version)
            entry = {"cell_type": cell.kind, "id": f"{self.name}-{number}", "metadata": {},
                     "source": text.splitlines(keepends=True)}
            if cell.kind == "code":
                entry.update(execution_count=None, outputs=[])
            cells.append(entry)
        metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                    "language_info": {"name": "python"}}
        return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}

    def to_markdown(self) -> str:
        """The lesson as a documentation page: the student's code, each solution folded under it."""
        parts = []
        for cell in self.cells:
            if cell.kind == "markdown":
                parts.append(cell.source)
            elif cell.is_exercise:
                solution = _indent(f"```python\n{cell.text('solution')}\n```")
                parts.append(f"```python\n{cell.text('student')}\n```\n\n??? success \"Solution\"\n\n{solution}")
            else:
                parts.append(f"```python\n{cell.source}\n```")
        return "\n\n".join(parts) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def read(path) -> Lesson:
    """Parse a lesson's percent-format source file."""
    path = Path(path)
    return read_text(path, path.read_text(encoding="utf-8"))


def read_text(path, text: str) -> Lesson:
    """Parse percent-format ``text``; ``path`` names the lesson (its stem is the lesson's name)."""
    path = Path(path)
    lines = text.splitlines()
    header: list[str] = []
    if lines and lines[0] == "# ---":
        end = lines.index("# ---", 1)
        header, lines = lines[:end + 1], lines[end + 1:]
    cells: list[Cell] = []
    kind, body = None, []

    def close():
        if kind is not None:
            text = "\n".join(body).strip("\n")
            if kind == "markdown":
                text = "\n".join(_uncomment(path, line) for line in text.splitlines())
            cells.append(Cell(kind, text))

    for line in lines:
        match = _CELL.match(line)
        if match:
            close()
            rest = match.group("rest").strip()
            if rest not in ("", "[markdown]"):
                raise ValueError(f"{path.name}: cell marker must be '# %%' or '# %% [markdown]', got {line!r}")
            kind, body = ("markdown" if rest else "code"), []
        elif kind is None:
            if line.strip():
                raise ValueError(f"{path.name}: text before the first cell marker: {line!r}")
        else:
            body.append(line)
    close()
    for cell in cells:
        if cell.is_exercise:
            for version in VERSIONS:
                ast.parse(cell.text(version), filename=f"{path.name} ({version})")  # both must be Python
    return Lesson(path, "\n".join(header), tuple(cells))


def _uncomment(path: Path, line: str) -> str:
    if line == "#":
        return ""
    if not line.startswith("# "):
        raise ValueError(f"{path.name}: a markdown line must start with '# ', got {line!r}")
    return line[2:]


def lessons(folder) -> list[Lesson]:
    """Every lesson in ``folder`` (files named ``NN_*.py``), in order."""
    return [read(p) for p in sorted(Path(folder).glob("[0-9][0-9]_*.py"))]


def write_notebooks(folder, out=None) -> list[Path]:
    """Write ``notebooks/NN_name.ipynb`` (student) and ``solutions/NN_name.ipynb`` under ``out``.

    ``out`` defaults to ``folder``; the notebooks are made, not kept in the repository.
    """
    out = Path(folder if out is None else out)
    written = []
    for lesson in lessons(folder):
        for version, sub in (("student", "notebooks"), ("solution", "solutions")):
            text = json.dumps(lesson.to_notebook(version), indent=1, ensure_ascii=False) + "\n"
            written.append(atomic_write(out / sub / f"{lesson.name}.ipynb", lambda f, t=text: f.write(t.encode())))
    return written


# -- running a lesson as a notebook would ----------------------------------------------------


def run_cell(source: str, namespace: dict, label: str = "<cell>"):
    """Execute one cell as IPython does: statements, then the last expression's value.

    The value is returned and, like a notebook's display, rendered: an object with
    ``_repr_html_`` (a picture from :func:`specgame.course.show`) has it called, so a
    broken picture fails here as it would in the notebook.
    """
    tree = ast.parse(source, filename=label)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, label, "exec"), namespace)
    if last is None:
        return None
    value = eval(compile(ast.Expression(last.value), label, "eval"), namespace)
    if hasattr(value, "_repr_html_"):
        value._repr_html_()
    return value


@dataclass(frozen=True)
class Run:
    """What :func:`run` saw: each exercise's check message on the blank, and the final namespace."""

    blank_messages: dict  # exercise cell index -> what the check said about the blank
    namespace: dict


def run(lesson: Lesson, *, blanks: bool = True) -> Run:
    """Run ``lesson`` start to finish in one namespace, as a notebook does (solution version).

    With ``blanks``, each exercise runs first as the student gets it, and the check after it
    must raise :class:`~specgame.course.checks.ExerciseError`; then the solution runs and the
    same check must pass.  Anything else raises, naming the lesson and the cell.
    """
    from specgame.course.checks import ExerciseError

    namespace: dict = {"__name__": "__main__"}
    messages = {}
    checks = {lesson.check_after(i): i for i in lesson.exercises}
    for index, cell in enumerate(lesson.cells):
        if cell.kind != "code" or (blanks and cell.is_exercise):
            continue  # with blanks, an exercise runs at its check: blank first, then solved
        label = f"{lesson.path.name}, cell {index}"
        if blanks and index in checks:
            exercise = checks[index]
            run_cell(lesson.cells[exercise].text("student"), namespace, f"{lesson.path.name}, cell {exercise} (blank)")
            try:
                run_cell(cell.source, namespace, label)
            except ExerciseError as err:
                messages[exercise] = str(err)
            else:
                raise AssertionError(f"{label}: the check passed with the blank exercise of cell {exercise}")
            run_cell(lesson.cells[exercise].text("solution"), namespace, f"{lesson.path.name}, cell {exercise}")
        run_cell(cell.source if not cell.is_exercise else cell.text("solution"), namespace, label)
    return Run(messages, namespace)
