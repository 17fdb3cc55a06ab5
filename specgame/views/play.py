"""Playing and watching: a person at the keyboard, a trained agent, or two policies side by side.

Every picture here is a board with its heads-up display under it (step, proxy return,
intended return, gap), made by :func:`specgame.render.with_hud`: the window shows exactly
the frames that :func:`record` writes to a GIF.

A *policy* here is a function ``policy(env, observation) -> action``; :func:`policy_from`
makes one from a trained agent, a solver :class:`~specgame.solve.Plan` or a name.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from specgame import render
from specgame.agents import agent_names
from specgame.ids import resolve_id
from specgame.keys import keymap

PLANNED = ("proxy-optimal", "intended-optimal", "random")
POLICY_NAMES = agent_names() + PLANNED  # the built-in ones; policy_names() has those registered since too
TABLELESS = ("random",)  # what acts on an env without a table (FullStopLM-v0): the rest learn or plan on one


def has_table(env) -> bool:
    """Whether the env steps through a compiled table (every grid game; not the language model)."""
    return getattr(env.unwrapped, "mdp", None) is not None


def policy_names(env=None) -> tuple[str, ...]:
    """The policies that can act on ``env``: every registered agent and :data:`PLANNED` on a table
    (or with no env given), only :data:`TABLELESS` on an env without one."""
    return agent_names() + PLANNED if env is None or has_table(env) else TABLELESS


# -- policies ------------------------------------------------------------------------------------


def agent_policy(agent):
    """Act greedily with a trained agent: its ``policy_table(env)`` (the greedy action of every
    observation id), read at the id the env shows (``obs_mode="index"``)."""
    table = None

    def act(env, observation):
        nonlocal table
        if table is None:
            table = np.asarray(agent.policy_table(env.unwrapped))
        return int(table[observation])

    return act


def plan_policy(plan):
    """Follow a solver Plan: a non-stationary policy, ``plan.actions[steps taken, state]``."""

    def act(env, observation):
        core = env.unwrapped
        return int(plan.actions[core.steps_taken, core.state_index])

    return act


def random_policy(seed: int = 0):
    """Uniformly random actions, from its own generator."""
    generator = np.random.default_rng(seed)

    def act(env, observation):
        return int(generator.integers(env.action_space.n))

    return act


def policy_from(name: str, env, *, steps: int | None = None, seed: int = 0, **settings):
    """A policy by name: an agent (one of :data:`specgame.agents.AGENTS`) trained here for
    ``steps`` (default: its ``watch`` budget) with ``settings``, or a reference plan
    (proxy-optimal, intended-optimal, random).

    Training prints nothing; it takes seconds for the tabular agents at `specgame watch`'s budget.
    An agent trains on the same game shown the way it takes (``obs_mode``: the DQN sees the
    board's onehot planes).  An env without a table (FullStopLM-v0) takes only the policies in
    :data:`TABLELESS`.
    """
    from specgame.agents import agent_class, default_steps, observation_settings
    from specgame.solve import solve

    if name not in policy_names():
        raise ValueError(f"policy must be one of {', '.join(policy_names())}, got {name!r}")
    if name not in policy_names(env):
        raise ValueError(f"{_id(env)} has no table to train or plan on, so {name} cannot act on it; "
                         f"what can: {', '.join(policy_names(env))}")
    if name == "random":
        return random_policy(seed)
    if name in ("proxy-optimal", "intended-optimal"):
        return plan_policy(solve(env.unwrapped.mdp, name.split("-")[0]))
    import gymnasium

    try:
        cls = agent_class(name)
    except ImportError as err:  # the DQN without torch
        raise ValueError(f"{name} needs torch: {err}") from None
    seen = gymnasium.make(env.unwrapped.spec.id, **_settings(env), **observation_settings(cls))
    steps = default_steps(name, "watch") if steps is None else steps
    return agent_policy(cls(seen, seed=seed, **settings).learn(steps))


def _id(env) -> str:
    spec = env.unwrapped.spec
    return spec.id if spec is not None else type(env.unwrapped).__name__


def _settings(env) -> dict:
    """The game parameters an env was made with (beyond its registration's defaults)."""
    return dict(getattr(env.unwrapped, "config", {}) or {})


# -- episodes as frames --------------------------------------------------------------------------


def references_of(env):
    """Proxy-optimal and intended-optimal returns: the full length of the HUD's bars (None, None:
    no bars, for an env without a table to solve)."""
    from specgame.analysis.compare import references

    if not has_table(env):
        return None, None
    refs = references(env.unwrapped.mdp)
    return refs.proxy_optimal.proxy_return, refs.intended_optimal.intended_return


class Runner:
    """One policy playing episodes in an ``rgb_array`` env, one step at a time.

    ``frame()`` is the current board with its HUD; ``hud`` holds the values it shows, which
    are the env's own running totals (at the end, ``info["proxy_return"]`` and
    ``info["intended_return"]``).
    """

    def __init__(self, env, policy, title: str = "", seed: int = 0):
        self.env, self.policy, self.title = env, policy, title
        self.best = references_of(env)
        self.observation, _ = env.reset(seed=seed)
        self.done = False
        self.info: dict = {}
        self.note = ""

    @property
    def hud(self) -> render.Hud:
        values = self.env.unwrapped.hud_values()
        return replace(values, title=self.title, note=self.note,
                       proxy_best=self.best[0], intended_best=self.best[1])

    def frame(self) -> np.ndarray:
        return render.with_hud(self.env.render(), self.hud)

    def step(self, action=None) -> None:
        """Take ``action`` (the policy's choice when None); a finished episode stays as it is."""
        if self.done:
            return
        if action is None:
            action = self.policy(self.env, self.observation)
        self.observation, _, terminated, truncated, self.info = self.env.step(action)
        if terminated or truncated:
            self.done = True
            self.note = "finished" if terminated else "time up"

    def restart(self, seed: int | None = None) -> None:
        self.observation, _ = self.env.reset(seed=seed)
        self.done, self.info, self.note = False, {}, ""


def make_env(env_id: str, settings: dict | None = None, tile_size: int = 32):
    import gymnasium

    return gymnasium.make(resolve_id(env_id), render_mode="rgb_array", tile_size=tile_size, **(settings or {}))


def episode_frames(runners, max_steps: int | None = None) -> list[np.ndarray]:
    """Play the runners in lockstep to the end of their episodes; one frame per step.

    Several runners are drawn side by side; one that finishes first keeps showing its last
    board (with "finished" or "time up") while the others go on.
    """
    runners = list(runners)
    frames = [render.side_by_side([r.frame() for r in runners])]
    steps = 0
    while not all(r.done for r in runners) and (max_steps is None or steps < max_steps):
        for r in runners:
            r.step()
        frames.append(render.side_by_side([r.frame() for r in runners]))
        steps += 1
    return frames


def write_video(path, frames, fps: float = 8) -> Path:
    """Write frames as a GIF (``.gif``) or an MP4 (``.mp4``, needs ``pip install "specgame[video]"``)."""
    import imageio.v3 as iio

    from specgame._files import atomic_write

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"a recording must end in .gif or .mp4, got {path.name!r}")
    if not frames:
        raise ValueError("there are no frames to write")
    stack = np.stack(frames)
    if suffix == ".gif":
        data = iio.imwrite("<bytes>", stack, extension=".gif", duration=1000 / fps, loop=0)
    else:
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            raise ValueError('writing .mp4 needs imageio-ffmpeg: pip install "specgame[video]" '
                             "(or record a .gif)") from None
        # H.264 wants even sides; pad with the panel colour rather than stretch the picture
        height, width = stack.shape[1:3]
        padded = np.empty((len(stack), height + height % 2, width + width % 2, 3), dtype=np.uint8)
        padded[:] = render.PANEL
        padded[:, :height, :width] = stack
        data = iio.imwrite("<bytes>", padded, extension=".mp4", fps=fps, codec="libx264",
                           macro_block_size=1)
    atomic_write(path, lambda f: f.write(data))
    return path


# -- windows -------------------------------------------------------------------------------------


class Player:
    """A person playing: keys move the agent; ``r`` starts again; ``q`` or escape quits."""

    def __init__(self, env, seed: int = 0):
        self.runner = Runner(env, policy=None, title="you", seed=seed)
        self.keys = keymap(env.unwrapped.mdp.action_names or [str(a) for a in range(env.action_space.n)])
        self.episodes = 0
        self.quit = False

    def press(self, key: str) -> None:
        runner = self.runner
        if key in ("q", "escape"):
            self.quit = True
        elif key == "r":
            runner.restart()
        elif key in self.keys and not runner.done:
            runner.step(self.keys[key])
            if runner.done:
                self.episodes += 1
                runner.note += " - r: again"

    def legend(self) -> str:
        by_action: dict = {}
        for key, action in self.keys.items():
            by_action.setdefault(action, []).append(key)
        names = self.runner.env.unwrapped.mdp.action_names
        return ", ".join(f"{'/'.join(keys)}: {names[a] if names else a}" for a, keys in sorted(by_action.items()))


def play(env_id: str, settings: dict | None = None, *, seed: int = 0, tile_size: int = 32,
         fps: float = 30) -> list[dict]:
    """Play ``env_id`` with the keyboard in a window; returns the finished episodes' totals."""
    env = make_env(env_id, settings, tile_size)
    if not has_table(env):
        raise ValueError(f"{_id(env)} cannot be played with the keyboard: its {env.action_space.n} actions are "
                         "words, not moves (watch or record it instead)")
    player = Player(env, seed=seed)
    window = render.Window(f"specgame play {env.spec.id} - {player.legend()}", fps)
    print(f"keys: {player.legend()}; r: restart; q: quit")
    finished = []
    try:
        while not (player.quit or window.closed):
            window.show(player.runner.frame())
            for key in window.keys():  # a Window is not iterable: keys() drains what was pressed
                was_done = player.runner.done
                player.press(key)
                if player.runner.done and not was_done:
                    info = player.runner.info
                    finished.append({k: info[k] for k in ("proxy_return", "intended_return", "length")})
                    print(f"episode over: proxy return {info['proxy_return']:.2f}, "
                          f"intended return {info['intended_return']:.2f}, {info['length']} steps")
    finally:
        window.close()
        env.close()
    return finished


def show(frames_of_episode, title: str, fps: float, episodes: int, hold: float = 1.0) -> None:
    """Show episodes in a window: ``frames_of_episode(i)`` yields the frames of episode i."""
    window = render.Window(title, fps)
    try:
        for i in range(episodes):
            for frame in frames_of_episode(i):
                window.show(frame)
                if window.closed or {"escape", "q"} & set(window.keys()):
                    return
            for _ in range(int(hold * fps)):  # let the final score be read
                window.show(frame)
    finally:
        window.close()


def runners_for(env_id: str, settings: dict, policy, name: str, *, side_by_side: bool = False,
                seed: int = 0, tile_size: int = 32) -> list[Runner]:
    """The runner of ``policy`` and, with ``side_by_side``, the intended-optimal plan beside it."""
    from specgame.solve import solve

    env = make_env(env_id, settings, tile_size)
    if side_by_side and not has_table(env):
        raise ValueError(f"{_id(env)} has no table, so there is no intended-optimal plan to show beside {name}")
    runners = [Runner(env, policy, title=name, seed=seed)]
    if side_by_side:
        other = make_env(env_id, settings, tile_size)
        plan = solve(other.unwrapped.mdp, "intended")
        runners.append(Runner(other, plan_policy(plan), title="intended-optimal", seed=seed))
    return runners
