"""What the example scripts share: their command line and a polite skip for missing envs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # the examples draw to files, never to a screen


def arguments(doc: str, name: str, argv=None, writes: bool = True) -> argparse.Namespace:
    """``--quick`` (a small budget: seconds, for a class or CI; ``SPECGAME_QUICK=1`` says the
    same, as for every command and lesson) and ``--out`` (where files go).

    The folder is made only for a script that ``writes`` files, so none is left empty.
    """
    from specgame._settings import quick

    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=quick(),
                        help="a small training budget (seconds); SPECGAME_QUICK=1 does the same")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"folder for pictures (default runs/examples/{name})" if writes else argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.default_out = args.out is None
    args.out = args.out or Path("runs/examples") / name
    if writes:
        args.out.mkdir(parents=True, exist_ok=True)
    return args


def registered(env_id: str) -> bool:
    """Whether this specgame has ``env_id``; says so and why the example stops when it has not."""
    import specgame

    if env_id in specgame.list_envs():
        return True
    print(f"skipped: {env_id} is not registered in this version of specgame")
    return False
