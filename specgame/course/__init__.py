"""The course: lessons in ``course/`` and what they lean on.

- :func:`show`: an inline picture (a board with its HUD, an episode as a GIF, a figure);
- :mod:`specgame.course.checks`: the checks that say whether an exercise is right;
- :func:`quick` and :func:`budget`: the small setting in which every lesson runs in
  seconds (``SPECGAME_QUICK=1``, used by the tests), and the full one for a class;
- :mod:`specgame.course.lessons`: the lesson sources, their student and solution
  versions, and the notebooks made from them (``python -m specgame.course``).
"""

from __future__ import annotations

import os

from specgame.course.show import Picture, show

QUICK_VARIABLE = "SPECGAME_QUICK"


def quick() -> bool:
    """Whether the lessons run in their quick setting (``SPECGAME_QUICK`` set to anything but "" or "0")."""
    return os.environ.get(QUICK_VARIABLE, "") not in ("", "0")


def budget(full, small):
    """``small`` in the quick setting, ``full`` otherwise: a training budget, a number of seeds."""
    return small if quick() else full


__all__ = ["Picture", "budget", "quick", "show"]
