"""The documentation site: its committed facts agree with the solver, and `mkdocs build --strict`
makes a page for every environment family and reference documentation for every public name."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import specgame
from specgame.envs import ENVIRONMENTS

ROOT = Path(__file__).resolve().parent.parent
SMALL = 1_000  # states: rows this small are recomputed here in well under a second each


def _gen_facts():
    spec = importlib.util.spec_from_file_location("gen_facts", ROOT / "docs" / "gen_facts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_facts = _gen_facts()
FACTS = gen_facts.read()


def test_every_environment_but_the_large_ones_has_facts():
    assert set(FACTS) == {env_id.split("/")[-1] for env_id in specgame.list_envs(skip_large=True, tables_only=True)}


@pytest.mark.parametrize("name", [n for n, row in FACTS.items() if row["states"] <= SMALL])
def test_the_committed_facts_are_the_solvers(name):
    row = gen_facts.facts(name)
    committed = FACTS[name]
    assert row["states"] == committed["states"] and row["horizon"] == committed["horizon"]
    assert row["proxy_optimal_verdict"] == committed["proxy_optimal_verdict"]
    for key in gen_facts.COLUMNS[3:-1]:
        assert row[key] == pytest.approx(committed[key], abs=1e-4), key


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocs_gen_files")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "SDL_VIDEODRIVER": "dummy",
           "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]

    # One page per environment family, with its picture and its facts.
    modules = {entry.split(":")[0].rsplit(".", 1)[-1] for entry, _ in ENVIRONMENTS.values()}
    for module in modules:
        page = (site / "environments" / module / "index.html").read_text()
        assert f'src="../{module}.png"' in page and (site / "environments" / f"{module}.png").stat().st_size > 0
        assert "Exact facts" in page and "Proxy reward" in page and "Intended objective" in page
    boat = (site / "environments" / "boat_race_loop" / "index.html").read_text()
    assert "45.01 / 0.00" in boat and "12.00 / 3.40" in boat  # the loop's facts, as the solver gives them

    # Every public name of `specgame` has rendered reference documentation.
    index = (site / "reference" / "index.html").read_text()
    for name in specgame.__all__:
        if name == "__version__":
            continue
        match = re.search(rf'<code>specgame\.{name}</code>: <a [^>]*href="([^"#]+)#([\w.]+)"', index)
        assert match, name
        page = (site / "reference" / match.group(1)).resolve() / "index.html"
        assert f'id="{match.group(2)}"' in page.read_text(), (name, match.group(2))

    # Every lesson is a page, with its notebooks to download.
    for lesson in sorted((ROOT / "course").glob("[0-9][0-9]_*.py")):
        assert (site / "course" / lesson.stem / "index.html").is_file()
        assert (site / "course" / "notebooks" / f"{lesson.stem}.ipynb").is_file()
        assert (site / "course" / "solutions" / f"{lesson.stem}.ipynb").is_file()
