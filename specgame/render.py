"""Pictures of boards: tiles, a heads-up display, overlays, ANSI text and a lazy pygame window.

``rgb_array`` frames are pure numpy from a per-character tile cache (the sprites are in
:mod:`specgame._sprites`), so they work on any machine; pygame is imported only when a
window is asked for.

A board character looks like its entry in the game's look (the rules' ``TILES``, kept with
the table as ``mdp.tiles``: pass it as ``tiles``), else like its generic entry in
:data:`TILES` below, else like itself (a letter).  An entry is ``(ground, glyph, colour)``: the ground and the
colour are names from :data:`INK` (water, lagoon and land grounds are textured), the glyph a
name from :data:`GLYPHS` (``"boat"``, ``"tomato"``, ``"bucket"``, …) or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from specgame import _checks, _sprites
from specgame._sprites import GLYPHS, INK, paint_tile, text

__all__ = [
    "GLYPHS",
    "INK",
    "TILES",
    "Hud",
    "Window",
    "ansi",
    "caption",
    "cell_states",
    "cell_totals",
    "hud_panel",
    "policy_arrows",
    "rasterise",
    "side_by_side",
    "text_page",
    "tile",
    "typical_states",
    "value_heatmap",
    "visitation_heat",
    "with_hud",
]

# The generic look of the characters most games share; everything else is the game's own
# (its rules' TILES, kept with the compiled table as ``mdp.tiles``).
TILES = {
    " ": ("floor", None, None),
    "#": ("land", None, None),
    "A": ("floor", "agent", "blue"),
}
FALLBACK = ("floor", "letter", "dark")  # an unknown character is drawn as itself


def tile(char: str, size: int, tiles=None) -> np.ndarray:
    """The ``size``×``size``×3 picture of one board character (cached; do not modify it)."""
    spec = (tiles or {}).get(char) or TILES.get(char) or FALLBACK
    return _tile(char, int(size), tuple(spec))


@lru_cache(maxsize=4096)
def _tile(char: str, size: int, spec: tuple) -> np.ndarray:
    picture = paint_tile(char, size, spec)
    picture.setflags(write=False)
    return picture


def rasterise(rows, tile_size: int = 32, tiles=None) -> np.ndarray:
    """An H*tile x W*tile x 3 uint8 picture of a board given as rows of characters."""
    _checks.check_int("tile_size", tile_size, 4)
    height, width = len(rows), len(rows[0])
    frame = np.empty((height * tile_size, width * tile_size, 3), dtype=np.uint8)
    for r, line in enumerate(rows):
        for c, char in enumerate(line):
            frame[r * tile_size:(r + 1) * tile_size, c * tile_size:(c + 1) * tile_size] = tile(char, tile_size, tiles)
    return frame


# -- the heads-up display ------------------------------------------------------------------------

PANEL = (24, 26, 34)
LIGHT, DIM = (236, 236, 236), (150, 154, 166)
PROXY_INK, INTENDED_INK, GAP_INK = (250, 196, 40), (96, 206, 116), (240, 96, 80)
MIN_WIDTH = 360  # narrower boards are centred on a panel this wide, so the numbers fit


@dataclass(frozen=True)
class Hud:
    """What the heads-up display shows: the episode so far, in both rewards.

    ``proxy_best`` and ``intended_best`` (optional, e.g. the optimal returns) scale the bars
    under the numbers, so two agents side by side can be seen racing.
    """

    step: int
    proxy_return: float
    intended_return: float
    horizon: int | None = None
    title: str = ""
    note: str = ""
    proxy_best: float | None = None
    intended_best: float | None = None

    @property
    def gap(self) -> float:
        return self.proxy_return - self.intended_return

    def texts(self) -> dict:
        """The strings the panel draws, by field."""
        step = f"STEP {self.step}" + (f"/{self.horizon}" if self.horizon else "")
        return {"title": self.title.upper(), "step": step, "note": self.note.upper(),
                "proxy": _number(self.proxy_return), "intended": _number(self.intended_return),
                "gap": _number(self.gap, signed=True)}


def _number(value: float, signed: bool = False) -> str:
    value = 0.0 if abs(value) < 5e-3 else float(value)  # no "-0.00"
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e6:
        body = f"{value:+.0f}" if signed else f"{value:.0f}"
    else:
        body = f"{value:+.2f}" if signed else f"{value:.2f}"
    return body


def _stamp(canvas: np.ndarray, x: int, y: int, bitmap: np.ndarray, rgb) -> None:
    """Paint the True pixels of ``bitmap`` at (x, y), clipped to the canvas."""
    if x < 0 or y < 0:  # a note wider than a small frame: drop the columns left of the edge
        bitmap, x, y = bitmap[max(0, -y):, max(0, -x):], max(0, x), max(0, y)
    h, w = bitmap.shape
    h, w = min(h, canvas.shape[0] - y), min(w, canvas.shape[1] - x)
    if h > 0 and w > 0:
        canvas[y:y + h, x:x + w][bitmap[:h, :w]] = rgb


def hud_panel(width: int, hud: Hud, scale: int = 2) -> np.ndarray:
    """A ``width``-pixel-wide strip showing step, proxy return, intended return and the gap."""
    texts = hud.texts()
    pad, line = 4 * scale, 7 * scale
    big = scale + 1
    has_bars = hud.proxy_best is not None or hud.intended_best is not None
    height = pad + line + 3 * scale + line + 2 * scale + 7 * big + (4 * scale if has_bars else 0) + pad
    panel = np.empty((height, width, 3), dtype=np.uint8)
    panel[:] = PANEL
    y = pad
    _stamp(panel, pad, y, text(texts["title"] or texts["step"], scale), LIGHT)
    right = text(texts["step"] if texts["title"] else texts["note"], scale)
    _stamp(panel, width - pad - right.shape[1], y, right, DIM)
    if texts["title"] and texts["note"]:
        note = text(texts["note"], scale)
        _stamp(panel, width - pad - right.shape[1] - note.shape[1] - 4 * scale, y, note, PROXY_INK)
    y += line + 3 * scale
    column = (width - 2 * pad) // 3
    gap_ink = GAP_INK if hud.gap > 1e-9 else DIM
    columns = (("PROXY", texts["proxy"], PROXY_INK, hud.proxy_return, hud.proxy_best),
               ("INTENDED", texts["intended"], INTENDED_INK, hud.intended_return, hud.intended_best),
               ("GAP", texts["gap"], gap_ink, None, None))
    for i, (label, value, ink, amount, best) in enumerate(columns):
        x = pad + i * column
        _stamp(panel, x, y, text(label, scale), ink)
        _stamp(panel, x, y + line + 2 * scale, text(value, big), LIGHT)
        if has_bars and best is not None:
            bar_y = y + line + 2 * scale + 7 * big + 2 * scale
            length = column - 3 * scale
            panel[bar_y:bar_y + 2 * scale, x:x + length] = (52, 56, 68)
            if best > 0:
                filled = round(length * min(max(amount / best, 0.0), 1.0))
                panel[bar_y:bar_y + 2 * scale, x:x + filled] = ink
    return panel


def with_hud(frame: np.ndarray, hud: Hud) -> np.ndarray:
    """The board picture above its heads-up display (boards narrower than MIN_WIDTH are centred)."""
    height, width = frame.shape[:2]
    total = max(width, MIN_WIDTH)
    board = np.empty((height, total, 3), dtype=np.uint8)
    board[:] = PANEL
    left = (total - width) // 2
    board[:, left:left + width] = frame
    return np.concatenate([board, hud_panel(total, hud)], axis=0)


def caption(frame: np.ndarray, words: str, scale: int = 2) -> np.ndarray:
    """The picture with a one-line title strip above it (for stills, where a HUD says nothing).
    The text shrinks to fit narrow pictures."""
    while scale > 1 and 6 * scale * len(words) + 8 * scale > frame.shape[1]:
        scale -= 1
    height = 11 * scale
    strip = np.empty((height, frame.shape[1], 3), dtype=np.uint8)
    strip[:] = PANEL
    _stamp(strip, 4 * scale, 2 * scale, text(words.upper(), scale), LIGHT)
    return np.concatenate([strip, frame], axis=0)


def text_page(runs, columns: int, rows: int, scale: int = 2) -> np.ndarray:
    """A page of text on the panel colour, ``rows`` lines of ``columns`` characters (a fixed size,
    so that every frame of a video is alike).

    ``runs`` are ``(text, ink, underline)``: the text (with its leading space, if it has one),
    its colour, and the colour of a line under it (``None``: no line).  Lines break between
    runs, never inside one (a run wider than the page is cut); a page too short for its text
    shows the last ``rows`` lines, so the newest words stay in view.
    """
    _checks.check_int("columns", columns, 1)
    _checks.check_int("rows", rows, 1)
    _checks.check_int("scale", scale, 1)
    lines: list[list] = [[]]
    used = 0
    for words, ink, underline in runs:
        if used + len(words) > columns and used > 0:
            lines.append([])
            words, used = words.lstrip(" "), 0
        words = words[:columns]
        lines[-1].append((used, words, ink, underline))
        used += len(words)
    pad, advance, line = 4 * scale, 6 * scale, 11 * scale
    page = np.empty((2 * pad + rows * line - 4 * scale, 2 * pad + columns * advance - scale, 3), dtype=np.uint8)
    page[:] = PANEL
    for r, placed in enumerate(lines[-rows:]):
        y = pad + r * line
        for at, words, ink, underline in placed:
            x = pad + at * advance
            _stamp(page, x, y, text(words, scale), ink)
            if underline is not None:
                start = x + advance * (len(words) - len(words.lstrip(" ")))  # not under the leading space
                page[y + 8 * scale:y + 9 * scale, start:x + len(words) * advance - scale] = underline
    return page


def side_by_side(frames, gap: int = 8) -> np.ndarray:
    """Frames next to each other, top-aligned on the panel colour, ``gap`` pixels apart."""
    frames = list(frames)
    height = max(f.shape[0] for f in frames)
    width = sum(f.shape[1] for f in frames) + gap * (len(frames) - 1)
    out = np.empty((height, width, 3), dtype=np.uint8)
    out[:] = (12, 13, 18)
    x = 0
    for f in frames:
        out[:f.shape[0], x:x + f.shape[1]] = f
        x += f.shape[1] + gap
    return out


# -- overlays: values, policies and visits drawn over a board ------------------------------------

# Colour ramps sampled at evenly spaced points (perceptually ordered, dark to bright).
VALUE_RAMP = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], float)
HEAT_RAMP = np.array([(20, 10, 40), (100, 20, 110), (190, 55, 84), (249, 142, 9), (252, 255, 164)], float)


def _ramp(fractions: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    position = np.clip(fractions, 0, 1) * (len(anchors) - 1)
    low = np.minimum(np.floor(position).astype(int), len(anchors) - 2)
    weight = (position - low)[..., None]
    return anchors[low] * (1 - weight) + anchors[low + 1] * weight


def _check_cells(rows, values, name):
    values = np.asarray(values)
    if values.shape != (len(rows), len(rows[0])):
        raise ValueError(f"{name} must have the board's shape {(len(rows), len(rows[0]))}, got {values.shape}")
    return values


def _tint(rows, fractions, anchors, tile_size, tiles, alpha) -> np.ndarray:
    frame = rasterise(rows, tile_size, tiles).astype(float)
    colours = _ramp(np.nan_to_num(fractions), anchors)
    cell = np.repeat(np.repeat(colours, tile_size, axis=0), tile_size, axis=1)
    known = np.repeat(np.repeat(~np.isnan(fractions), tile_size, axis=0), tile_size, axis=1)
    frame[known] = frame[known] * (1 - alpha) + cell[known] * alpha
    return frame.astype(np.uint8)


def value_heatmap(rows, values, tile_size: int = 32, tiles=None, alpha: float = 0.65,
                  label: bool = True) -> np.ndarray:
    """The board with each cell tinted by ``values`` [H, W] (NaN: left as it is), e.g. max Q.

    Colours run from dark purple (the lowest value shown) to yellow (the highest); with
    ``label`` and tiles of 24 pixels or more, each cell also carries its value.
    """
    values = _check_cells(rows, values, "values").astype(float)
    finite = values[~np.isnan(values)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    frame = _tint(rows, (values - low) / (high - low if high > low else 1.0), VALUE_RAMP, tile_size, tiles, alpha)
    if label and tile_size >= 24:
        for r, c in zip(*np.nonzero(~np.isnan(values))):
            bitmap = text(f"{values[r, c]:.0f}" if abs(values[r, c]) >= 10 else f"{values[r, c]:.1f}", 1)
            if bitmap.shape[1] <= tile_size - 2:
                x = c * tile_size + (tile_size - bitmap.shape[1]) // 2
                y = r * tile_size + tile_size - 9
                _stamp(frame, x + 1, y + 1, bitmap, (0, 0, 0))
                _stamp(frame, x, y, bitmap, (255, 255, 255))
    return frame


def visitation_heat(rows, visits, tile_size: int = 32, tiles=None, log: bool = True,
                    alpha: float = 0.7) -> np.ndarray:
    """The board with cells glowing by how often they are visited (``visits`` [H, W]; 0 = untinted)."""
    visits = _check_cells(rows, visits, "visits").astype(float)
    if (visits < 0).any():
        raise ValueError("visits must be non-negative")
    scaled = np.log1p(visits) if log else visits
    top = scaled.max() if scaled.max() > 0 else 1.0
    fractions = np.where(visits > 0, scaled / top, np.nan)
    return _tint(rows, fractions, HEAT_RAMP, tile_size, tiles, alpha)


ARROW_DIRECTIONS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


def policy_arrows(rows, actions, action_names, tile_size: int = 32, tiles=None, frame=None,
                  rgb=(255, 255, 255)) -> np.ndarray:
    """The board (or ``frame``) with an arrow in each cell for its action (``actions`` [H, W],
    -1 for none).  Moves named up/down/left/right get arrows, any other action a dot."""
    actions = _check_cells(rows, actions, "actions").astype(int)
    if actions.max(initial=-1) >= len(action_names):
        raise ValueError(f"actions must be -1 or in [0, {len(action_names)}), got {actions.max()}")
    frame = rasterise(rows, tile_size, tiles) if frame is None else frame.copy()
    sprite = {a: _arrow_mask(name, tile_size) for a, name in enumerate(action_names)}
    for r, c in zip(*np.nonzero(actions >= 0)):
        mask, rim = sprite[int(actions[r, c])]
        cell = frame[r * tile_size:(r + 1) * tile_size, c * tile_size:(c + 1) * tile_size]
        cell[rim] = (20, 20, 28)
        cell[mask] = rgb
    return frame


@lru_cache(maxsize=64)
def _arrow_mask(name: str, size: int):
    n = np.arange(size) + 0.5
    y, x = np.meshgrid(n / size * 2 - 1, n / size * 2 - 1, indexing="ij")
    if name in ARROW_DIRECTIONS:
        dx, dy = ARROW_DIRECTIONS[name]
        along, across = x * dx + y * dy, x * dy - y * dx  # coordinates along the arrow and across it
        head = (along > 0.05) & (along < 0.6) & (np.abs(across) < (0.6 - along) * 0.8)
        shaft = (along > -0.55) & (along <= 0.1) & (np.abs(across) < 0.1)
        mask = head | shaft
    else:
        mask = x**2 + y**2 < 0.06
    rim = np.zeros_like(mask)
    for shift_y in (-1, 0, 1):  # a one-pixel dark rim keeps white arrows visible on light ground
        for shift_x in (-1, 0, 1):
            rim |= np.roll(np.roll(mask, shift_y, 0), shift_x, 1)
    return mask, rim & ~mask


def cell_states(mdp, like: int) -> np.ndarray:
    """For each board cell, the state that equals state ``like`` except for where the agent
    stands (``row`` and ``col`` fields); -1 where there is none.  int64 [H, W].

    Use it to draw one slice of a policy or value table: "everything as it is now, with
    the agent at this cell"."""
    row, col, rest = _position_fields(mdp)
    height, width = mdp.boards.shape[1:]
    grid = np.full((height, width), -1, dtype=np.int64)
    same = (mdp.states[:, rest] == mdp.states[like, rest]).all(axis=1)
    for s in np.flatnonzero(same):
        r, c = mdp.states[s, row], mdp.states[s, col]
        if 0 <= r < height and 0 <= c < width and grid[r, c] < 0:
            grid[r, c] = s
    return grid


def typical_states(mdp, weights) -> np.ndarray:
    """For each board cell, the state with the most ``weights`` (e.g. expected visits under a
    policy) among those with the agent there; -1 where no state has weight.  int64 [H, W]."""
    row, col, _ = _position_fields(mdp)
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (mdp.n_states,):
        raise ValueError(f"weights must have one value per state ({mdp.n_states}), got {weights.shape}")
    height, width = mdp.boards.shape[1:]
    grid = np.full((height, width), -1, dtype=np.int64)
    best = np.zeros((height, width))
    for s in np.flatnonzero(weights > 0):
        r, c = mdp.states[s, row], mdp.states[s, col]
        if weights[s] > best[r, c]:
            best[r, c], grid[r, c] = weights[s], s
    return grid


def cell_totals(mdp, per_state) -> np.ndarray:
    """``per_state`` [S] summed over the states at each board cell (e.g. expected visits)."""
    row, col, _ = _position_fields(mdp)
    per_state = np.asarray(per_state, dtype=float)
    if per_state.shape != (mdp.n_states,):
        raise ValueError(f"per_state must have one value per state ({mdp.n_states}), got {per_state.shape}")
    height, width = mdp.boards.shape[1:]
    totals = np.zeros((height, width))
    np.add.at(totals, (mdp.states[:, row], mdp.states[:, col]), per_state)
    return totals


def _position_fields(mdp):
    fields = list(mdp.state_fields)
    if mdp.states is None or mdp.boards is None or "row" not in fields or "col" not in fields:
        raise ValueError(f"{mdp.name} has no agent position (state fields {tuple(fields)}); "
                         "cell overlays need 'row' and 'col' fields and boards")
    row, col = fields.index("row"), fields.index("col")
    return row, col, [i for i in range(len(fields)) if i not in (row, col)]


# -- text ---------------------------------------------------------------------------------------

def ansi(rows, colour: bool = False, tiles=None) -> str:
    """The board as text; with ``colour``, each character in its look's colour (24-bit ANSI)."""
    if not colour:
        return "\n".join(rows)
    return "\n".join("".join(f"{_ansi_ink(ch, tiles)}{ch}\x1b[0m" for ch in line) for line in rows)


def _ansi_ink(char: str, tiles) -> str:
    ground, glyph, ink = (tiles or {}).get(char) or TILES.get(char) or FALLBACK
    r, g, b = (int(v) for v in _sprites.colour(ink if glyph is not None and ink is not None else ground))
    return f"\x1b[38;2;{r};{g};{b}m"


# -- the window ---------------------------------------------------------------------------------


class Window:
    """A pygame window that shows frames; keys pressed while it is open are collected.

    pygame is imported here, on first use, and only its display is initialised.
    ``close()`` may be called any number of times.
    """

    def __init__(self, title: str, fps: float):
        import pygame  # only a window needs pygame

        self.pygame = pygame
        pygame.display.init()
        pygame.display.set_caption(title)
        self.fps = fps
        self.clock = pygame.time.Clock()
        self.screen = None
        self.closed = False  # the user closed the window
        self.last_hud: Hud | None = None
        self._keys: list[str] = []

    def show(self, frame: np.ndarray, hud: Hud | None = None) -> None:
        """Show ``frame`` (with ``hud`` drawn under it), then wait for the next tick."""
        if self.pygame is None:
            raise RuntimeError("the window is closed")
        if hud is not None:
            frame = with_hud(frame, hud)
            self.last_hud = hud
        pg = self.pygame
        height, width = frame.shape[:2]
        if self.screen is None or self.screen.get_size() != (width, height):
            self.screen = pg.display.set_mode((width, height))
        self.screen.blit(pg.surfarray.make_surface(np.ascontiguousarray(frame.swapaxes(0, 1))), (0, 0))
        pg.display.flip()
        self._collect()
        if self.fps:
            self.clock.tick(self.fps)

    def keys(self) -> list[str]:
        """Names of the keys pressed since the last call (pygame's names: "up", "a", "space", …)."""
        self._collect()
        keys, self._keys = self._keys, []
        return keys

    def _collect(self) -> None:
        pg = self.pygame
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self.closed = True
            elif event.type == pg.KEYDOWN:
                self._keys.append(pg.key.name(event.key))

    def close(self) -> None:
        if self.pygame is not None:
            self.pygame.display.quit()
            self.pygame = None
            self.screen = None
