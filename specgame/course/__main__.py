"""``python -m specgame.course [FOLDER] [--out OUT]``: write the lessons' notebooks.

Student notebooks go to ``OUT/notebooks/``, solutions to ``OUT/solutions/`` (OUT defaults
to FOLDER, which defaults to ``course``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from specgame.course.lessons import lessons, write_notebooks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specgame.course", description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path("course"), help="where the lesson sources are")
    parser.add_argument("--out", type=Path, help="where the notebooks go (default: FOLDER)")
    args = parser.parse_args(argv)
    if not lessons(args.folder):
        parser.error(f"{args.folder} holds no lessons (files named NN_name.py); run this from a clone")
    for path in write_notebooks(args.folder, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
