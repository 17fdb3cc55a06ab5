"""Pictures of boards: a numpy tile rasteriser, ANSI text, and a lazy pygame window.

``rgb_array`` frames are pure numpy from a per-character tile cache, so they work on any
machine; pygame is imported only when a window is asked for.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Colours (RGB) of the palette every board character draws from.
INK = {
    "land": (96, 120, 72), "water": (58, 124, 196), "lagoon": (40, 160, 170), "line": (240, 240, 240),
    "gold": (250, 200, 40), "red": (220, 60, 50), "boat": (250, 250, 250), "dark": (30, 30, 40),
    "floor": (225, 220, 205), "grey": (150, 150, 150), "green": (70, 180, 80), "lava": (230, 100, 30),
    "blue": (60, 90, 220), "brown": (150, 100, 60), "purple": (150, 80, 190), "white": (255, 255, 255),
    "cliff": (70, 50, 40),
}

# char -> (background, glyph, glyph colour).  Environments may add or override with a
# TILES dict of the same form in their rules module.
TILES = {
    "#": ("land", None, None), ".": ("water", None, None), "F": ("line", "checker", "dark"),
    "T": ("water", "target", "red"), "~": ("lagoon", None, None), "o": ("lagoon", "target", "red"),
    "C": ("water", "flag", "gold"), "B": ("water", "boat", "boat"), "+": ("land", "dot", "gold"),
    "-": ("land", "dot", "dark"), "A": ("floor", "agent", "blue"), " ": ("floor", None, None),
    "G": ("floor", "diamond", "green"), "S": ("floor", "square", "grey"), "x": ("cliff", None, None),
}
FALLBACK = ("grey", "letter", "dark")


def tile(char: str, size: int, tiles=None) -> np.ndarray:
    spec = (tiles or {}).get(char) or TILES.get(char) or FALLBACK
    return _tile(char, size, spec)


@lru_cache(maxsize=4096)
def _tile(char: str, size: int, spec) -> np.ndarray:
    background, glyph, colour = spec
    out = np.empty((size, size, 3), dtype=np.uint8)
    out[:] = INK[background]
    if glyph is None:
        out[0, :] = out[:, 0] = (np.array(INK[background]) * 0.85).astype(np.uint8)  # faint grid lines
        return out
    y, x = np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1  # coordinates in [-1, 1]
    shapes = {
        "target": (x**2 + y**2 < 0.45) & ~((x**2 + y**2 < 0.2) & (x**2 + y**2 > 0.08)),
        "dot": x**2 + y**2 < 0.2,
        "diamond": np.abs(x) + np.abs(y) < 0.7,
        "square": (np.abs(x) < 0.55) & (np.abs(y) < 0.55),
        "agent": x**2 + y**2 < 0.55,
        "boat": (y > -0.75) & (y < 0.7) & (np.abs(x) < 0.55 * (y + 0.75) / 1.45 + 0.05),
        "flag": ((x > -0.5) & (x < -0.35) & (np.abs(y) < 0.75)) | ((x >= -0.35) & (x < 0.5) & (y > -0.75) & (y < -0.1)),
        "checker": ((np.floor((x + 1) * 2) + np.floor((y + 1) * 2)) % 2 == 0),
        "letter": np.zeros_like(x, dtype=bool),
    }
    out[shapes[glyph]] = INK[colour]
    if glyph == "letter":
        _stamp_letter(out, char, INK[colour])
    return out


def _stamp_letter(out: np.ndarray, char: str, colour) -> None:
    """Mark an unknown character with a small block pattern from its code, so distinct
    characters stay distinct in a picture even without a sprite."""
    size = out.shape[0]
    bits = ord(char)
    cell = max(size // 5, 1)
    for i in range(9):
        if bits >> i & 1:
            r, c = 1 + i // 3, 1 + i % 3
            out[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = colour


def rasterise(rows, tile_size: int = 32, tiles=None) -> np.ndarray:
    """An H*tile x W*tile x 3 uint8 picture of a board given as rows of characters."""
    height, width = len(rows), len(rows[0])
    frame = np.empty((height * tile_size, width * tile_size, 3), dtype=np.uint8)
    for r, line in enumerate(rows):
        for c, char in enumerate(line):
            frame[r * tile_size:(r + 1) * tile_size, c * tile_size:(c + 1) * tile_size] = tile(char, tile_size, tiles)
    return frame


ANSI = {"B": "\x1b[1;97;44m", "A": "\x1b[1;97;44m", "T": "\x1b[91m", "o": "\x1b[91m", "C": "\x1b[93m",
        "#": "\x1b[32m", "~": "\x1b[36m", ".": "\x1b[34m", "F": "\x1b[1m", "+": "\x1b[93m", "x": "\x1b[31m"}


def ansi(rows, colour: bool = False) -> str:
    """The board as text, optionally with ANSI colours."""
    if not colour:
        return "\n".join(rows)
    return "\n".join("".join(f"{ANSI[ch]}{ch}\x1b[0m" if ch in ANSI else ch for ch in line) for line in rows)


class Window:
    """A pygame window showing frames with a heads-up line: step, proxy, intended, gap."""

    def __init__(self, title: str, fps: int):
        import pygame  # only a window needs pygame

        self.pygame = pygame
        pygame.display.init()
        pygame.font.init()
        pygame.display.set_caption(title)
        self.fps = fps
        self.clock = pygame.time.Clock()
        self.font = pygame.font.Font(None, 24)
        self.screen = None

    def show(self, frame: np.ndarray, hud: str) -> None:
        pg = self.pygame
        height, width = frame.shape[:2]
        if self.screen is None:
            self.screen = pg.display.set_mode((width, height + 28))
        pg.event.pump()
        self.screen.fill((20, 20, 28))
        self.screen.blit(pg.surfarray.make_surface(frame.swapaxes(0, 1)), (0, 0))
        self.screen.blit(self.font.render(hud, True, (235, 235, 235)), (6, height + 6))
        pg.display.flip()
        self.clock.tick(self.fps)

    def close(self) -> None:
        if self.pygame is not None:
            self.pygame.display.quit()
            self.pygame = None
