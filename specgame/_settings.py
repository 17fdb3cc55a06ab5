"""Settings written once: a config field carries its default, its help and what it allows.

Every config dataclass (an agent's, a game's, the language model's) declares its fields
with :func:`setting`, the way TRL's configs carry ``field(metadata={"help": ...})``::

    @dataclass(frozen=True)
    class Config:
        laps: int = setting(3, "Laps that finish the race", low=1, high=12)

        def __post_init__(self):
            validate(self)  # every field, from its metadata; cross-field rules follow

From that one line :func:`validate` checks a value (with the errors of
:mod:`specgame._checks`: ``laps must be an int in [1, 12], got 0``), :func:`describe`
writes the range for help and docs (``1 to 12``), and :func:`settings_of` lists the
fields for a command line's options and ``--help``.

The quick switch lives here too: ``SPECGAME_QUICK=1`` makes every default budget the
small one (the course's lessons, the commands' training steps, ``specgame interpret``
and ``specgame lm demo``), :func:`budget` picks between the two, and ``SPECGAME_STEPS=N``
sets the commands' default training steps to exactly N.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import typing
from typing import NamedTuple

from specgame import _checks

KINDS = ("number", "int", "flag", "choice", "seed", "widths")


@dataclasses.dataclass(frozen=True)
class Allowed:
    """What a field accepts: a kind (one of :data:`KINDS`) and its bounds or choices."""

    kind: str | None  # None: any value (the field is documented, not checked)
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple | None = None
    none_ok: bool = False  # None is allowed too (the field's default is None: "not set")


def setting(default, help: str, *, low=None, high=None, low_open: bool = False, high_open: bool = False,
            choices=None, kind: str | None = None, **field_options):
    """A dataclass field with its ``default``, one-line ``help`` and what it allows, as metadata.

    ``kind`` is inferred where the default says it: ``choices`` make a choice, a bool
    default a flag, bounds on an int default an int and on a float default a number.
    Say it where the default cannot (``kind="int"`` for ``None``, ``kind="number"`` for
    any finite number, ``kind="seed"``, ``kind="widths"`` for a sequence of positive ints).
    A field whose default is None also accepts None; ``dataclasses.MISSING`` makes a field
    without a default (one the caller must give).
    """
    if kind is None:
        if choices is not None:
            kind = "choice"
        elif isinstance(default, bool):
            kind = "flag"
        elif low is not None or high is not None or low_open or high_open:
            if isinstance(default, bool) or not isinstance(default, (int, float)):
                raise TypeError(f"setting(): give kind= for bounds on a default of {default!r}")
            kind = "int" if isinstance(default, int) else "number"
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "widths" and low is None:
        low = 1
    allowed = Allowed(kind, low, high, low_open, high_open, None if choices is None else tuple(choices),
                      none_ok=default is None)
    metadata = {"help": " ".join(help.split()), "allowed": allowed}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata, **field_options)
    return dataclasses.field(default=default, metadata=metadata, **field_options)


def like(config_cls, name: str, default=dataclasses.MISSING, help: str | None = None):
    """Field ``name`` of ``config_cls`` again (its help and range), with another default or help.

    For a subclass that changes a default, or a config that passes a field on to another:
    the range stays written once, where the field was first declared.
    """
    field = config_cls.__dataclass_fields__[name]
    metadata = {**field.metadata, **({} if help is None else {"help": " ".join(help.split())})}
    return dataclasses.field(default=field.default if default is dataclasses.MISSING else default,
                             metadata=metadata)


def horizon(default: int, *, high: int = 100_000, help: str = "Step limit of an episode"):
    """The ``horizon`` field every game's ``Config`` has: the step limit, 1 to ``high``."""
    return setting(default, help, low=1, high=high)


def allowed_of(field: dataclasses.Field) -> Allowed | None:
    """What ``field`` allows, or None for a field not declared with :func:`setting`."""
    return field.metadata.get("allowed")


@functools.cache  # the fields of a class never change; configs are built often
def _checked_fields(config_cls) -> tuple:
    return tuple((f.name, allowed_of(f)) for f in dataclasses.fields(config_cls)
                 if allowed_of(f) is not None and allowed_of(f).kind is not None)


def validate(config, prefix: str = "") -> None:
    """Check every field of ``config`` against its metadata, in field order.

    Raises the one error format of :mod:`specgame._checks` (``alpha must be in (0, 1],
    got 1.5``; ``prefix`` goes before the name).  Values are kept as given, so a kernel
    sees exactly the numbers the user wrote, except that widths become tuples.
    """
    for name, allowed in _checked_fields(type(config)):
        value = getattr(config, name)
        if value is None and allowed.none_ok:
            continue
        label = prefix + name
        if allowed.kind == "number":
            low = -math.inf if allowed.low is None else allowed.low
            high = math.inf if allowed.high is None else allowed.high
            _checks.check_number(label, value, low, high, low_open=allowed.low_open, high_open=allowed.high_open)
        elif allowed.kind == "int":
            _checks.check_int(label, value, allowed.low, allowed.high)
        elif allowed.kind == "flag":
            _checks.check_flag(label, value)
        elif allowed.kind == "choice":
            _checks.check_choice(label, value, allowed.choices)
        elif allowed.kind == "seed":
            _checks.check_seed(value, label)
        elif allowed.kind == "widths":
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                _checks.fail(label, "a sequence of positive ints", value)
            widths = tuple(value)
            for width in widths:
                _checks.check_int(f"each width in {label}", width, allowed.low, allowed.high)
            object.__setattr__(config, name, widths)  # a frozen dataclass: set where it is built


def describe(field: dataclasses.Field) -> str:
    """What ``field`` allows, in words for help and docs: ``in (0, 1]``, ``≥ 1``, ``1 to 12``,
    ``one of mlp, cnn, auto``; "" for a field that allows anything."""
    allowed = allowed_of(field)
    if allowed is None or allowed.kind is None:
        return ""
    low, high = allowed.low, allowed.high
    if allowed.kind == "number":
        low = -math.inf if low is None else low
        high = math.inf if high is None else high
        if low == -math.inf and high == math.inf:
            text = "any finite number"
        elif high == math.inf:
            text = f"{'>' if allowed.low_open else '≥'} {_number(low)}"
        elif low == -math.inf:
            text = f"{'<' if allowed.high_open else '≤'} {_number(high)}"
        else:
            text = (f"in {'(' if allowed.low_open else '['}{_number(low)}, {_number(high)}"
                    f"{')' if allowed.high_open else ']'}")
    elif allowed.kind in ("int", "widths"):
        if low is not None and high is not None:
            text = f"{low} to {high}"
        elif low is not None:
            text = f"≥ {low}"
        elif high is not None:
            text = f"≤ {high}"
        else:
            text = "any int"
        if allowed.kind == "widths":
            text = "positive ints" if (low, high) == (1, None) else f"ints, each {text}"
    elif allowed.kind == "flag":
        text = "True or False"
    elif allowed.kind == "choice":
        text = "one of " + ", ".join(map(str, allowed.choices))
    else:  # a seed
        text = "0 to 2**63 - 1"
    return f"{text} or None" if allowed.none_ok else text


def _number(x: float) -> str:
    """A bound as a person writes it: 0, 1, 0.5, 1e9, inf."""
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    text = f"{x:g}"
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


class Setting(NamedTuple):
    """One field of a config: what a command line needs to offer it as an option."""

    name: str
    default: object
    type: object
    """The field's type as a Python object (``float``, ``int | None``, ``tuple[int, ...]``)."""
    help: str
    """The one-line help given to :func:`setting`."""
    range: str
    """What it allows, in words (:func:`describe`); "" when anything goes."""


def settings_of(config_cls) -> list[Setting]:
    """The fields of a config dataclass, in order, with default, type, help and range."""
    hints = typing.get_type_hints(config_cls)
    return [Setting(f.name, f.default, hints[f.name], f.metadata.get("help", ""), describe(f))
            for f in dataclasses.fields(config_cls)]


# -- the quick switch -----------------------------------------------------------------------------

QUICK_VARIABLE = "SPECGAME_QUICK"
STEPS_VARIABLE = "SPECGAME_STEPS"


def quick() -> bool:
    """Whether every default budget is the small one (``SPECGAME_QUICK`` set to anything but "" or "0")."""
    return os.environ.get(QUICK_VARIABLE, "") not in ("", "0")


def budget(full, small):
    """``small`` when :func:`quick`, ``full`` otherwise: a training budget, a number of seeds, a preset."""
    return small if quick() else full


def training_steps(full: int, small: int) -> int:
    """A command's default training steps: ``SPECGAME_STEPS`` if set, else :func:`budget` of the two.

    Raises ``ValueError`` for a ``SPECGAME_STEPS`` that is not a whole number.
    """
    given = os.environ.get(STEPS_VARIABLE)
    if given:
        try:
            return max(1, int(given))
        except ValueError:
            raise ValueError(f"{STEPS_VARIABLE} must be a whole number of steps, got {given!r}") from None
    return budget(full, small)
