"""Finite, seeded level sets for the goal-misgeneralisation games (coin, cheese, keys).

A level is drawn once, from a generator seeded by ``(level_seed, family)``, and kept: the
level is part of the game's State (its index), so a level set of a few hundred levels
compiles into one exact table.  Training and test variants draw from different seeds,
so the test levels are new to the agent.  Settings that move a goal (the coin's share of
random places, the cheese's region) only change which of a level's pre-drawn places is
used, never the walls: a curve over such a setting compares like with like.
"""

from __future__ import annotations

from collections import deque

import numpy as np

STEPS = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left: the grid's action order

# Family codes: a family's levels never share a random stream with another family's.
COIN, MAZE, KEYS = 1, 2, 3


def generator(level_seed: int, family: int) -> np.random.Generator:
    return np.random.default_rng([int(level_seed), family])


def reachable(open_cells, start: tuple[int, int]) -> list[tuple[int, int]]:
    """The cells of ``open_cells`` reachable from ``start`` by the four moves, nearest first."""
    order, seen, queue = [], {start}, deque([start])
    while queue:
        cell = queue.popleft()
        order.append(cell)
        for d_row, d_col in STEPS:
            nxt = cell[0] + d_row, cell[1] + d_col
            if nxt in open_cells and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order


def perfect_maze(rng: np.random.Generator, size: int) -> frozenset:
    """The open cells of a maze on a ``size``×``size`` lattice (cells at odd coordinates of a
    (2·size+1)-square board whose border is wall), carved by a randomised depth-first search:
    every two cells are joined by exactly one path."""
    start = (1, 1)
    carved, stack = {start}, [start]
    while stack:
        row, col = stack[-1]
        options = [(row + 2 * dr, col + 2 * dc) for dr, dc in STEPS
                   if 1 <= row + 2 * dr <= 2 * size - 1 and 1 <= col + 2 * dc <= 2 * size - 1
                   and (row + 2 * dr, col + 2 * dc) not in carved]
        if not options:
            stack.pop()
            continue
        nxt = options[int(rng.integers(len(options)))]
        carved.add(((row + nxt[0]) // 2, (col + nxt[1]) // 2))  # the wall between them
        carved.add(nxt)
        stack.append(nxt)
    return frozenset(carved)


def draw_board(rows: int, cols: int, open_cells, marks: dict) -> list[list[str]]:
    """A bordered board of ``#`` with ``.`` on the open cells and ``marks`` {(row, col): char} on top."""
    cells = [["#"] * cols for _ in range(rows)]
    for row, col in open_cells:
        cells[row][col] = "."
    for (row, col), char in marks.items():
        cells[row][col] = char
    return cells


def step_in(open_cells, row: int, col: int, action: int) -> tuple[int, int]:
    """Where a move lands on a board whose open cells are ``open_cells``; walls stop it."""
    d_row, d_col = STEPS[action]
    target = row + d_row, col + d_col
    return target if target in open_cells else (row, col)
