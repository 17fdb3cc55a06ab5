"""Generate the site's pages at build time (run by the mkdocs-gen-files plugin).

- one page per environment family, from its class docstring (the manual), with a
  picture of every variant's start board, the exact facts of docs/env_facts.csv and a
  table of its settings (from the fields' metadata: default, range, help);
- the course: each lesson as a page (the student's code, each solution folded under it)
  and its two notebooks to download;
- the API reference: every public name of ``specgame`` and every public module, with a
  table of the settings of each config dataclass it defines;
- the navigation (SUMMARY.md, read by mkdocs-literate-nav).

Nothing here trains or solves: the pictures are drawn from the games' rules (no table is
compiled), and the numbers come from the committed facts (``python docs/gen_facts.py``).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
import sys
from collections import defaultdict
from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document this checkout, not another installed copy
sys.path.insert(0, str(ROOT / "docs"))

import gen_facts  # noqa: E402
import imageio.v3 as iio  # noqa: E402

import specgame  # noqa: E402
from specgame import _settings, grid, render  # noqa: E402
from specgame.course import lessons  # noqa: E402
from specgame.envs import ENVIRONMENTS, LARGE  # noqa: E402

# Hand-written pages, in the order of the navigation; a page another change has not added yet is left out.
PAGES = [("Home", "index.md"), ("Getting started", "getting-started.md"), ("Comparators", "comparators.md"),
         ("Architecture", "architecture.md"), ("Looking inside the gamer", "interpret.md"),
         ("A language model that games", "lm.md"), ("Goal misgeneralisation", "misgeneralisation.md")]


# -- environments ----------------------------------------------------------------------------


def families() -> dict[str, list[str]]:
    """Module name -> its registered ids (the first is the family's default)."""
    grouped = defaultdict(list)
    for name, (entry_point, _) in ENVIRONMENTS.items():
        grouped[entry_point.split(":")[0].rsplit(".", 1)[-1]].append(name)
    return dict(grouped)


def rules_of(name: str):
    """The rules module of ``name`` (nothing is compiled)."""
    cls = specgame.envs.env_class(name)
    shell = cls.__new__(cls)  # not built: building compiles the table.  Some games choose their
    shell.config = dict(ENVIRONMENTS[name][1])  # rules by their settings (Sokoban's NOOP copy), so ask an instance.
    return shell.rules


def start_board(name: str, tile_size: int = 20):
    """The most likely start of ``name``, drawn from its rules (nothing is compiled)."""
    settings = dict(ENVIRONMENTS[name][1])
    rules = rules_of(name)
    fields = {f.name for f in dataclasses.fields(rules.Config)}  # env-level switches (FriendFoe's
    config = grid.make_config(rules, **{k: v for k, v in settings.items() if k in fields})  # adaptive) aren't rules'
    _, state = max(rules.initial_states(config), key=lambda pair: pair[0])
    rows = rules.board(state, config)
    return render.caption(render.rasterise(rows, tile_size, getattr(rules, "TILES", None)), name, scale=1)


def settings_table(config_cls) -> str:
    """A config's fields as a Markdown table: name, default, what it allows, what it means (the fields' metadata)."""
    lines = ["| setting | default | allowed | meaning |", "|---|---|---|---|"]
    for setting in _settings.settings_of(config_cls):
        default = "(required)" if setting.default is dataclasses.MISSING else f"`{setting.default!r}`"
        allowed = f"`{setting.range}`" if setting.range else "any"
        lines.append(f"| `{setting.name}` | {default} | {allowed} | {setting.help.replace('|', '&#124;')} |")
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:.2f}".replace("-0.00", "0.00")


def facts_table(names: list[str], facts: dict) -> str:
    lines = ["| id | states | horizon | proxy-optimal: proxy / intended | intended-optimal: proxy / intended "
             "| random: proxy / intended | verdict on the proxy-optimal policy |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name in names:
        row = facts.get(name)
        if row is None:
            why = ("millions of states: not computed for the site; the manual below quotes the solver's numbers, "
                   f"and `specgame compare {name}` computes them" if name in LARGE else "not in docs/env_facts.csv")
            lines.append(f"| `{name}` | | | {why} | | | |")
            continue
        pairs = [f"{_number(row[f'{who}_proxy'])} / {_number(row[f'{who}_intended'])}"
                 for who in ("proxy_optimal", "intended_optimal", "random")]
        lines.append(f"| `{name}` | {row['states']:,} | {row['horizon']} | " + " | ".join(pairs)
                     + f" | {row['proxy_optimal_verdict']} |")
    return "\n".join(lines)


def environment_page(module: str, names: list[str], facts: dict) -> str:
    cls = specgame.envs.env_class(names[0])
    doc = inspect.getdoc(cls)
    title, _, manual = doc.partition("\n")
    stills = [start_board(name) for name in names]
    with mkdocs_gen_files.open(f"environments/{module}.png", "wb") as f:
        f.write(iio.imwrite("<bytes>", render.side_by_side(stills), extension=".png"))
    return "\n\n".join([
        f"# {names[0].removesuffix('-v0')}", f"*{title.strip()}*",
        f"![The start of every variant of {names[0]}]({module}.png)",
        "## Exact facts",
        "Exact expected returns over one episode, from the solver (`python docs/gen_facts.py`; "
        "`specgame compare ID` shows the same for any agent). Scores and verdicts: see "
        "[Comparators](../comparators.md).",
        facts_table(names, facts),
        "## Settings",
        f"Keyword arguments of `specgame.make(\"{names[0]}\", ...)`, and `--set NAME=VALUE` on the command line "
        "(the variants' registrations set some of them):",
        settings_table(rules_of(names[0]).Config),
        f"Make it with `specgame.make(\"{names[0]}\")`; the class is "
        f"`{cls.__module__}.{cls.__name__}` ([API](../reference/{cls.__module__.replace('.', '/')}.md)).",
        manual.strip(),
    ]) + "\n"


def environment_pages(nav: list) -> None:
    facts = gen_facts.read()
    grouped = families()
    index = ["# Environments", "Every family of environments, with its variants. Each page is the class's "
             "docstring (the manual) with a picture and the exact returns of the optimal policies.", "",
             "| family | ids | proxy-optimal: proxy / intended | intended-optimal: proxy / intended |",
             "|---|---|---:|---:|"]
    nav.append("* [Environments](environments/index.md)")
    for module, names in grouped.items():
        with mkdocs_gen_files.open(f"environments/{module}.md", "w") as f:
            f.write(environment_page(module, names, facts))
        row = facts.get(names[0]) or next((facts[n] for n in names if n in facts), None)
        numbers = ["", ""] if row is None else [
            f"{_number(row[f'{who}_proxy'])} / {_number(row[f'{who}_intended'])}"
            for who in ("proxy_optimal", "intended_optimal")]
        label = names[0].removesuffix("-v0")
        index.append(f"| [{label}]({module}.md) | {', '.join(f'`{n}`' for n in names)} | " + " | ".join(numbers) + " |")
        nav.append(f"    * [{label}](environments/{module}.md)")
    index.append("\nThe numbers are those of the first id in each row that has them; every variant is on its page.")
    with mkdocs_gen_files.open("environments/index.md", "w") as f:
        f.write("\n".join(index) + "\n")


# -- the course ------------------------------------------------------------------------------


def course_pages(nav: list) -> None:
    found = lessons.lessons(ROOT / "course")
    nav.append("* [Course](course/index.md)")
    index = ["# The course", "Lessons as Jupyter notebooks, each with exercises and checks. The source of each "
             "lesson is a plain-text file in `course/` (jupytext's percent format); the notebooks are made from it.",
             "", "- Locally: `pip install -e \".[course]\" && jupyter lab course/`, then open a lesson's `.py` "
             "as a notebook (right-click, Open With, Jupytext Notebook); or `python -m specgame.course notebooks` "
             "writes `course/notebooks/` (for students) and `course/solutions/`.",
             "- In a hosted notebook service (Colab, Kaggle): download a lesson's notebook from its page, upload "
             "it, and run `%pip install \"git+URL\"` with your clone's URL in a first cell.",
             "- Quick setting: `SPECGAME_QUICK=1` runs every lesson in seconds (the tests use it).", ""]
    for lesson in found:
        page = f"course/{lesson.name}.md"
        links = (f"Download: [student notebook](notebooks/{lesson.name}.ipynb) · "
                 f"[solutions notebook](solutions/{lesson.name}.ipynb) · source `course/{lesson.name}.py`")
        with mkdocs_gen_files.open(page, "w") as f:
            f.write(_with_links(lesson.to_markdown(), links))
        for version, sub in (("student", "notebooks"), ("solution", "solutions")):
            with mkdocs_gen_files.open(f"course/{sub}/{lesson.name}.ipynb", "w") as f:
                json.dump(lesson.to_notebook(version), f, indent=1, ensure_ascii=False)
        index.append(f"1. [{lesson.title}]({lesson.name}.md)")
        nav.append(f"    * [{lesson.title}]({page})")
    with mkdocs_gen_files.open("course/index.md", "w") as f:
        f.write("\n".join(index) + "\n")


def _with_links(markdown: str, links: str) -> str:
    """The download links under the lesson's title."""
    title, _, rest = markdown.partition("\n")
    return f"{title}\n\n{links}\n{rest}"


# -- the API reference -----------------------------------------------------------------------


def public_modules() -> list[str]:
    """Every module of specgame whose dotted name has no part starting with an underscore."""
    names = ["specgame"]
    for info in pkgutil.walk_packages(specgame.__path__, "specgame."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def defining_module(name: str) -> str:
    """Where a public name of ``specgame`` is defined (the lazy names are imported on first use)."""
    value = getattr(specgame, name)
    if inspect.ismodule(value):  # `specgame.solve` the function shares its name with its module
        value = getattr(value, name)
    if not hasattr(value, "__qualname__"):  # a constant (AGENTS): named by the module that defines it
        return f"{specgame._LAZY[name]}.{name}"
    return f"{value.__module__}.{value.__qualname__}"


def config_classes(module: str) -> list:
    """The config dataclasses ``module`` defines: those whose fields carry their help (``_settings.setting``)."""
    try:
        namespace = vars(importlib.import_module(module))
    except ImportError:  # torch (the dqn extra) is not needed to build the site: its modules keep the API part
        return []
    return [value for value in namespace.values()
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module
            and any("help" in field.metadata for field in dataclasses.fields(value))]


def reference_pages(nav: list) -> None:
    nav.append("* [API reference](reference/index.md)")
    index = ["# API reference", "", "## The public API: `import specgame`", "",
             f"`specgame.__version__` is `{specgame.__version__}`. The other names, where they are defined:", ""]
    for name in sorted(n for n in specgame.__all__ if n != "__version__"):
        if name in ("DQN", "DQNConfig"):
            target = f"specgame.agents.dqn.{name}"  # torch is optional: not imported to find it
        else:
            target = defining_module(name)
        # An autorefs link: mkdocstrings resolves it to the object's entry, and --strict fails if it cannot.
        index.append(f"- `specgame.{name}`: [`{target}`][{target}]")
    index += ["", "## Modules", ""]
    for module in public_modules():
        path = f"reference/{module.replace('.', '/')}.md"
        with mkdocs_gen_files.open(path, "w") as f:
            f.write(f"# `{module}`\n\n::: {module}\n" + "".join(
                f"\n## Settings of `{cls.__name__}`\n\n{settings_table(cls)}\n" for cls in config_classes(module)))
        index.append(f"- [`{module}`]({module.replace('.', '/')}.md)")
        nav.append(f"    * [{module}]({path})")
    with mkdocs_gen_files.open("reference/index.md", "w") as f:
        f.write("\n".join(index) + "\n")


def main() -> None:
    docs = ROOT / "docs"
    nav: list[str] = []
    for title, page in PAGES[:3]:
        nav.append(f"* [{title}]({page})")
    environment_pages(nav)
    for title, page in PAGES[3:]:
        if (docs / page).exists():
            nav.append(f"* [{title}]({page})")
    course_pages(nav)
    reference_pages(nav)
    with mkdocs_gen_files.open("SUMMARY.md", "w") as f:
        f.write("\n".join(nav) + "\n")


main()
