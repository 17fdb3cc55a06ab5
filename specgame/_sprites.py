"""Drawing tiles in numpy: a small painter, textured grounds, sprites and a pixel font.

Every tile is painted at ``SUPERSAMPLE`` times its size and averaged down, which gives
smooth edges without any drawing library.  Shapes are boolean masks over coordinates in
[-1, 1] (x to the right, y downwards), so a sprite reads like a description of the picture.
"""

from __future__ import annotations

import numpy as np

SUPERSAMPLE = 4

# Colours (RGB).  The first block is the palette environments name in their TILES specs.
INK = {
    "land": (104, 148, 82), "water": (58, 124, 196), "lagoon": (38, 158, 168), "line": (240, 240, 240),
    "gold": (250, 196, 40), "red": (214, 58, 48), "boat": (250, 250, 250), "dark": (34, 34, 44),
    "floor": (232, 226, 210), "grey": (128, 132, 140), "green": (66, 172, 84), "lava": (232, 96, 28),
    "blue": (58, 98, 216), "brown": (148, 100, 58), "purple": (138, 80, 186), "white": (255, 255, 255),
    "cliff": (78, 58, 46),
    # Extra inks the sprites use.
    "soil": (120, 84, 56), "dry": (196, 170, 120), "leaf": (52, 140, 60), "wood": (176, 122, 66),
    "steel": (168, 176, 186), "amber": (196, 120, 30), "cyan": (80, 210, 230), "pink": (230, 110, 160),
    "orange": (244, 150, 40), "black": (0, 0, 0),
}


def colour(name) -> np.ndarray:
    if isinstance(name, str):
        if name not in INK:
            raise ValueError(f"unknown colour {name!r}; known colours: {', '.join(sorted(INK))}")
        return np.array(INK[name], dtype=float)
    return np.array(name, dtype=float)


def shade(rgb, factor: float) -> np.ndarray:
    """Darker (factor < 1) or lighter (> 1, towards white) version of a colour."""
    rgb = np.asarray(rgb, dtype=float)
    if factor <= 1:
        return rgb * factor
    return rgb + (255 - rgb) * min(factor - 1, 1)


class Painter:
    """A square canvas at ``SUPERSAMPLE``× resolution with mask-based painting."""

    def __init__(self, size: int):
        self.size = size
        n = size * SUPERSAMPLE
        coords = (np.arange(n) + 0.5) / n * 2 - 1
        self.y, self.x = np.meshgrid(coords, coords, indexing="ij")
        self.image = np.zeros((n, n, 3))

    def fill(self, rgb) -> None:
        self.image[:] = rgb

    def paint(self, mask, rgb, alpha: float = 1.0) -> None:
        self.image[mask] = self.image[mask] * (1 - alpha) + np.asarray(rgb, dtype=float) * alpha

    def outlined(self, mask, rgb, width: float = 0.08) -> None:
        """Paint ``mask`` with a darker rim, the look of every sprite."""
        self.paint(mask, shade(rgb, 0.55))
        self.paint(shrink(mask, width, self), rgb)

    # -- shapes ----------------------------------------------------------------------------

    def disc(self, cx, cy, r):
        return (self.x - cx) ** 2 + (self.y - cy) ** 2 < r * r

    def ellipse(self, cx, cy, rx, ry):
        return ((self.x - cx) / rx) ** 2 + ((self.y - cy) / ry) ** 2 < 1

    def rect(self, x0, y0, x1, y1):
        return (self.x >= x0) & (self.x <= x1) & (self.y >= y0) & (self.y <= y1)

    def rounded(self, x0, y0, x1, y1, r):
        inner = self.rect(x0 + r, y0, x1 - r, y1) | self.rect(x0, y0 + r, x1, y1 - r)
        for cx in (x0 + r, x1 - r):
            for cy in (y0 + r, y1 - r):
                inner |= self.disc(cx, cy, r)
        return inner

    def polygon(self, points):
        """A convex polygon given clockwise (on screen) as (x, y) corners."""
        mask = np.ones_like(self.x, dtype=bool)
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]):
            mask &= (x1 - x0) * (self.y - y0) - (y1 - y0) * (self.x - x0) >= 0
        return mask

    def segment(self, x0, y0, x1, y1, width):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((self.x - x0) * dx + (self.y - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        return (self.x - x0 - t * dx) ** 2 + (self.y - y0 - t * dy) ** 2 < (width / 2) ** 2

    def result(self) -> np.ndarray:
        n, s = self.size, SUPERSAMPLE
        return np.clip(self.image.reshape(n, s, n, s, 3).mean(axis=(1, 3)) + 0.5, 0, 255).astype(np.uint8)


def shrink(mask, width: float, painter: Painter):
    """The part of ``mask`` farther than ``width`` (in [-1, 1] units) from its edge."""
    steps = max(1, round(width * painter.size * SUPERSAMPLE / 2))
    inner = mask.copy()
    for _ in range(steps):  # erosion by a plus-shaped neighbourhood, one pixel a step
        inner[1:, :] &= inner[:-1, :].copy()
        inner[:-1, :] &= inner[1:, :].copy()
        inner[:, 1:] &= inner[:, :-1].copy()
        inner[:, :-1] &= inner[:, 1:].copy()
    return inner


# -- grounds: the texture under a sprite -------------------------------------------------------


def ground(p: Painter, name) -> None:
    """Fill the tile with a ground: water ripples, grass, stone walls, lava, … or a flat ink."""
    base = colour(name)
    p.fill(base)
    x, y = p.x, p.y
    if name in ("water", "lagoon"):
        ripple = np.abs(y - 0.22 * np.sin(np.pi * (x * 1.5 + 0.3)) - np.array([[-0.45]])) < 0.045
        ripple |= np.abs(y - 0.22 * np.sin(np.pi * (x * 1.5 + 1.3)) - 0.45) < 0.045
        p.paint(ripple, shade(base, 1.35), 0.55)
    elif name == "land":
        tufts = np.zeros_like(x, dtype=bool)
        for cx, cy in ((-0.5, -0.4), (0.35, -0.55), (0.0, 0.25), (-0.55, 0.6), (0.6, 0.5)):
            tufts |= p.segment(cx, cy, cx - 0.08, cy - 0.22, 0.07) | p.segment(cx, cy, cx + 0.1, cy - 0.2, 0.07)
        p.paint(tufts, shade(base, 0.78))
    elif name in ("grey", "wall"):
        mortar = (np.abs(y) < 0.04) | (np.abs(y) > 0.96)
        mortar |= ((y < 0) & (np.abs(x - 0.1) < 0.04)) | ((y > 0) & (np.abs(x + 0.5) < 0.04))
        p.paint(p.rect(-1, -1, 1, -0.6), shade(base, 1.12))
        p.paint(p.rect(-1, 0.04, 1, 0.4), shade(base, 1.12))
        p.paint(mortar, shade(base, 0.7))
    elif name == "cliff":
        crack = p.segment(-0.7, -1, -0.3, -0.2, 0.07) | p.segment(-0.3, -0.2, -0.5, 0.5, 0.07)
        crack |= p.segment(0.4, -0.3, 0.7, 0.6, 0.07)
        p.paint(crack, shade(base, 0.6))
        p.paint(p.rect(-1, -1, 1, -0.82), (200, 60, 40), 0.5)  # a warning edge
    elif name == "lava":
        for cx, cy, r in ((-0.45, -0.35, 0.3), (0.4, 0.1, 0.35), (-0.2, 0.6, 0.22), (0.55, -0.65, 0.18)):
            p.paint(p.disc(cx, cy, r), (252, 200, 60), 0.85)
            p.paint(p.disc(cx, cy, r * 0.5), (255, 244, 170), 0.7)
    elif name == "soil":
        for cx, cy in ((-0.6, -0.6), (0.5, -0.3), (-0.2, 0.1), (0.6, 0.65), (-0.6, 0.55)):
            p.paint(p.disc(cx, cy, 0.07), shade(base, 0.7))
    elif name == "dry":
        crack = p.segment(-0.9, -0.2, -0.2, 0.05, 0.05) | p.segment(-0.2, 0.05, 0.3, -0.4, 0.05)
        crack |= p.segment(-0.2, 0.05, 0.1, 0.8, 0.05)
        p.paint(crack, shade(base, 0.7))
    else:
        # flat inks get a faint grid line, so neighbouring cells stay countable
        p.paint((x < -1 + 2 / p.size) | (y < -1 + 2 / p.size), shade(base, 0.88))


# -- sprites: what stands on the ground ---------------------------------------------------------


def _target(p, rgb):  # a buoy seen from above: red and white rings
    p.outlined(p.disc(0, 0, 0.66), rgb)
    p.paint(p.disc(0, 0, 0.42), INK["white"])
    p.paint(p.disc(0, 0, 0.22), rgb)


def _dot(p, rgb):  # a shaded ball
    p.outlined(p.disc(0, 0.05, 0.46), rgb)
    p.paint(p.disc(-0.15, -0.12, 0.14), INK["white"], 0.55)


def _diamond(p, rgb):  # a gem
    p.outlined(p.polygon([(0, -0.72), (0.66, 0), (0, 0.72), (-0.66, 0)]), rgb)
    p.paint(p.polygon([(0, -0.6), (0, 0), (-0.52, 0)]), shade(rgb, 1.4), 0.8)


def _square(p, rgb):
    p.outlined(p.rounded(-0.58, -0.58, 0.58, 0.58, 0.16), rgb)


def _agent(p, rgb):  # a friendly round face
    p.outlined(p.disc(0, 0.04, 0.66), rgb)
    for side in (-1, 1):
        p.paint(p.ellipse(0.24 * side, -0.1, 0.15, 0.19), INK["white"])
        p.paint(p.disc(0.24 * side + 0.04, -0.06, 0.08), INK["dark"])
    smile = p.disc(0, 0.14, 0.34) & ~p.disc(0, 0.07, 0.31) & (p.y > 0.2)
    p.paint(smile, INK["dark"])


def _boat(p, rgb):  # top view, bow up
    hull = p.polygon([(0, -0.86), (0.45, -0.2), (0.45, 0.78), (-0.45, 0.78), (-0.45, -0.2)])
    hull |= p.ellipse(0, -0.2, 0.45, 0.66) & (p.y < -0.2)
    p.outlined(hull, rgb)
    p.paint(p.rounded(-0.26, -0.05, 0.26, 0.55, 0.08), INK["wood"])
    p.paint(p.disc(0, 0.25, 0.11), INK["red"])


def _flag(p, rgb):
    p.paint(p.segment(-0.42, -0.75, -0.42, 0.8, 0.12), INK["dark"])
    p.outlined(p.polygon([(-0.36, -0.78), (0.62, -0.45), (-0.36, -0.1)]), rgb, 0.06)


def _checker(p, rgb):
    squares = (np.floor((p.x + 1) * 2) + np.floor((p.y + 1) * 2)) % 2 == 0
    p.paint(squares, rgb)


def _star(p, rgb):
    angles = np.arctan2(p.y, p.x) + np.pi / 2
    radius = np.hypot(p.x, p.y)
    wave = 0.38 + 0.3 * np.abs(((angles * 5 / (2 * np.pi)) % 1) * 2 - 1) ** 1.2
    p.outlined(radius < wave, rgb, 0.06)


def _tomato(p, rgb):
    p.outlined(p.ellipse(0, 0.12, 0.62, 0.54), rgb)
    p.paint(p.ellipse(-0.22, -0.05, 0.14, 0.1), INK["white"], 0.5)
    leaves = np.zeros_like(p.x, dtype=bool)
    for dx in (-0.22, 0, 0.22):
        leaves |= p.ellipse(dx, -0.4, 0.12, 0.07)
    p.paint(leaves | p.segment(0, -0.55, 0.06, -0.75, 0.09), INK["leaf"])


def _bucket(p, rgb):
    p.paint(p.disc(0, -0.35, 0.62) & ~p.disc(0, -0.35, 0.52) & (p.y < -0.35), INK["dark"])  # handle
    p.outlined(p.polygon([(-0.6, -0.35), (0.6, -0.35), (0.42, 0.75), (-0.42, 0.75)]), rgb)
    p.paint(p.ellipse(0, -0.35, 0.56, 0.13), INK["water"])
    p.paint(p.rect(-0.5, 0.1, 0.5, 0.18), shade(rgb, 0.75))


def _bottle(p, rgb):
    body = p.rounded(-0.3, -0.2, 0.3, 0.8, 0.12) | p.rect(-0.11, -0.72, 0.11, -0.1)
    p.outlined(body, rgb)
    p.paint(p.rect(-0.24, 0.12, 0.24, 0.46), INK["floor"])
    p.paint(p.rect(-0.13, -0.84, 0.13, -0.68), INK["dark"])


def _person(p, rgb):  # someone watching: head and shoulders
    p.outlined(p.ellipse(0, 0.72, 0.62, 0.5) & (p.y < 0.82), rgb)
    p.outlined(p.disc(0, -0.25, 0.36), shade(rgb, 1.25))
    for side in (-1, 1):
        p.paint(p.disc(0.13 * side, -0.27, 0.06), INK["dark"])


def _crate(p, rgb):
    p.outlined(p.rect(-0.72, -0.72, 0.72, 0.72), rgb)
    inner = p.rect(-0.5, -0.5, 0.5, 0.5)
    p.paint(inner, shade(rgb, 0.85))
    p.paint(inner & (p.segment(-0.5, 0.5, 0.5, -0.5, 0.2) | p.segment(-0.5, -0.5, 0.5, 0.5, 0.2)), rgb)


def _coin(p, rgb):
    p.outlined(p.disc(0, 0, 0.56), rgb)
    p.paint(p.disc(0, 0, 0.38) & ~p.disc(0, 0, 0.3), shade(rgb, 0.75))
    p.paint(p.rect(-0.06, -0.2, 0.06, 0.2), shade(rgb, 0.75))


def _rock(p, rgb):
    blob = p.disc(-0.2, 0.1, 0.5) | p.disc(0.25, 0.0, 0.48) | p.disc(0.0, -0.25, 0.45)
    p.outlined(blob & (p.y < 0.62), rgb)
    p.paint(p.disc(-0.15, -0.3, 0.14), shade(rgb, 1.3), 0.6)


def _button(p, rgb):
    p.outlined(p.rounded(-0.7, -0.7, 0.7, 0.7, 0.2), INK["steel"])
    p.outlined(p.disc(0, 0, 0.42), rgb)
    p.paint(p.disc(-0.12, -0.14, 0.13), INK["white"], 0.5)


def _cross(p, rgb):
    p.paint(p.segment(-0.55, -0.55, 0.55, 0.55, 0.22) | p.segment(-0.55, 0.55, 0.55, -0.55, 0.22), rgb)


def _pause(p, rgb):
    p.outlined(p.disc(0, 0, 0.64), rgb)
    p.paint(p.rect(-0.26, -0.32, -0.08, 0.32) | p.rect(0.08, -0.32, 0.26, 0.32), INK["white"])


def _lever(up: bool):
    def draw(p, rgb):
        p.outlined(p.rounded(-0.6, 0.25, 0.6, 0.7, 0.12), INK["steel"])
        tip = (0.38, -0.55) if up else (-0.38, -0.55)
        p.paint(p.segment(0, 0.35, *tip, 0.14), INK["dark"])
        p.outlined(p.disc(*tip, 0.2), rgb, 0.06)
    return draw


def _arrow(direction: str):
    def draw(p, rgb):
        head = [(0, -0.74), (0.58, -0.08), (-0.58, -0.08)]
        shaft = [(-0.21, -0.1), (0.21, -0.1), (0.21, 0.66), (-0.21, 0.66)]
        for _ in range({"up": 0, "right": 1, "down": 2, "left": 3}[direction]):
            head, shaft = [(-y, x) for x, y in head], [(-y, x) for x, y in shaft]  # a quarter turn clockwise
        p.outlined(p.polygon(head) | p.polygon(shaft), rgb, 0.06)
    return draw


def _mystery(p, rgb):
    _crate(p, rgb)
    p.paint(text_mask(p, "?", 0.62), INK["white"])


def _letter(p, rgb, char=" "):
    p.paint(text_mask(p, char, 0.78), rgb)


def _cursor(p, rgb):
    p.paint(p.rect(-0.45, 0.5, 0.45, 0.68), rgb)


def _vase(p, rgb):
    body = p.ellipse(0, 0.25, 0.46, 0.5) | p.rect(-0.18, -0.6, 0.18, 0)
    body |= p.ellipse(0, -0.62, 0.3, 0.1)
    p.outlined(body, rgb)
    p.paint(p.rect(-0.4, 0.15, 0.4, 0.28), shade(rgb, 1.35), 0.7)


def _sushi(p, rgb):
    p.outlined(p.ellipse(0, 0.1, 0.72, 0.5), INK["white"])
    p.outlined(p.ellipse(0, -0.02, 0.48, 0.28), rgb)


def _belt_end(p, rgb):
    p.paint(p.rect(-1, -0.5, 1, 0.5), INK["dark"])
    for dx in (-0.6, 0.0, 0.6):
        p.paint(p.segment(dx - 0.15, -0.3, dx + 0.15, 0, 0.12) | p.segment(dx + 0.15, 0, dx - 0.15, 0.3, 0.12), rgb)


# glyph name -> painter(p, rgb).  TILES specs name these as their second element.
GLYPHS = {
    "target": _target, "dot": _dot, "diamond": _diamond, "square": _square, "agent": _agent,
    "boat": _boat, "flag": _flag, "checker": _checker, "star": _star, "tomato": _tomato,
    "bucket": _bucket, "bottle": _bottle, "person": _person, "crate": _crate, "coin": _coin,
    "rock": _rock, "button": _button, "cross": _cross, "pause": _pause, "lever-up": _lever(True),
    "lever-down": _lever(False), "arrow-up": _arrow("up"), "arrow-right": _arrow("right"),
    "arrow-down": _arrow("down"), "arrow-left": _arrow("left"), "mystery": _mystery,
    "letter": _letter, "cursor": _cursor, "vase": _vase, "sushi": _sushi, "belt-end": _belt_end,
}


def paint_tile(char: str, size: int, spec) -> np.ndarray:
    """A ``size``×``size``×3 uint8 tile for ``spec`` = (ground, glyph or None, glyph colour)."""
    background, glyph, ink = spec
    if glyph is not None and glyph not in GLYPHS:
        raise ValueError(f"unknown glyph {glyph!r} for {char!r}; known glyphs: {', '.join(sorted(GLYPHS))}")
    p = Painter(size)
    ground(p, background)
    if glyph == "letter":
        _letter(p, colour(ink), char)
    elif glyph is not None:
        GLYPHS[glyph](p, colour(ink))
    return p.result()


# -- a 5×7 pixel font (one glyph: seven rows of five bits) -------------------------------------

_FONT_ROWS = {
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11110 10001 10001 10001 10001 10001 11110",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 11001 10101 10011 10001 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 01010 00100 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    ".": "00000 00000 00000 00000 00000 01100 01100", ",": "00000 00000 00000 00000 01100 00100 01000",
    "-": "00000 00000 00000 11111 00000 00000 00000", "+": "00000 00100 00100 11111 00100 00100 00000",
    "/": "00001 00010 00010 00100 01000 01000 10000", ":": "00000 01100 01100 00000 01100 01100 00000",
    "(": "00010 00100 01000 01000 01000 00100 00010", ")": "01000 00100 00010 00010 00010 00100 01000",
    "?": "01110 10001 00001 00010 00100 00000 00100", "!": "00100 00100 00100 00100 00100 00000 00100",
    "%": "11000 11001 00010 00100 01000 10011 00011", "=": "00000 00000 11111 00000 11111 00000 00000",
    "<": "00010 00100 01000 10000 01000 00100 00010", ">": "01000 00100 00010 00001 00010 00100 01000",
    "_": "00000 00000 00000 00000 00000 00000 11111", "*": "00000 00100 10101 01110 10101 00100 00000",
    "#": "01010 01010 11111 01010 11111 01010 01010", "'": "00100 00100 01000 00000 00000 00000 00000",
    "^": "00100 01010 10001 00000 00000 00000 00000", "~": "00000 00000 01000 10101 00010 00000 00000",
    "[": "01110 01000 01000 01000 01000 01000 01110", "]": "01110 00010 00010 00010 00010 00010 01110",
    " ": "00000 00000 00000 00000 00000 00000 00000",
}
FONT = {ch: np.array([[bit == "1" for bit in row] for row in rows.split()]) for ch, rows in _FONT_ROWS.items()}
UNKNOWN_GLYPH = np.array([[bit == "1" for bit in row]
                          for row in ("11111", "10001", "10001", "10001", "10001", "10001", "11111")])


def glyph_bits(char: str) -> np.ndarray:
    """The 7×5 bitmap of ``char`` (lower case drawn as capitals; unknown as a box)."""
    return FONT.get(char, FONT.get(char.upper(), UNKNOWN_GLYPH))


def text_mask(p: Painter, char: str, height: float):
    """``char`` centred on the painter's canvas, ``height`` of the tile (in [0, 1]) tall."""
    bits = glyph_bits(char)
    pixel = 2 * height / 7
    col = np.floor((p.x + 2.5 * pixel) / pixel).astype(int)
    row = np.floor((p.y + 3.5 * pixel) / pixel).astype(int)
    inside = (col >= 0) & (col < 5) & (row >= 0) & (row < 7)
    mask = np.zeros_like(inside)
    mask[inside] = bits[row[inside], col[inside]]
    return mask


def text(message: str, scale: int = 2) -> np.ndarray:
    """A boolean bitmap of a line of text, 7·scale pixels tall and 6·scale per character."""
    if not message:
        return np.zeros((7 * scale, 0), dtype=bool)
    line = np.zeros((7, 6 * len(message)), dtype=bool)
    for i, char in enumerate(message):
        line[:, 6 * i:6 * i + 5] = glyph_bits(char)
    return np.repeat(np.repeat(line, scale, axis=0), scale, axis=1)[:, :-scale]
