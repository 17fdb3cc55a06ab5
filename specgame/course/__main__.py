"""The course's command: write the notebooks, or check that lessons run and their exercises are sound.

    python -m specgame.course notebooks [FOLDER] [--out OUT]   # OUT/notebooks/ and OUT/solutions/
    python -m specgame.course check LESSON.py [LESSON.py ...]  # run start to finish, blanks checked

``check`` runs each lesson as a notebook would (one namespace, cell by cell, the last
expression of a cell displayed), first with each exercise blank (its check must say what
is wrong), then solved (its check must pass).  Set ``SPECGAME_QUICK=1`` for the quick
setting.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

from specgame.course.lessons import lessons, read, run, write_notebooks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specgame.course", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    notebooks = commands.add_parser("notebooks", help="write student and solution notebooks")
    notebooks.add_argument("folder", nargs="?", type=Path, default=Path("course"), help="the lesson sources")
    notebooks.add_argument("--out", type=Path, help="where the notebooks go (default: FOLDER)")
    check = commands.add_parser("check", help="run lessons start to finish and check their exercises")
    check.add_argument("lessons", nargs="+", type=Path)
    check.add_argument("--verbose", action="store_true", help="show the lessons' own output")
    args = parser.parse_args(argv)

    if args.command == "notebooks":
        if not lessons(args.folder):
            parser.error(f"{args.folder} holds no lessons (files named NN_name.py); run this from a clone")
        for path in write_notebooks(args.folder, args.out):
            print(path)
        return 0
    for path in args.lessons:
        lesson = read(path)
        started = time.perf_counter()
        output = io.StringIO()
        with contextlib.redirect_stdout(sys.stdout if args.verbose else output):
            result = run(lesson)
        print(f"{lesson.name}: ran start to finish in {time.perf_counter() - started:.1f} s; "
              f"{len(result.blank_messages)} exercises, each check failed on the blank and passed solved")
        for index, message in result.blank_messages.items():
            print(f"  cell {index}, blank: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
