"""Checks for values entering the library, with one error format.

Every check raises ``ValueError("NAME must be ALLOWED, got VALUE")`` where the value
enters (a constructor, a public function), never deep inside a kernel, and returns the
value in the plain Python type the caller should keep.
"""

from __future__ import annotations

import difflib
import math
import numbers
from typing import NoReturn


def fail(name: str, allowed: str, value) -> NoReturn:
    """Raise the one error format: ``NAME must be ALLOWED, got VALUE``."""
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def did_you_mean(name: str, known) -> str:
    """`` (did you mean 'X'?)`` for the closest of ``known`` to a misspelt ``name``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """A finite real number (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float (found by fuzzing: q0=-2**63-1)
        return False


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """An int in [low, high] (either bound may be None)."""
    if low is not None and high is not None:
        allowed = f"an int in [{low}, {high}]"
    elif low is not None:
        allowed = "a positive int" if low == 1 else f"an int ≥ {low}"
    elif high is not None:
        allowed = f"an int ≤ {high}"
    else:
        allowed = "an int"
    if not is_int(value) or (low is not None and value < low) or (high is not None and value > high):
        fail(name, allowed, value)
    return int(value)


def check_number(name: str, value, low: float = -math.inf, high: float = math.inf, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number in the interval from ``low`` to ``high`` (closed unless told)."""
    real = is_real(value)  # first: a string or None cannot be compared with the bounds
    above = real and (low < value if low_open else low <= value)
    below = real and (value < high if high_open else value <= high)
    if not (above and below):
        if low == -math.inf and high == math.inf:
            allowed = "a finite number"
        else:
            allowed = f"in {'(' if low_open else '['}{_bound(low)}, {_bound(high)}{')' if high_open else ']'}"
        fail(name, allowed, value)
    return float(value)


def _bound(x: float) -> str:
    if x == math.inf:
        return "inf"
    if x == -math.inf:
        return "-inf"
    return f"{x:g}" if isinstance(x, float) else str(x)


def check_probability(name: str, value) -> float:
    return check_number(name, value, 0.0, 1.0)


def check_gamma(gamma, name: str = "gamma") -> float:
    """A discount factor in (0, 1]."""
    return check_number(name, gamma, 0.0, 1.0, low_open=True)


def check_flag(name: str, value) -> bool:
    if not isinstance(value, bool) and type(value).__name__ != "bool_":  # numpy's bool too
        fail(name, "True or False", value)
    return bool(value)


def check_choice(name: str, value, choices):
    """One of ``choices`` (compared with ==); the error lists them."""
    if value not in tuple(choices):
        fail(name, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_seed(seed, name: str = "seed") -> int:
    """A seed: an int in [0, 2**63)."""
    if not is_int(seed) or not 0 <= seed < 2**63:
        fail(name, "an int in [0, 2**63)", seed)
    return int(seed)
