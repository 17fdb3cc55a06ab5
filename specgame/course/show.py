"""Pictures in a notebook: a board, an episode with its heads-up display, a figure.

:func:`show` is the one helper the lessons use.  It returns a :class:`Picture`, which a
notebook displays inline (an ``<img>`` holding a PNG or an animated GIF), and which
``save`` writes to a file.  What it shows is what a window shows: the board drawn by
``env.render()`` with the HUD (step, proxy return, intended return, gap) under it, made
by the same code as ``specgame watch`` and ``specgame record``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from specgame import render
from specgame._checks import check_int, check_number
from specgame._files import atomic_write


@dataclass(frozen=True)
class Picture:
    """An image file's bytes and its type ("png" or "gif"); a notebook shows it inline."""

    data: bytes
    kind: str
    frames: int = 1

    def _repr_html_(self) -> str:
        encoded = base64.b64encode(self.data).decode("ascii")
        return f'<img src="data:image/{self.kind};base64,{encoded}" style="image-rendering: pixelated"/>'

    def save(self, path):
        """Write the picture to ``path`` (atomically); returns the path."""
        return atomic_write(path, lambda f: f.write(self.data))


def show(what, policy=None, *, title: str = "", max_steps: int | None = None, every: int = 1,
         fps: float = 8, tile_size: int = 16, seed: int = 0) -> Picture:
    """An inline picture of ``what``:

    - a frame (H×W×3 uint8 array): that picture;
    - a list of frames: an animated GIF at ``fps``, keeping every ``every``-th frame;
    - a matplotlib figure: the figure (and it is closed, so the notebook does not draw it twice);
    - an env, alone: its board now, with the HUD;
    - an env and a ``policy``: one episode from ``reset(seed=seed)``, animated, with the HUD;
    - a dict ``{title: (env, policy)}``: those episodes side by side, in lockstep.

    A policy is a trained agent, a solver Plan, a function ``policy(env, observation) -> action``
    or a name: "proxy-optimal", "intended-optimal", "random", or an agent's name, which
    trains one here (:func:`specgame.views.play.policy_from`).  Envs are redrawn in
    ``rgb_array`` mode at ``tile_size`` pixels a cell, in a twin of the env (same id,
    same settings), so any env made with ``specgame.make`` will do and is left as it was.
    """
    fps = check_number("fps", fps, 0, 60, low_open=True)
    if max_steps is not None:
        check_int("max_steps", max_steps, low=0)
    if isinstance(what, np.ndarray):
        return _png(_checked_frame(what))
    if isinstance(what, (list, tuple)):
        return _gif([_checked_frame(f) for f in what][::_every(every)], fps)
    if hasattr(what, "savefig"):
        return _figure(what)
    if isinstance(what, Mapping):
        return _episodes(dict(what), max_steps, every, fps, tile_size, seed)
    if hasattr(what, "unwrapped") and hasattr(what.unwrapped, "mdp"):
        if policy is None:
            return _png(_board(what, title, tile_size))
        return _episodes({title: (what, policy)}, max_steps, every, fps, tile_size, seed)
    raise ValueError("what must be a frame, a list of frames, a matplotlib figure, a specgame env "
                     f"or a dict {{title: (env, policy)}}, got {type(what).__name__}")


def _checked_frame(frame) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"a frame must be an H×W×3 uint8 array, got {frame.dtype} {frame.shape}")
    return frame


def _every(every) -> int:
    return check_int("every", every, low=1)


def _png(frame: np.ndarray) -> Picture:
    import imageio.v3 as iio

    return Picture(iio.imwrite("<bytes>", frame, extension=".png"), "png")


def _gif(frames: list, fps: float) -> Picture:
    import imageio.v3 as iio

    if not frames:
        raise ValueError("frames must hold at least one frame, got an empty list")
    data = iio.imwrite("<bytes>", np.stack(frames), extension=".gif", duration=1000 / fps, loop=0)
    return Picture(data, "gif", len(frames))


def _figure(figure) -> Picture:
    figure.savefig(buffer := io.BytesIO(), format="png", dpi=80, bbox_inches="tight")  # memory, not a file
    import matplotlib.pyplot as plt

    plt.close(figure)
    return Picture(buffer.getvalue(), "png")


def _twin(env, tile_size: int):
    """A fresh env like ``env`` (same id and settings, so the same table) that draws ``rgb_array``
    frames: an episode shown here never disturbs the env it came from, and one env may play twice."""
    from specgame.views.play import make_env

    core = env.unwrapped
    if core.spec is None:
        raise ValueError("show needs an env made by specgame.make (with an id), not one built from a bare table")
    return make_env(core.spec.id, dict(core.config or {}), tile_size=tile_size)


def _board(env, title: str, tile_size: int) -> np.ndarray:
    """The board now, with the HUD: ``env.render()`` in ``rgb_array`` mode, or the same drawing."""
    core = env.unwrapped
    if core.state_index is None:
        raise ValueError("the env has not been reset yet: call env.reset() first")
    if core.render_mode == "rgb_array":
        frame = core.render()
    else:
        frame = render.rasterise(core.board(), tile_size, core.mdp.tiles)
    return render.with_hud(frame, replace(core.hud_values(), title=title))


def _policy(env, policy):
    from specgame.views.play import agent_policy, plan_policy, policy_from, policy_names

    if isinstance(policy, str):
        if policy not in policy_names():
            raise ValueError(f"policy must be one of {policy_names()} or an agent, plan or function, got {policy!r}")
        return policy_from(policy, env)
    if hasattr(policy, "actions") and hasattr(policy, "objective"):
        return plan_policy(policy)
    if hasattr(policy, "q") or hasattr(policy, "policy_table"):
        return agent_policy(policy)
    if callable(policy):
        return policy
    raise ValueError(f"policy must be an agent, a Plan, a name or a function, got {type(policy).__name__}")


def _episodes(pairs: dict, max_steps, every, fps, tile_size, seed) -> Picture:
    from specgame.views.play import Runner, episode_frames

    if not pairs:
        raise ValueError("the dict of episodes to show is empty")
    runners = []
    for title, pair in pairs.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"each episode must be an (env, policy) pair, got {pair!r} for {title!r}")
        env = _twin(pair[0], tile_size)
        runners.append(Runner(env, _policy(env, pair[1]), title=title, seed=seed))
    frames = episode_frames(runners, max_steps)
    kept = frames[::_every(every)]
    if kept[-1] is not frames[-1]:
        kept.append(frames[-1])  # always end on the final score
    return _gif(kept + [frames[-1]] * int(fps), fps)  # and hold it for a second
