"""Tabular agents shaped like Stable-Baselines3: ``QLearning(env, ...).learn(steps)``.

This module is the face: it checks hyper-parameters where they enter, owns the agent's
state between training calls, and saves it.  The loop itself is in ``_kernels.py``.

The agent learns on observation ids (``mdp.obs[s]``), never on the hidden state, so
states drawn alike are one row of the Q-table: partial observability is real here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from specgame import rng
from specgame._checks import check_int
from specgame._files import atomic_write, json_bytes, read_npz
from specgame._settings import setting, validate
from specgame._version import __version__
from specgame.agents import _kernels as K
from specgame.agents._settings import check_same_env, configure, discount, env_record
from specgame.agents.base import History
from specgame.mdp import TabularMDP, to_mdp

FORMAT = "specgame.TabularAgent"
FORMAT_VERSION = 1
NO_LIMIT = np.iinfo(np.int64).max
HISTORY_CHUNK = 1 << 15  # episodes per kernel call; bounds memory when episodes are short
DEFAULT_CHECKPOINT_EVERY = 100_000  # steps between checkpoints: a fraction of a second of training


@dataclass(frozen=True)
class TabularConfig:
    """Hyper-parameters of a tabular agent, checked on construction."""

    alpha: float = setting(0.1, "Step size (learning rate) at the start", low=0, high=1, low_open=True)
    gamma: float = discount()
    epsilon: float = setting(0.1, "Exploration rate of the ε-greedy behaviour policy at the start", low=0.0, high=1.0)
    q0: float = setting(0.0, "Initial value of every Q-table entry (optimism when above the returns)", kind="number")
    epsilon_end: float | None = setting(None, "Exploration rate after the decay (None keeps ε constant)",
                                        low=0.0, high=1.0, kind="number")
    alpha_end: float | None = setting(None, "Step size after the decay (None keeps α constant)",
                                      low=0, high=1, low_open=True, kind="number")
    decay_fraction: float = setting(1.0, "Fraction of ``schedule_steps`` over which ε and α decay linearly",
                                    low=0.0, high=1.0)
    schedule_steps: int | None = setting(None, "Steps the schedule spans (None: ``total_steps`` of the first "
                                         "``learn`` call)", low=1, kind="int")
    seed: int = setting(0, "Seed of the agent's random generator (exploration, tie-breaking, episode starts)",
                        kind="seed")

    def __post_init__(self):
        validate(self)  # checked only: the values are kept as given, so the kernel sees exactly the same numbers

    @property
    def decays(self) -> bool:
        return self.epsilon_end is not None or self.alpha_end is not None

    def params(self, schedule_steps: int | None) -> np.ndarray:
        """The kernel's ``params`` array."""
        params = np.zeros(K.N_PARAMS)
        params[K.ALPHA_START] = self.alpha
        params[K.ALPHA_END] = self.alpha if self.alpha_end is None else self.alpha_end
        params[K.EPSILON_START] = self.epsilon
        params[K.EPSILON_END] = self.epsilon if self.epsilon_end is None else self.epsilon_end
        params[K.GAMMA] = self.gamma
        params[K.DECAY_STEPS] = self.decay_fraction * schedule_steps if schedule_steps else 0.0
        return params


class TabularAgent:
    """Common base of :class:`SARSA`, :class:`ExpectedSARSA` and :class:`QLearning`.

    ``env`` is a ``TabularMDP``, one of our envs, a Gymnasium toy-text env (FrozenLake,
    CliffWalking, Taxi) or an env id.  Behaviour is ε-greedy on ``q[obs]`` with random
    tie-breaking; ``learn`` may be called repeatedly and continues where it stopped,
    in the middle of an episode if need be.

    Settings: a :class:`TabularConfig` as ``config``, and/or its fields as keywords, which
    override the config's (``QLearning(env, alpha=0.2, seed=1)``); ``agent.config`` holds them.
    """

    algorithm: int
    name: str
    # The agent contract's facts (specgame.agents.base.Agent).
    config_class = TabularConfig
    obs_mode = "index"  # observation ids: rows of the Q-table
    has_table = True
    resumable = True  # a checkpoint holds the generator and the episode in progress

    def __init__(self, env, config: TabularConfig | None = None, **settings):
        mdp = to_mdp(env)
        self._start(configure(TabularConfig, config, settings), mdp, _describe(mdp), env_record(env, mdp))

    def _start(self, config: TabularConfig, mdp: TabularMDP | None, mdp_record: dict, env: dict) -> None:
        """Every attribute of a new agent; ``mdp`` is None only for an agent loaded without an env."""
        self.config = config
        self.seed = int(config.seed)
        self.mdp = mdp
        self._mdp_record = mdp_record
        self._env_record = env
        n_obs, (_, n_actions) = mdp_record["n_obs"], mdp_record["shape"][:2]
        self.q = np.full((n_obs, n_actions), float(config.q0))
        self._rng = rng.seed_state(self.seed)
        self._carry_i = np.zeros(K.N_CARRY_I, np.int64)
        self._carry_i[[K.STATE, K.PENDING_ACTION]] = -1  # between episodes, no action chosen yet
        self._carry_f = np.zeros(K.N_CARRY_F)
        self._schedule_steps = self.config.schedule_steps
        self.history = History.empty()
        self._predict_rng = np.random.default_rng(self.seed)  # apart from training's stream

    # -- training ------------------------------------------------------------------------

    def learn(self, total_steps: int | None = None, episodes: int | None = None, checkpoint=None,
              checkpoint_every: int | None = None, progress=None) -> TabularAgent:
        """Train for ``total_steps`` more steps or ``episodes`` more episodes, whichever ends first.

        With ``checkpoint`` (a path), the agent saves itself there atomically every
        ``checkpoint_every`` steps (default 100,000) and at the end.  If training is
        interrupted (Ctrl-C, a crash, a killed process), ``load(checkpoint, env)`` and learning
        the steps that remain ends bit for bit where the uninterrupted run would have: the
        checkpoint holds the generator, the episode in progress, the schedule and the history.
        With ``progress``, ``progress(agent, goal)`` is called at the same moments (``goal``: the
        ``steps_done`` this call ends at, None when it learns by episodes).  Learning in such
        chunks ends exactly where one uninterrupted call does.

        After an exception or Ctrl-C in this call, the agent itself is left as it was at its
        last completed checkpoint (the file may already hold the next one: both lie on the same
        run), or, without ``checkpoint``, as it was before the call.  A Ctrl-C that lands while
        the numba kernel runs takes effect when the kernel returns.
        """
        if checkpoint is None and progress is None:
            saved = self._snapshot()
            try:
                _train([self], total_steps, episodes, parallel=False)
            except BaseException:
                self._restore(saved)  # an interrupt between updating q and the generator, say
                raise
            return self
        every = check_int("checkpoint_every", DEFAULT_CHECKPOINT_EVERY if checkpoint_every is None
                          else checkpoint_every, 1)
        _check_limits(total_steps, episodes)
        if self.mdp is None:
            raise ValueError(f"{self!r} was loaded without an env; pass env= to load to continue training")
        before = self._snapshot()
        if self._schedule_steps is None and self.config.decays and total_steps is not None:
            # Fix the schedule to the whole call now, not to the first chunk of it.
            self._schedule_steps = self.steps_done + int(total_steps)
        step_goal = None if total_steps is None else self.steps_done + int(total_steps)
        episode_goal = None if episodes is None else self.episodes_done + int(episodes)
        while True:
            saved = self._snapshot()
            try:
                chunk = every if step_goal is None else min(every, step_goal - self.steps_done)
                _train([self], chunk, None if episode_goal is None else episode_goal - self.episodes_done,
                       parallel=False)
                if checkpoint is not None:
                    self.save(checkpoint)
                if progress is not None:
                    progress(self, step_goal)
            except BaseException:
                self._restore(saved if checkpoint is not None else before)  # never a half-updated agent
                raise
            if ((step_goal is not None and self.steps_done >= step_goal)
                    or (episode_goal is not None and self.episodes_done >= episode_goal)):
                return self

    @classmethod
    def train_seeds(cls, env, seeds=range(8), total_steps: int | None = None, progress=None,
                    episodes: int | None = None, **settings) -> list[TabularAgent]:
        """One agent per seed, all trained at once in parallel threads (:func:`train_seeds`);
        ``progress(agent, goal)`` is called for each when they are done."""
        agents = train_seeds(cls, env, seeds, total_steps, episodes, **settings)
        if progress is not None:
            for agent in agents:
                progress(agent, agent.steps_done)
        return agents

    def _snapshot(self) -> tuple:
        # Training replaces these objects rather than mutating them, so references suffice.
        return self.q, self._rng, self._carry_i, self._carry_f, self.history, self._schedule_steps

    def _restore(self, saved: tuple) -> None:
        self.q, self._rng, self._carry_i, self._carry_f, self.history, self._schedule_steps = saved

    @property
    def steps_done(self) -> int:
        return int(self._carry_i[K.STEPS_DONE])

    @property
    def episodes_done(self) -> int:
        return int(self._carry_i[K.EPISODES_DONE])

    @property
    def epsilon_now(self) -> float:
        """The agent's ε at its current step (the schedule's value)."""
        params = self.config.params(self._schedule_steps)
        return float(K.scheduled(params[K.EPSILON_START], params[K.EPSILON_END], self.steps_done,
                                 params[K.DECAY_STEPS]))

    # -- acting --------------------------------------------------------------------------

    @property
    def policy(self) -> np.ndarray:
        """The greedy action of each observation (lowest index on ties)."""
        return np.argmax(self.q, axis=1)

    def policy_table(self, env) -> np.ndarray:
        """The greedy action of every observation id of ``env`` (an env, an id or a TabularMDP with
        this agent's observations and actions): :attr:`policy`."""
        mdp = to_mdp(env)
        if (mdp.n_obs, mdp.shape[1]) != self.q.shape:
            raise ValueError(f"policy_table needs an env with this agent's {self.q.shape[0]} observations and "
                             f"{self.q.shape[1]} actions, got {mdp.name!r} with {mdp.n_obs} and {mdp.shape[1]}")
        return self.policy

    def predict(self, observation, deterministic: bool = True):
        """``(action, None)`` like Stable-Baselines3; ``observation`` is an id or an array of ids.

        Not deterministic: ε-greedy with the current ε, drawn from a generator separate
        from training's, so predicting never changes what training does next.
        """
        ids = np.asarray(observation)
        n_obs = self.q.shape[0]
        if ids.dtype == np.bool_ or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"observation must be an observation id (int) or an array of them, "
                             f"got {observation!r}")
        if ids.size and (ids.min() < 0 or ids.max() >= n_obs):
            bad = ids[(ids < 0) | (ids >= n_obs)].flat[0]
            raise ValueError(f"observation id must be in [0, {n_obs}), got {bad}")
        actions = self.policy[ids]
        if not deterministic:
            explore = self._predict_rng.random(ids.shape) < self.epsilon_now
            random_actions = self._predict_rng.integers(self.q.shape[1], size=ids.shape)
            actions = np.where(explore, random_actions, actions)
        return (int(actions) if ids.ndim == 0 else actions), None

    # -- files ---------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the agent as ``.npz`` with a JSON header; atomic, loaded without pickle."""
        header = {"format": FORMAT, "version": FORMAT_VERSION, "algorithm": self.name,
                  "config": asdict(self.config), "seed": self.seed,
                  "schedule_steps": self._schedule_steps, "steps_done": self.steps_done,
                  "episodes_done": self.episodes_done, "mdp": self._mdp_record, "env": self._env_record,
                  "versions": {"specgame": __version__, "numpy": np.__version__}}
        arrays = {"q": self.q, "rng": self._rng, "carry_i": self._carry_i, "carry_f": self._carry_f,
                  "proxy_return": self.history.proxy_return,
                  "intended_return": self.history.intended_return, "length": self.history.length,
                  "header": json_bytes(header)}
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(cls, path, env=None, check_env: bool = True) -> TabularAgent:
        """Read an agent written by :meth:`save`.  Without ``env`` it can act but not train.

        Called on the base class, returns whichever algorithm the file holds.  An ``env``
        whose id or game settings differ from those the agent trained on is refused (a model
        paid nothing to finish would otherwise meet a finish bonus without a word);
        ``check_env=False`` loads it anyway, for a deliberate transfer.
        """
        arrays, header = read_npz(path, FORMAT, FORMAT_VERSION)
        algorithm = header.get("algorithm")
        if algorithm not in ALGORITHMS:
            raise ValueError(f"{path} holds an agent of unknown algorithm {algorithm!r}; "
                             f"known: {', '.join(ALGORITHMS)}")
        agent_cls = ALGORITHMS[algorithm]
        if cls is not TabularAgent and agent_cls is not cls:
            raise ValueError(f"{path} holds a {algorithm} agent, not {cls.name}; "
                             f"use {algorithm}.load or TabularAgent.load")
        try:
            # The seed is written beside the config too (files before seed joined the config).
            config = TabularConfig(**{f.name: header["config"][f.name] for f in fields(TabularConfig)
                                      if f.name != "seed"}, seed=header["seed"])
            record = header["mdp"]
            seed, schedule_steps = header["seed"], header["schedule_steps"]
            q, state, carry_i, carry_f = arrays["q"], arrays["rng"], arrays["carry_i"], arrays["carry_f"]
            history = History(arrays["proxy_return"], arrays["intended_return"], arrays["length"])
            n_obs, (n_states, n_actions) = record["n_obs"], record["shape"][:2]
            horizon = record["horizon"]
        except KeyError as missing:
            raise ValueError(f"{path} is not a complete specgame agent file: {missing} is missing") from None
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path} holds an invalid agent record: {err}") from None
        for name, value in (("seed", seed), ("n_obs", n_obs), ("states", n_states), ("actions", n_actions),
                            ("horizon", horizon)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
                raise ValueError(f"{path}: {name} must be a non-negative int, got {value!r}")
        if schedule_steps is not None and (isinstance(schedule_steps, bool) or not isinstance(schedule_steps, int)
                                           or schedule_steps < 1):
            raise ValueError(f"{path}: schedule_steps must be None or a positive int, got {schedule_steps!r}")
        _check_array(path, "q", q, np.float64, (n_obs, n_actions))
        _check_array(path, "rng", state, np.uint64, (4,))
        _check_array(path, "carry_i", carry_i, np.int64, (K.N_CARRY_I,))
        _check_array(path, "carry_f", carry_f, np.float64, (K.N_CARRY_F,))
        n = len(history.length)
        for name in ("proxy_return", "intended_return", "length"):
            _check_array(path, name, arrays[name], np.int64 if name == "length" else np.float64, (n,))
        _check_progress(path, q, state, carry_i, carry_f, history, n_states, n_actions, horizon)

        mdp = to_mdp(env) if env is not None else None
        if mdp is not None and (list(mdp.shape) != record["shape"] or mdp.n_obs != n_obs):
            raise ValueError(f"{path} was trained on {record['name']!r} of shape {tuple(record['shape'])} "
                             f"with {n_obs} observations; the env given has shape {mdp.shape} "
                             f"with {mdp.n_obs} observations")
        if mdp is not None and check_env:
            check_same_env(path, header.get("env"), env_record(env, mdp))
        if mdp is not None and carry_i[K.STATE] >= 0 and mdp.terminal[carry_i[K.STATE]]:
            raise ValueError(f"{path}: the episode in progress stands in terminal state {carry_i[K.STATE]}")
        if mdp is not None:
            agent = agent_cls(mdp, config)
            agent._env_record = header.get("env") or agent._env_record  # keep naming the env it trained on
        else:  # no env to construct on: the same start, from the table's recorded shape
            agent = agent_cls.__new__(agent_cls)
            agent._start(config, None, record, header.get("env"))
        agent._restore((q.copy(), state.copy(), carry_i.copy(), carry_f.copy(), history, schedule_steps))
        return agent

    def __repr__(self) -> str:
        env = self._mdp_record["name"] if self._mdp_record else "no env"
        return f"{self.name}({env!r}, steps_done={self.steps_done}, episodes={self.episodes_done})"


class SARSA(TabularAgent):
    """On-policy TD control: bootstraps on the action the behaviour policy takes next.

    Because it learns the value of the ε-greedy policy it follows, it keeps away from
    states where exploration is costly (the cliff edge, the whisky).
    """

    algorithm = K.SARSA
    name = "SARSA"


class ExpectedSARSA(TabularAgent):
    """SARSA with the expectation over the next action instead of a sample of it."""

    algorithm = K.EXPECTED_SARSA
    name = "ExpectedSARSA"


class QLearning(TabularAgent):
    """Off-policy TD control: bootstraps on the greedy action, whatever is taken next.

    It learns the value of the greedy policy, so it ignores what its own exploration
    costs, and ignores the exploration the environment forces on it (it drinks the whisky).
    """

    algorithm = K.Q_LEARNING
    name = "QLearning"


ALGORITHMS = {cls.name: cls for cls in (SARSA, ExpectedSARSA, QLearning)}


def train_seeds(agent_cls: type[TabularAgent], env, seeds=range(8), total_steps: int | None = None,
                episodes: int | None = None, **hyper) -> list[TabularAgent]:
    """Train one agent per seed, in parallel threads; each equals ``agent_cls(env, seed=s).learn(...)``."""
    if not (isinstance(agent_cls, type) and issubclass(agent_cls, TabularAgent)) or agent_cls is TabularAgent:
        raise ValueError(f"agent_cls must be SARSA, ExpectedSARSA or QLearning, got {agent_cls!r}")
    mdp = to_mdp(env)
    agents = [agent_cls(mdp, seed=seed, **hyper) for seed in seeds]
    for agent in agents:
        agent._env_record = env_record(env, mdp)  # the id too, which the compiled table does not know
    if not agents:
        raise ValueError("seeds must name at least one seed")
    _train(agents, total_steps, episodes, parallel=True)
    return agents


# -- the training driver ---------------------------------------------------------------------


def _train(agents: list[TabularAgent], total_steps, episodes, parallel: bool) -> None:
    """Run the kernel on the agents (which share one MDP and config) until their limits."""
    _check_limits(total_steps, episodes)
    first = agents[0]
    if first.mdp is None:
        raise ValueError(f"{first!r} was loaded without an env; pass env= to load to continue training")
    if first._schedule_steps is None and first.config.decays:
        if total_steps is None:
            raise ValueError("a decaying ε or α needs schedule_steps when learning by episodes")
        for agent in agents:
            agent._schedule_steps = agent.steps_done + int(total_steps)

    mdp = first.mdp
    arrays = K.mdp_arrays(mdp)
    params = first.config.params(first._schedule_steps)
    n = len(agents)
    step_limit = np.array([a.steps_done + total_steps if total_steps else NO_LIMIT for a in agents], np.int64)
    episode_limit = np.array([a.episodes_done + episodes if episodes else NO_LIMIT for a in agents], np.int64)
    # Each episode takes a step, so total_steps also bounds the episodes of this call.
    capacity = min(HISTORY_CHUNK, total_steps or HISTORY_CHUNK, episodes or HISTORY_CHUNK)
    q = np.stack([a.q for a in agents])
    state = np.stack([a._rng for a in agents])
    carry_i = np.stack([a._carry_i for a in agents])
    carry_f = np.stack([a._carry_f for a in agents])
    proxy_returns, intended_returns = np.zeros((n, capacity)), np.zeros((n, capacity))
    lengths = np.zeros((n, capacity), np.int64)
    recorded = np.zeros(n, np.int64)
    chunks = [[(a.history.proxy_return, a.history.intended_return, a.history.length)] for a in agents]
    while True:
        if parallel:
            K.train_many(first.algorithm, arrays, mdp.horizon, q, state, carry_i, carry_f, params,
                         step_limit, episode_limit, proxy_returns, intended_returns, lengths, recorded)
        else:
            recorded[0] = K.train(first.algorithm, arrays, mdp.horizon, q[0], state[0], carry_i[0],
                                  carry_f[0], params, step_limit[0], episode_limit[0],
                                  proxy_returns[0], intended_returns[0], lengths[0])
        for i, m in enumerate(recorded):
            chunks[i].append((proxy_returns[i, :m].copy(), intended_returns[i, :m].copy(),
                              lengths[i, :m].copy()))
        if (recorded < capacity).all():  # every run stopped at a limit, not at a full buffer
            break
    for i, agent in enumerate(agents):
        # One agent takes its row of the stack as it is: a copy would hold a third Q-table at
        # once (0.35 GB on the largest table); several copy theirs, or each would keep the stack.
        agent.q, agent._rng = (q[0] if n == 1 else q[i].copy()), state[i].copy()
        agent._carry_i, agent._carry_f = carry_i[i].copy(), carry_f[i].copy()
        agent.history = History(*(np.concatenate(parts) for parts in zip(*chunks[i], strict=True)))


# -- checks ---------------------------------------------------------------------------------


def _check_limits(total_steps, episodes) -> None:
    if total_steps is None and episodes is None:
        raise ValueError("learn needs total_steps or episodes (or both), got neither")
    if total_steps is not None:
        check_int("total_steps", total_steps, 1)
    if episodes is not None:
        check_int("episodes", episodes, 1)


def _check_array(path, name, array, dtype, shape) -> None:
    if array.dtype != dtype or array.shape != tuple(shape):
        raise ValueError(f"{path}: {name} should be {np.dtype(dtype).name} of shape {tuple(shape)}, "
                         f"got {array.dtype.name} of shape {array.shape}")


def _check_progress(path, q, state, carry_i, carry_f, history, n_states, n_actions, horizon) -> None:
    """Refuse a file whose training state the kernel could not resume safely.

    The kernel indexes arrays without bounds checks, so an out-of-range state or pending
    action would read stray memory; an all-zero generator would never leave zero.
    """
    def bad(what):
        raise ValueError(f"{path} holds an inconsistent training state: {what}")

    at, step, pending = (int(carry_i[i]) for i in (K.STATE, K.STEP, K.PENDING_ACTION))
    steps, episodes = int(carry_i[K.STEPS_DONE]), int(carry_i[K.EPISODES_DONE])
    if not np.isfinite(q).all():
        bad("the Q-table holds NaN or inf")
    if not state.any():
        bad("the random generator state is all zeros")
    if not -1 <= at < n_states:
        bad(f"current state {at} is not in [-1, {n_states})")
    if not -1 <= pending < n_actions or (pending >= 0 and at < 0):
        bad(f"pending action {pending} is not in [-1, {n_actions}) or has no episode")
    if at >= 0 and not 0 <= step < horizon:
        bad(f"the episode in progress is at step {step}, outside [0, {horizon})")
    if episodes != len(history):
        bad(f"{episodes} episodes done but {len(history)} in the history")
    if (history.length < 1).any() or (history.length > horizon).any():
        bad(f"an episode length lies outside [1, {horizon}]")
    if steps != int(history.length.sum()) + (step if at >= 0 else 0):
        bad(f"{steps} steps done, but the episodes add up to {int(history.length.sum())}")
    if not (np.isfinite(carry_f).all() and np.isfinite(history.proxy_return).all()
            and np.isfinite(history.intended_return).all()):
        bad("a return is NaN or inf")


def _describe(mdp: TabularMDP) -> dict:
    return {"name": mdp.name, "meta": mdp.meta, "shape": list(mdp.shape), "n_obs": mdp.n_obs,
            "horizon": mdp.horizon}
