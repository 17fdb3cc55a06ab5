"""SpecGameEnv: one Gymnasium env for every compiled game.

It steps through the TabularMDP, so it runs exactly the dynamics the solver plans over
and the agents train on.  ``reward`` is the proxy; ``info["intended_reward"]`` is what the
designer meant, and ``info`` carries the episode's totals so far at every step.
"""

from __future__ import annotations

import importlib

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from specgame import _checks, grid, keys, render
from specgame.game import check_game
from specgame.mdp import TabularMDP
from specgame.policy import observations

OBS_MODES = ("index", "board", "onehot", "rgb")


class SpecGameEnv(gym.Env):
    """A Gymnasium env over a TabularMDP.

    A game's env declares its rules module (see :class:`specgame.game.Game`) in its class
    line, ``class BoatRaceLoopEnv(SpecGameEnv, rules=__name__)`` (a module or its name),
    which checks the module and sets the class attribute ``rules``; the env then takes the
    game's parameters as keyword arguments.  ``SpecGameEnv(mdp=table)`` wraps any table.

    Observation modes (``obs_mode``): ``"index"`` Discrete(n_obs) ids, for tabular agents;
    ``"board"`` H×W uint8 character codes; ``"onehot"`` C×H×W float32 planes, one per
    board character, for neural networks; ``"rgb"`` the rendered picture.
    The episode truncates itself after ``horizon`` steps (the game's parameter), so the
    limit the solver plans with is the limit the env enforces.

    ``info`` after each step holds ``intended_reward``, the episode's totals so far
    (``proxy_return``, ``intended_return``, ``length``), so an outer ``TimeLimit`` (e.g.
    ``gymnasium.make(id, max_episode_steps=20)``) still ends with them, and
    ``forced_epsilon`` where the game hands the agent's exploration over.
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 8}
    rules = None
    summary_proxy = ""
    summary_intended = ""

    def __init_subclass__(cls, rules=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if rules is not None:
            cls.rules = check_game(importlib.import_module(rules) if isinstance(rules, str) else rules)

    def __init__(self, render_mode: str | None = None, obs_mode: str = "index", tile_size: int = 32,
                 mdp: TabularMDP | None = None, **config):
        _checks.check_choice("render_mode", render_mode, [None, *self.metadata["render_modes"]])
        _checks.check_choice("obs_mode", obs_mode, OBS_MODES)
        _checks.check_int("tile_size", tile_size, 1, 512)
        if mdp is None:
            if self.rules is None:
                raise TypeError("SpecGameEnv needs a TabularMDP (mdp=...) or a subclass with rules")
            mdp = grid.compile(self.rules, **config)
        elif config:
            raise TypeError(f"game parameters {sorted(config)} need a game, not a ready table")
        if obs_mode != "index" and mdp.boards is None:
            raise ValueError(f"obs_mode {obs_mode!r} needs boards; {mdp.name} has only ids (use 'index')")
        self.mdp = mdp
        self._start_states = np.flatnonzero(mdp.initial)
        self.config = config
        self.render_mode = render_mode
        self.obs_mode = obs_mode
        self.tile_size = int(tile_size)
        self.action_space = spaces.Discrete(mdp.n_actions)
        self.observation_space = self._observation_space()
        self._state = None
        self._t, self._proxy_return, self._intended_return = 0, 0.0, 0.0
        self._window = None

    def _observation_space(self):
        mdp = self.mdp
        if self.obs_mode == "index":
            return spaces.Discrete(mdp.n_obs)
        height, width = mdp.boards.shape[1:]
        if self.obs_mode == "board":
            return spaces.Box(0, len(mdp.alphabet) - 1, (height, width), np.uint8)
        if self.obs_mode == "onehot":
            return spaces.Box(0.0, 1.0, (len(mdp.alphabet), height, width), np.float32)
        return spaces.Box(0, 255, (height * self.tile_size, width * self.tile_size, 3), np.uint8)

    # -- the loop ------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        mdp = self.mdp
        # Drawn among the possible starts only (the same draw as over all states: the
        # states in between have probability 0), so a reset costs O(starts), not O(S).
        starts = self._start_states
        self._state = int(starts[self.np_random.choice(len(starts), p=mdp.initial[starts])])
        self._t = 0
        self._proxy_return = 0.0
        self._intended_return = 0.0
        self._done = False
        if self.render_mode == "human":
            self.render()
        return self._observe(), {}

    def step(self, action):
        if self._state is None:
            raise ResetNeeded("step() was called before reset(); call env.reset() first")
        if self._done:
            raise ResetNeeded("the episode has ended; call env.reset() before stepping again")
        a = self._check_action(action)
        mdp, s = self.mdp, self._state
        u = self.np_random.random()  # drawn even when the outcome is certain: the same stream either way
        k = 0
        if not mdp.deterministic:
            prob = mdp.outcome_prob[s, a]
            k = min(int(np.searchsorted(np.cumsum(prob), u, side="right")), int(np.flatnonzero(prob)[-1]))
        self._t += 1
        values = mdp.reward_values
        speed = values[mdp.speed_code[s, a, k]] if mdp.speed_code is not None else 0.0
        proxy = float(values[mdp.proxy_code[s, a, k]])
        intended = float(values[mdp.intended_code[s, a, k]] + speed * (mdp.horizon - self._t) / mdp.horizon)
        self._state = int(mdp.next_state[s, a, k])
        self._proxy_return += proxy
        self._intended_return += intended
        terminated = bool(mdp.terminal[self._state])
        truncated = not terminated and self._t >= mdp.horizon
        info = {"intended_reward": intended, "proxy_return": self._proxy_return,
                "intended_return": self._intended_return, "length": self._t}
        forced = mdp.forced_epsilon_of(self._state)
        if not np.isnan(forced):
            info["forced_epsilon"] = forced
        self._done = terminated or truncated
        if self.render_mode == "human":
            self.render()
        return self._observe(), proxy, terminated, truncated, info

    def _check_action(self, action) -> int:
        if isinstance(action, np.ndarray) and action.shape == ():
            action = action.item()
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
            raise ValueError(f"action must be an integer in [0, {self.mdp.n_actions}), got {action!r}")
        if not 0 <= action < self.mdp.n_actions:
            raise ValueError(f"action must be in [0, {self.mdp.n_actions}), got {action}")
        return int(action)

    def _observe(self):
        o = int(self.mdp.obs[self._state])
        if self.obs_mode == "index":
            return o
        if self.obs_mode in ("board", "onehot"):
            return observations(self.mdp, self.obs_mode, [o])[0]
        return render.rasterise(self.board(), self.tile_size, self.mdp.tiles)

    # -- looking at it -------------------------------------------------------------------

    @property
    def state(self) -> dict:
        """The current state's fields (for teaching and debugging; agents see observations)."""
        return self.mdp.state_dict(self._state) if self._state is not None else {}

    def board(self) -> list[str]:
        if self._state is None:
            raise ResetNeeded("there is no board before reset()")
        return self.mdp.board(self._state)

    @property
    def state_index(self) -> int | None:
        """The current state's row in the TabularMDP (None before reset), for plans and overlays."""
        return self._state

    @property
    def steps_taken(self) -> int:
        """Steps taken in the current episode (the row of a Plan's ``actions`` to act on)."""
        return self._t

    def hud_values(self) -> render.Hud:
        """Step, proxy return and intended return of the episode so far, as the window shows them."""
        return render.Hud(step=self._t, proxy_return=self._proxy_return,
                          intended_return=self._intended_return, horizon=self.mdp.horizon)

    def hud(self) -> str:
        t, proxy, intended = self._t, self._proxy_return, self._intended_return
        return f"step {t}  proxy {proxy:.2f}  intended {intended:.2f}  gap {proxy - intended:+.2f}"

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() was called without a render_mode; pass render_mode=... to make()")
            return None
        if self.render_mode == "ansi":
            return render.ansi(self.board()) + "\n" + self.hud() + "\n"
        frame = render.rasterise(self.board(), self.tile_size, self.mdp.tiles)
        if self.render_mode == "rgb_array":
            return frame
        if self._window is None:
            self._window = render.Window(self.spec.id if self.spec else type(self).__name__,
                                         self.metadata["render_fps"])
        self._window.show(frame, self.hud_values())
        return None

    def close(self):
        if self._window is not None:
            self._window.close()
            self._window = None

    def get_keys_to_action(self) -> dict[tuple[int], int]:
        """The keys of `specgame play` (arrows / WASD / hjkl, space, digits) as pygame key codes, for
        ``gymnasium.utils.play.play``.  It steps on every frame with ``noop`` when no key is held, so
        play turn by turn: ``play(env, wait_on_player=True)`` with an ``rgb_array`` env."""
        return keys.key_codes(self.mdp.action_names or [str(a) for a in range(self.mdp.n_actions)])

    # -- pickling: tables are rebuilt from the (cached) compile, not copied --------------

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_window"] = None
        if self.rules is not None:
            state["mdp"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.mdp is None:
            self.mdp = grid.compile(self.rules, **self.config)
