"""The course: every lesson runs start to finish in its quick setting, every exercise's check
fails on the blank and passes on the solution, the student version hides the solutions, and
`show` makes the pictures a notebook displays."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import specgame
from specgame.course import checks, lessons, show
from specgame.course.checks import ExerciseError
from specgame.solve import solve

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "course").glob("[0-9][0-9]_*.py"))


def test_the_lessons_are_found():
    assert [p.stem[:2] for p in LESSONS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_start_to_finish_and_its_checks_judge(path):
    # A fresh interpreter per lesson, as a notebook has a fresh kernel.  One numba thread: the
    # solver's threads spin-wait at every step of a small table when the cores are busy (a
    # third of the CPU time here on a loaded machine), and its results do not depend on them.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SPECGAME_QUICK": "1", "MPLBACKEND": "Agg",
           "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "NUMBA_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "specgame.course", "check", str(path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lesson = lessons.read(path)
    assert len(lesson.exercises) >= 3
    assert f"{len(lesson.exercises)} exercises, each check failed on the blank and passed solved" in done.stdout


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_the_student_version_hides_every_solution(path):
    lesson = lessons.read(path)
    for index in lesson.exercises:
        cell = lesson.cells[index]
        student, solution = cell.text("student"), cell.text("solution")
        assert "SOLUTION" not in student + solution and "BLANK" not in student + solution
        hidden = [line for line in solution.splitlines() if line not in student.splitlines()]
        assert hidden, f"cell {index} shows its whole solution"
        assert not any(line.strip() and line in student.splitlines() for line in hidden)
        assert lesson.cells[lesson.check_after(index)].source.startswith("checks.")
    script = lesson.to_script("solution")
    assert lessons.read_text(path.name, script).cells == tuple(
        lessons.Cell(c.kind, c.text("solution")) for c in lesson.cells)


def test_notebooks_are_written_with_outputs_empty(tmp_path, capsys):
    from specgame.course.__main__ import main

    assert main(["notebooks", str(ROOT / "course"), "--out", str(tmp_path)]) == 0
    written = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert len(written) == 2 * len(LESSONS) and all(p.is_file() for p in written)
    with pytest.raises(SystemExit):
        main(["notebooks", str(tmp_path)])  # no lessons there: it says so
    student = json.loads((tmp_path / "notebooks" / "01_boat_loop.ipynb").read_text())
    solution = json.loads((tmp_path / "solutions" / "01_boat_loop.ipynb").read_text())
    assert student["nbformat"] == 4
    code = [c for c in student["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    text = {name: "".join("".join(c["source"]) for c in nb["cells"]) for name, nb in (("s", student), ("x", solution))}
    assert "gamer.proxy_return" in text["x"] and "gamer.proxy_return" not in text["s"]
    assert "proxy_optimal = ..." in text["s"]
    nbformat = pytest.importorskip("nbformat")
    for path in (written[0], written[1]):  # one student and one solutions notebook
        nbformat.validate(nbformat.read(path, as_version=4))


def test_jupytext_reads_the_same_cells():
    jupytext = pytest.importorskip("jupytext")
    for path in LESSONS:
        ours = lessons.read(path)
        theirs = jupytext.read(path)
        assert [c.cell_type for c in theirs.cells] == [c.kind for c in ours.cells]
        assert [c.source.strip() for c in theirs.cells] == [c.source.strip() for c in ours.cells]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebooks")
    lessons.write_notebooks(ROOT / "course", folder)
    return folder


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_lesson_runs_in_a_real_kernel(path, notebooks, monkeypatch):
    # The notebook form: each solutions notebook through nbclient, quick setting, no error.
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(notebooks / "solutions" / f"{path.stem}.ipynb", as_version=4)
    for key, value in (("SPECGAME_QUICK", "1"), ("PYTHONPATH", str(ROOT)), ("MPLBACKEND", "Agg"),
                       ("SDL_VIDEODRIVER", "dummy"), ("NUMBA_NUM_THREADS", "1")):
        monkeypatch.setenv(key, value)  # the kernel inherits them
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("✔ right" in o.get("text", "") for o in outputs if o.output_type == "stream")
    if path.stem.startswith("04"):  # the episode animation reaches the notebook as an inline GIF
        pictures = [o for o in outputs if o.output_type == "execute_result" and "text/html" in o.data]
        assert any('src="data:image/gif;base64,' in o.data["text/html"] for o in pictures)


# -- the source format -----------------------------------------------------------------------


def test_markers_cut_the_two_versions():
    cell = lessons.Cell("code", "def f(x):\n    # SOLUTION START\n    return 2 * x\n    # SOLUTION END\n"
                                "    # BLANK: return None  # your code here")
    assert cell.is_exercise
    assert cell.text("solution") == "def f(x):\n    return 2 * x"
    assert cell.text("student") == "def f(x):\n    return None  # your code here"
    with pytest.raises(ValueError, match="version must be one of"):
        cell.text("teacher")


@pytest.mark.parametrize("text, message", [
    ("# %% [raw]\nx = 1\n", "cell marker"),
    ("x = 1\n", "before the first cell marker"),
    ("# %% [markdown]\nnot a comment\n", "must start with '# '"),
    ("# %%\nx = (\n# SOLUTION START\n# SOLUTION END\n", "was never closed|invalid syntax|unexpected EOF"),
])
def test_a_malformed_lesson_is_refused(text, message):
    with pytest.raises((ValueError, SyntaxError), match=message):
        lessons.read_text("bad.py", text)


def test_a_check_that_passes_on_the_blank_is_reported():
    lesson = lessons.read_text("00_sound.py", "# %%\nfrom specgame.course import checks\n\n# %%\n"
                               "# SOLUTION START\nhidden = 1\n# SOLUTION END\n# BLANK: hidden = 1\n\n"
                               "# %%\nassert hidden == 1\n")
    with pytest.raises(AssertionError, match="passed with the blank"):
        lessons.run(lesson)


def test_run_cell_displays_the_last_expression():
    namespace = {}
    assert lessons.run_cell("x = 2\nx * 3", namespace) == 6
    assert lessons.run_cell("y = x", namespace) is None and namespace["y"] == 2


# -- checks say what is wrong ----------------------------------------------------------------


def test_checks_name_what_is_wrong():
    with pytest.raises(ExerciseError, match="q_learning_target .* should be"):
        checks.td_targets(lambda r, g, q, a: r + g * q[a], lambda r, g, q: r + g * q.mean())
    with pytest.raises(ExerciseError, match="must be a function"):
        checks.auroc(0.5)
    with pytest.raises(ExerciseError, match=r"auroc\(scores=.*should be"):
        checks.auroc(lambda scores, labels: 0.5)
    with pytest.raises(ExerciseError, match="R \\+ γ φ\\(s'\\) − φ\\(s\\)"):
        checks.shaping(lambda reward, potential, gamma: reward + potential[None, None, :] - potential[:, None, None])
    with pytest.raises(ExerciseError, match="box is stuck"):
        checks.sokoban_route([1, 3, 3, 1, 1])  # the shortest route: down pushes the box into the corner
    with pytest.raises(ExerciseError, match="raised ZeroDivisionError"):
        checks.score(lambda value, random, optimal: 1 / 0, _report())
    checks.unwatched_loss(24.0)
    with pytest.raises(ExerciseError, match="loss is 41, but it should be 24"):
        checks.unwatched_loss(41)


def _report():
    env = specgame.make("AbsentSupervisor-Absent-v0")
    return specgame.gap_report(env, solve(env.unwrapped.mdp, "proxy"), name="proxy-optimal")


# -- pictures ---------------------------------------------------------------------------------


def test_show_makes_inline_pictures():
    env = specgame.make("CliffWalking-v0")
    env.reset(seed=0)
    board = show(env)
    assert board.kind == "png" and board.data.startswith(b"\x89PNG")
    assert board._repr_html_().startswith('<img src="data:image/png;base64,')
    import imageio.v3 as iio

    frame = iio.imread(board.data)
    assert frame.shape[1] >= 12 * 16  # the board, at 16 pixels a cell, over the HUD panel
    plan = solve(env.unwrapped.mdp, "intended")
    episode = show(env, plan, fps=4)
    length = 13  # the optimal walk along the cliff
    assert episode.kind == "gif" and episode.frames == length + 1 + 4  # every step, the start, a second held
    assert env.unwrapped.steps_taken == 0  # the episode was played in a twin
    side = show({"a": (env, plan), "b": (env, "random")}, max_steps=5)
    assert side.frames == 6 + 8
    frames = [np.zeros((8, 8, 3), np.uint8)] * 4
    assert show(frames, every=2).frames == 2


@pytest.mark.parametrize("what, message", [
    (np.zeros((4, 4)), "H×W×3 uint8"),
    ([], "at least one frame"),
    ("BoatRaceLoop-v0", "got str"),
    ({}, "is empty"),
    ({"a": "BoatRaceLoop-v0"}, "an \\(env, policy\\) pair"),
])
def test_show_refuses_what_it_cannot_draw(what, message):
    with pytest.raises(ValueError, match=message):
        show(what)


def test_show_needs_a_reset_env_and_a_known_policy():
    env = specgame.make("CliffWalking-v0")
    with pytest.raises(ValueError, match="reset"):
        show(env)
    with pytest.raises(ValueError, match="policy must be one of"):
        show(env, "greedy")
    with pytest.raises(ValueError, match="fps must be in"):
        show(np.zeros((4, 4, 3), np.uint8), fps=0)


def test_the_quick_setting_comes_from_the_environment(monkeypatch):
    from specgame.course import budget, quick

    for value, expected in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("SPECGAME_QUICK", value)
        assert quick() is expected
        assert budget(1_000_000, 1_000) == (1_000 if expected else 1_000_000)
    monkeypatch.delenv("SPECGAME_QUICK")
    assert not quick()
