"""The course: lessons in ``course/`` and what they lean on.

- :func:`show`: an inline picture (a board with its HUD, an episode as a GIF, a figure);
- :mod:`specgame.course.checks`: the checks that say whether an exercise is right;
- :func:`quick` and :func:`budget`: the small setting in which every lesson runs in
  seconds (``SPECGAME_QUICK=1``, used by the tests, the one quick switch of the whole
  package: :mod:`specgame._settings`), and the full one for a class;
- :mod:`specgame.course.lessons`: the lesson sources, their student and solution
  versions, and the notebooks made from them (``python -m specgame.course``).
"""

from __future__ import annotations

from specgame._settings import budget, quick
from specgame.course.show import Picture, show

__all__ = ["Picture", "budget", "quick", "show"]
