"""Which key plays which action: one table for `specgame play` and for Gymnasium's ``play``.

Keys are named as pygame names them ("up", "w", "space", "1"); moves get arrows, WASD and
hjkl, the no-op gets space and ".", and every action also gets its number key (1-9), so games
with other actions (a button, "stay") are playable too.
"""

from __future__ import annotations

MOVE_KEYS = {"up": ("up", "w", "k"), "down": ("down", "s", "j"), "left": ("left", "a", "h"),
             "right": ("right", "d", "l"), "noop": ("space", ".")}

# pygame's codes for the named keys that are not one character (a character's code is its ord)
NAMED_CODES = {"up": 1073741906, "down": 1073741905, "left": 1073741904, "right": 1073741903, "space": 32}


def keymap(action_names) -> dict[str, int]:
    """Key name -> action: arrows / WASD / hjkl for moves, space for no-op, digits for the rest."""
    keys = {}
    for action, name in enumerate(action_names):
        for key in MOVE_KEYS.get(name, ()):
            keys[key] = action
        if action < 9:
            keys.setdefault(str(action + 1), action)
    return keys


def key_codes(action_names) -> dict[tuple[int], int]:
    """The same table as :func:`keymap` in the form ``gymnasium.utils.play.play`` takes: a tuple of
    pygame key codes (one key each) -> action."""
    return {(NAMED_CODES[key] if len(key) > 1 else ord(key),): action for key, action in keymap(action_names).items()}
