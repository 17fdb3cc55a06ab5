"""A torch DQN shaped like the tabular agents: ``DQN(env, ...).learn(steps)``.

One readable file: the networks (an MLP for flat observations, a small CNN for our C×H×W
``onehot`` planes), the replay buffer (preallocated numpy arrays, written a whole vector
step at a time) and the agent (ε-greedy collection, Huber loss, gradient clipping, a hard
or Polyak target network, Double DQN and n-step returns as options).  Its settings, a
dataclass with one line of documentation per field, are in ``dqn_config.py``, which needs
no torch.  Files are ``.npz`` like every specgame file, read by ``_files.read_npz``.

It records what the tabular agents record: the proxy *and* the intended return of every
episode (``info["intended_reward"]`` when the env reports it, the proxy otherwise), so a
DQN that games the reward shows it in ``.history``.

torch is imported only here.  By default torch uses one thread: for networks this small
the work per call is too little to split, and on a 2-core machine a second thread mostly
adds synchronisation (and takes the core the environment steps on).
"""

from __future__ import annotations

import zipfile
from collections import deque
from dataclasses import asdict, fields

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import load_env_creator

from specgame._checks import check_int
from specgame._files import atomic_write, json_bytes, read_npz
from specgame._version import __version__
from specgame.agents._settings import check_same_env, configure, env_record
from specgame.agents.base import History, train_each
from specgame.agents.dqn_config import DQNConfig
from specgame.env import SpecGameEnv
from specgame.ids import resolve_id
from specgame.mdp import TabularMDP
from specgame.nn import import_torch, seeded, threads
from specgame.policy import tabulate

FORMAT = "specgame.DQN"
FORMAT_VERSION = 2  # 2: an .npz like every specgame file (1 was a torch archive)
DEFAULT_PROGRESS_EVERY = 2_000  # steps between progress calls: about a second of training


torch = import_torch("the DQN")
nn = torch.nn
F = torch.nn.functional


# -- networks -----------------------------------------------------------------------------------


class MLP(nn.Module):
    """Linear layers with ReLU between them; input flattened from the second axis.

    Every step is a named submodule called as a module (``layers.0``, ``relus.0``, …,
    ``layers.N``), so forward hooks on any of them fire: :mod:`specgame.interpret` reads
    and steers the activations through those hooks.
    """

    def __init__(self, n_in: int, widths, n_out: int):
        super().__init__()
        sizes = [n_in, *widths, n_out]
        self.flatten = nn.Flatten(1)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.relus = nn.ModuleList(nn.ReLU() for _ in widths)  # no parameters: the initialisation is unchanged

    def forward(self, x):
        x = self.flatten(x)
        *hidden, last = self.layers
        for layer, relu in zip(hidden, self.relus):
            x = relu(layer(x))
        return last(x)


class CNN(nn.Module):
    """3×3 convolutions (padding 1, stride 1, ReLU) over C×H×W planes, then an MLP head.

    Named submodules as in :class:`MLP`: ``convs.i`` and ``relus.i``, then ``head.…``.
    """

    def __init__(self, obs_shape, channels, widths, n_out: int):
        super().__init__()
        sizes = [obs_shape[0], *channels]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(sizes[:-1], sizes[1:]))
        self.relus = nn.ModuleList(nn.ReLU() for _ in channels)
        self.head = MLP(sizes[-1] * obs_shape[1] * obs_shape[2], widths, n_out)

    def forward(self, x):
        for conv, relu in zip(self.convs, self.relus):
            x = relu(conv(x))
        return self.head(x)


def build_network(obs_shape: tuple[int, ...], n_actions: int, config: DQNConfig) -> nn.Module:
    """The Q-network: observation batch [B, *obs_shape] → Q-values [B, n_actions]."""
    kind = config.network
    if kind == "auto":
        kind = "cnn" if len(obs_shape) == 3 else "mlp"
    if kind == "mlp":
        return MLP(int(np.prod(obs_shape)), config.net_arch, n_actions)
    if len(obs_shape) != 3:
        raise ValueError(f"network 'cnn' needs channels-first C×H×W observations, got shape {obs_shape}")
    return CNN(obs_shape, config.cnn_channels, config.net_arch, n_actions)


# -- replay buffer -----------------------------------------------------------------------------


class ReplayBuffer:
    """A ring of transitions in preallocated arrays; ``discount`` is γ^k, or 0 after termination.

    Folding termination into the discount is what makes truncation bootstrap: a truncated
    transition keeps its γ^k, a terminated one gets 0.
    """

    def __init__(self, size: int, obs_shape, obs_dtype):
        self.size = size
        self.obs = np.zeros((size, *obs_shape), obs_dtype)
        self.next_obs = np.zeros((size, *obs_shape), obs_dtype)
        self.action = np.zeros(size, np.int64)
        self.reward = np.zeros(size, np.float32)
        self.discount = np.zeros(size, np.float32)
        self.position = 0
        self.count = 0

    def add(self, obs, action, reward, next_obs, discount) -> None:
        """Add a batch of transitions (arrays with a leading batch axis)."""
        n = len(action)
        if n == 0:
            return
        if n > self.size:  # only the newest fit
            obs, action, reward, next_obs, discount = (x[-self.size:]
                                                       for x in (obs, action, reward, next_obs, discount))
            n = self.size
        start = self.position
        index = slice(start, start + n) if start + n <= self.size else (np.arange(start, start + n) % self.size)
        self.obs[index] = obs
        self.next_obs[index] = next_obs
        self.action[index] = action
        self.reward[index] = reward
        self.discount[index] = discount
        self.position = (start + n) % self.size
        self.count = min(self.count + n, self.size)

    def sample(self, rng: np.random.Generator, batch_size: int):
        """Tensors (obs, action, reward, next_obs, discount) of a uniform sample, with replacement."""
        index = rng.integers(0, self.count, size=batch_size)
        as_tensor = torch.from_numpy
        return (as_tensor(self.obs[index]), as_tensor(self.action[index]), as_tensor(self.reward[index]),
                as_tensor(self.next_obs[index]), as_tensor(self.discount[index]))


# -- the agent ----------------------------------------------------------------------------------


class DQN:
    """Deep Q-learning (Mnih et al. 2015) on any Gymnasium env with a Box observation and Discrete actions.

    ``env`` is an env, an env id (one of our games, with or without ``specgame/``, is made in
    ``obs_mode="onehot"``),
    or a ``gymnasium.vector.SyncVectorEnv`` / ``AsyncVectorEnv`` (default ``next-step``
    autoreset), which collects one transition per env each step.  ``learn`` may be called
    repeatedly and continues where it stopped, in the middle of an episode if need be.

    Settings: a :class:`DQNConfig` as ``config``, and/or its fields as keywords, which
    override the config's (``DQN(env, seed=0, n_step=3)``); ``agent.config`` holds them.
    """

    name = "DQN"
    # The agent contract's facts (specgame.agents.base.Agent).
    config_class = DQNConfig
    obs_mode = "onehot"  # our envs' board planes (any Box observation serves)
    has_table = False  # policy_table tabulates the network on every board
    resumable = False  # the replay buffer and the episode in progress are not saved

    def __init__(self, env, config: DQNConfig | None = None, **settings):
        config = configure(DQNConfig, config, settings)
        env = _make(env)
        n_envs, obs_space, act_space = _spaces(env)
        self._start(config, env, n_envs, tuple(int(n) for n in obs_space.shape), int(act_space.n),
                    _storage_dtype(env, obs_space))

    def _start(self, config: DQNConfig, env, n_envs: int, obs_shape: tuple, n_actions: int, obs_dtype) -> None:
        """Every attribute of a new agent; ``env`` is None only for an agent loaded without one."""
        self.config = config
        self.seed = int(config.seed)
        self.env = env
        self._env_record = env_record(env) if env is not None else None
        self.n_envs, self.obs_shape, self.n_actions, self._obs_dtype = n_envs, obs_shape, n_actions, obs_dtype
        self._build()
        self._buffer = ReplayBuffer(self.config.buffer_size, self.obs_shape, self._obs_dtype)
        self._rng = np.random.default_rng(self.seed)
        self._predict_rng = np.random.default_rng([self.seed, 1])  # apart from training's stream
        self._schedule_steps = self.config.schedule_steps
        self.steps_done = 0
        self._vector_steps = 0
        self.gradient_steps_done = 0
        self._obs = None  # the observation each env acts on next; None before the first reset
        self._episodes = ([], [], [])
        self._history = None

    def _build(self):
        with threads(self.config.num_threads), seeded(self.seed):
            self.q_net = build_network(self.obs_shape, self.n_actions, self.config)
            self.target_net = build_network(self.obs_shape, self.n_actions, self.config)
        self.target_net.load_state_dict(self.q_net.state_dict())
        self.target_net.requires_grad_(False)
        self._params = list(self.q_net.parameters())
        self._target_params = list(self.target_net.parameters())
        # fused: one kernel for the whole update instead of a loop of small ops per tensor
        self.optimizer = torch.optim.Adam(self._params, lr=self.config.learning_rate, fused=True)

    # -- training ------------------------------------------------------------------------

    @property
    def history(self) -> History:
        if self._history is None:
            proxy, intended, length = self._episodes
            self._history = History(np.array(proxy, np.float64), np.array(intended, np.float64),
                                    np.array(length, np.int64))
        return self._history

    @property
    def epsilon_now(self) -> float:
        return self.config.epsilon(self.steps_done, self._schedule_steps)

    def learn(self, total_steps: int, progress=None, checkpoint=None, checkpoint_every: int | None = None,
              progress_bar: bool = False) -> DQN:
        """Collect ``total_steps`` more env steps (rounded up to whole vector steps), training as it goes.

        With ``progress``, ``progress(agent, goal)`` is called every ``checkpoint_every`` steps
        (default 2,000) and at the end; the run is the same as without it.  ``checkpoint`` is
        refused: a saved DQN lacks its replay buffer and the episode in progress, so it cannot
        continue a run bit for bit (``save`` after learning keeps the network).
        """
        check_int("total_steps", total_steps, 1)
        if checkpoint is not None:
            raise ValueError("the DQN writes no checkpoints: its replay buffer and the episode in progress are not "
                             "saved, so it cannot continue a run bit for bit; learn without checkpoint= "
                             "(save() after learning keeps the network)")
        every = check_int("checkpoint_every", DEFAULT_PROGRESS_EVERY if checkpoint_every is None
                          else checkpoint_every, 1)
        if self.env is None:
            raise ValueError(f"{self!r} was loaded without an env; pass env= to DQN.load to continue training")
        if self._schedule_steps is None:
            self._schedule_steps = self.steps_done + int(total_steps)
        goal = self.steps_done + int(total_steps)
        # Collecting stops at a chunk's end and goes on from there: the same run as one stretch.
        every = every if progress is not None else int(total_steps)
        with threads(self.config.num_threads), _progress(progress_bar, total_steps) as advance:
            while self.steps_done < goal:
                self._collect(min(goal, self.steps_done + every), advance)
                self._history = None
                if progress is not None:
                    progress(self, goal)
        return self

    @classmethod
    def train_seeds(cls, env, seeds, total_steps: int, progress=None, **settings) -> list[DQN]:
        """One DQN per seed on ``env``, trained one after another."""
        return train_each(cls, env, seeds, total_steps, progress, **settings)

    def _reset(self):
        obs, _ = self.env.reset(seed=self.seed)
        if not isinstance(self.env, gym.vector.VectorEnv):
            obs = np.asarray(obs)[None]
        n = self.n_envs
        self._obs = np.array(obs, np.float32)  # a copy, as in _collect
        self._ep_proxy = np.zeros(n)
        self._ep_intended = np.zeros(n)
        self._ep_length = np.zeros(n, np.int64)
        self._skip = np.zeros(n, bool)  # vector envs: this env's next step is its autoreset
        self._pending = [deque() for _ in range(n)] if self.config.n_step > 1 else None

    def _collect(self, step_limit: int, advance) -> None:
        config, buffer, rng = self.config, self._buffer, self._rng
        if self._obs is None:
            self._reset()
        vector = isinstance(self.env, gym.vector.VectorEnv)
        n, gamma = self.n_envs, config.gamma
        target_every = max(config.target_update_interval // n, 1)
        while self.steps_done < step_limit:
            obs = self._obs
            actions = self._act(obs, self.epsilon_now, rng)
            if vector:
                next_obs, reward, terminated, truncated, info = self.env.step(actions)
                next_obs = np.array(next_obs, np.float32)  # a copy: vector envs may reuse their array
                intended = _vector_intended(info, reward)
                valid = ~self._skip
            else:
                next_obs, reward, terminated, truncated, info = self.env.step(int(actions[0]))
                next_obs = np.array(next_obs, np.float32)[None]  # a copy: the env may reuse its array
                intended = np.array([info.get("intended_reward", reward)], np.float64)
                reward = np.array([reward], np.float64)
                terminated, truncated = np.array([terminated]), np.array([truncated])
                valid = None
            done = np.logical_or(terminated, truncated)

            if self._pending is None:
                discount = gamma * ~np.asarray(terminated, bool)
                if valid is None or valid.all():
                    buffer.add(obs, actions, reward, next_obs, discount)
                else:
                    buffer.add(obs[valid], actions[valid], reward[valid], next_obs[valid], discount[valid])
            else:
                self._add_n_step(obs, actions, reward, next_obs, terminated, done, valid)

            live = 1 if valid is None else valid
            self._ep_proxy += reward * live
            self._ep_intended += intended * live
            self._ep_length += live
            ended = done if valid is None else done & valid
            if ended.any():
                for i in np.flatnonzero(ended):
                    self._episodes[0].append(float(self._ep_proxy[i]))
                    self._episodes[1].append(float(self._ep_intended[i]))
                    self._episodes[2].append(int(self._ep_length[i]))
                self._ep_proxy[ended], self._ep_intended[ended], self._ep_length[ended] = 0.0, 0.0, 0
                if not vector:
                    first, _ = self.env.reset()
                    next_obs = np.asarray(first, np.float32)[None]
            if vector:
                self._skip = ended

            self._obs = next_obs
            self.steps_done += n
            self._vector_steps += 1
            if self.steps_done > config.learning_starts and self._vector_steps % config.train_freq == 0:
                self._train(config.gradient_steps)
            if self._vector_steps % target_every == 0:
                self._update_target()
            advance(n)

    def _add_n_step(self, obs, actions, reward, next_obs, terminated, done, valid) -> None:
        """Sum rewards over ``n_step`` steps per env; at an episode's end, flush the shorter tails."""
        gamma, n_step = self.config.gamma, self.config.n_step
        windows = []  # (env, [(obs, action, reward), ...], terminated)
        for i, pending in enumerate(self._pending):
            if valid is not None and not valid[i]:
                continue
            pending.append((obs[i], int(actions[i]), float(reward[i])))
            if done[i]:
                steps = list(pending)
                windows += [(i, steps[k:], bool(terminated[i])) for k in range(len(steps))]
                pending.clear()
            elif len(pending) == n_step:
                windows.append((i, list(pending), False))
                pending.popleft()
        if not windows:
            return
        self._buffer.add(
            np.stack([steps[0][0] for _, steps, _ in windows]),
            np.array([steps[0][1] for _, steps, _ in windows]),
            np.array([sum(r * gamma**k for k, (_, _, r) in enumerate(steps)) for _, steps, _ in windows]),
            np.stack([next_obs[i] for i, _, _ in windows]),
            np.array([0.0 if ends else gamma ** len(steps) for _, steps, ends in windows]))

    def _act(self, obs: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
        n = len(obs)
        explore = rng.random(n) < epsilon
        if explore.all():
            return rng.integers(self.n_actions, size=n)
        with torch.inference_mode():
            actions = self.q_net(torch.from_numpy(obs)).argmax(1).numpy()
        if explore.any():
            actions[explore] = rng.integers(self.n_actions, size=int(explore.sum()))
        return actions

    def _train(self, steps: int) -> None:
        config, q_net, target_net = self.config, self.q_net, self.target_net
        for _ in range(steps):
            obs, action, reward, next_obs, discount = self._buffer.sample(self._rng, config.batch_size)
            obs, next_obs = obs.float(), next_obs.float()  # no copy when already float32
            with torch.no_grad():
                next_q = target_net(next_obs)
                if config.double_dqn:
                    best = q_net(next_obs).argmax(1, keepdim=True)
                    next_value = next_q.gather(1, best).squeeze(1)
                else:
                    next_value = next_q.max(1).values
                target = reward + discount * next_value
            q = q_net(obs).gather(1, action.unsqueeze(1)).squeeze(1)
            loss = F.smooth_l1_loss(q, target)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(self._params, config.max_grad_norm, foreach=True)
            if not torch.isfinite(norm):  # NaN/inf loss or gradient: stop before it reaches the weights
                raise FloatingPointError(
                    f"the DQN's loss or gradient became {loss.item()!r} (gradient norm {norm.item()!r}) at "
                    f"gradient step {self.gradient_steps_done:,}, env step {self.steps_done:,}; the weights "
                    "are those of the last good step (save() keeps them). Check rewards for NaN/inf, or "
                    "lower learning_rate")
            self.optimizer.step()
            self.gradient_steps_done += 1

    def _update_target(self) -> None:
        with torch.no_grad():
            if self.config.tau == 1.0:
                torch._foreach_copy_(self._target_params, self._params)
            else:
                torch._foreach_lerp_(self._target_params, self._params, self.config.tau)

    # -- acting --------------------------------------------------------------------------

    def q_values(self, observation) -> np.ndarray:
        """Q-values of one observation [A] or of a batch [B, A]."""
        batch, single = self._as_batch(observation)
        with threads(self.config.num_threads), torch.inference_mode():
            q = self.q_net(torch.from_numpy(batch)).numpy()
        return q[0] if single else q

    def policy_table(self, env, batch_size: int = 4096) -> np.ndarray:
        """The greedy action of every observation id of one of our envs, for the exact comparators.

        ``env`` is a SpecGameEnv (any obs_mode) or a TabularMDP with boards; the agent is
        shown each board as the onehot planes it trained on.  ``gap_report(env, table)``
        then gives this DQN's exact returns and verdict, no sampling.
        """
        mdp = env if isinstance(env, TabularMDP) else getattr(getattr(env, "unwrapped", env), "mdp", None)
        if not isinstance(mdp, TabularMDP) or mdp.boards is None:
            raise ValueError(f"policy_table needs one of our envs (or a TabularMDP with boards), got {env!r}")
        return tabulate(mdp, self, batch_size=batch_size)

    def predict(self, observation, deterministic: bool = True):
        """``(action, None)`` like Stable-Baselines3; ``observation`` is one observation or a batch.

        Not deterministic: ε-greedy with the current ε, from a generator apart from
        training's, so predicting never changes what training does next.
        """
        batch, single = self._as_batch(observation)
        with threads(self.config.num_threads):
            actions = self._act(batch, 0.0 if deterministic else self.epsilon_now, self._predict_rng)
        return (int(actions[0]) if single else actions), None

    def _as_batch(self, observation) -> tuple[np.ndarray, bool]:
        obs = np.asarray(observation, dtype=np.float32)
        if obs.shape == self.obs_shape:
            return obs[None], True
        if obs.shape[1:] == self.obs_shape:
            return obs, False
        raise ValueError(f"observation must have shape {self.obs_shape} or (batch, *{self.obs_shape}), "
                         f"got {obs.shape}")

    # -- files ---------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write weights, optimizer state and settings as ``.npz`` with a JSON header; atomic, no pickle.

        The replay buffer and the random generators' positions are not saved: a loaded agent
        acts exactly as the saved one, but training it on starts a fresh buffer from a
        reseeded generator, so it does not continue the run bit for bit (the tabular agents'
        checkpoints do).
        """
        header = {"format": FORMAT, "version": FORMAT_VERSION, "config": asdict(self.config), "seed": self.seed,
                  "obs_shape": list(self.obs_shape), "n_actions": self.n_actions,
                  "obs_dtype": np.dtype(self._obs_dtype).name, "schedule_steps": self._schedule_steps,
                  "steps_done": self.steps_done, "vector_steps": self._vector_steps,
                  "gradient_steps_done": self.gradient_steps_done, "env": self._env_record,
                  "versions": {"specgame": __version__, "torch": torch.__version__, "numpy": np.__version__}}
        arrays = {"header": json_bytes(header), "proxy_return": self.history.proxy_return,
                  "intended_return": self.history.intended_return, "length": self.history.length}
        for net in ("q_net", "target_net"):
            for key, tensor in getattr(self, net).state_dict().items():
                arrays[f"{net}.{key}"] = tensor.numpy()
        for index, state in self.optimizer.state_dict()["state"].items():
            for key, tensor in state.items():
                arrays[f"optimizer.{index}.{key}"] = tensor.numpy()
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(cls, path, env=None, check_env: bool = True) -> DQN:
        """Read an agent written by :meth:`save`.  Without ``env`` it can act but not train.

        An ``env`` whose id or game settings differ from those the agent trained on is
        refused; ``check_env=False`` loads it anyway, for a deliberate transfer.
        """
        try:
            arrays, header = read_npz(path, FORMAT, FORMAT_VERSION)
        except ValueError:
            if _is_torch_archive(path):  # never unpickled: torch's own archives hold pickles
                raise ValueError(f"{path} is a torch archive, as DQN files were before version {FORMAT_VERSION}; "
                                 "this specgame reads only its .npz files: train the agent again") from None
            raise
        try:
            config = DQNConfig(**{f.name: header["config"][f.name] for f in fields(DQNConfig)})
            obs_shape, n_actions = tuple(header["obs_shape"]), int(header["n_actions"])
            obs_dtype = np.dtype(header["obs_dtype"])
            counters = [int(header[name]) for name in ("steps_done", "vector_steps", "gradient_steps_done")]
            schedule_steps = header["schedule_steps"]
            history = [arrays.pop(name) for name in ("proxy_return", "intended_return", "length")]
        except KeyError as missing:
            raise ValueError(f"{path} is not a complete specgame DQN file: {missing} is missing") from None
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path} holds an invalid DQN record: {err}") from None
        if env is None:  # no env to construct on: the same start, from the recorded spaces
            agent = cls.__new__(cls)
            agent._start(config, None, 1, obs_shape, n_actions, obs_dtype)
            agent._env_record = header.get("env")
        else:
            env = _make(env)
            _, obs_space, act_space = _spaces(env)
            if tuple(obs_space.shape) != obs_shape or int(act_space.n) != n_actions:
                trained_on = (header.get("env") or {}).get("id")
                raise ValueError(f"{path} was trained on {trained_on!r} with observations {obs_shape} and "
                                 f"{n_actions} actions; the env given has {tuple(obs_space.shape)} and "
                                 f"{int(act_space.n)}")
            if check_env:
                check_same_env(path, header.get("env"), env_record(env))
            agent = cls(env, config)
        try:
            agent.q_net.load_state_dict(_tensors(arrays, "q_net"))
            agent.target_net.load_state_dict(_tensors(arrays, "target_net"))
            optimizer = agent.optimizer.state_dict()
            optimizer["state"] = {int(index): _tensors(arrays, f"optimizer.{index}")
                                  for index in sorted({name.split(".")[1] for name in arrays
                                                       if name.startswith("optimizer.")})}
            agent.optimizer.load_state_dict(optimizer)
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(f"{path}: the weights do not fit the network its settings describe: "
                             f"{str(err).splitlines()[0]}") from None
        agent._rng = np.random.default_rng([agent.seed, counters[0]])
        agent.steps_done, agent._vector_steps, agent.gradient_steps_done = counters
        agent._schedule_steps = schedule_steps
        agent._episodes = tuple(h.tolist() for h in history)
        return agent

    def __repr__(self) -> str:
        return f"DQN({_env_name(self.env)!r}, steps_done={self.steps_done}, episodes={len(self._episodes[2])})"


# -- helpers ------------------------------------------------------------------------------------


def _make(env):
    if isinstance(env, str):
        env_id = resolve_id(env)
        entry = gym.spec(env_id).entry_point
        maker = load_env_creator(entry) if isinstance(entry, str) else entry
        if isinstance(maker, type) and issubclass(maker, SpecGameEnv):  # one of our games: its board planes
            return gym.make(env_id, obs_mode=DQN.obs_mode)
        return gym.make(env_id)
    if not isinstance(env, (gym.Env, gym.vector.VectorEnv)):
        raise ValueError(f"env must be a Gymnasium env, vector env or env id, got {type(env).__name__}")
    return env


def _spaces(env):
    if isinstance(env, gym.vector.VectorEnv):
        mode = env.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP)
        if mode != gym.vector.AutoresetMode.NEXT_STEP and str(mode) != "NextStep":
            raise ValueError(f"vector envs must use autoreset_mode NEXT_STEP (Gymnasium's default), got {mode}")
        n, obs_space, act_space = env.num_envs, env.single_observation_space, env.single_action_space
    else:
        n, obs_space, act_space = 1, env.observation_space, env.action_space
    if not isinstance(obs_space, gym.spaces.Box):
        raise ValueError(f"the DQN needs a Box observation space, got {obs_space} "
                         f"(for our envs pass obs_mode='onehot')")
    if not isinstance(act_space, gym.spaces.Discrete):
        raise ValueError(f"the DQN needs a Discrete action space, got {act_space}")
    if act_space.start != 0:
        raise ValueError(f"the DQN needs actions numbered from 0, got {act_space}")
    return n, obs_space, act_space


def _storage_dtype(env, obs_space) -> np.dtype:
    """uint8 for observations that are small whole numbers (our onehot planes: 4× less memory)."""
    if np.issubdtype(obs_space.dtype, np.integer) and obs_space.low.min() >= 0 and obs_space.high.max() <= 255:
        return np.dtype(np.uint8)
    first = env.envs[0] if isinstance(env, gym.vector.SyncVectorEnv) else env
    if getattr(getattr(first, "unwrapped", None), "obs_mode", None) == "onehot":
        return np.dtype(np.uint8)
    return np.dtype(np.float32)


def _vector_intended(info: dict, reward: np.ndarray) -> np.ndarray:
    if "intended_reward" not in info:
        return np.asarray(reward, np.float64)
    mask = info.get("_intended_reward")
    values = np.asarray(info["intended_reward"], np.float64)
    return values if mask is None else np.where(mask, values, reward)


def _env_name(env) -> str | None:
    if env is None:
        return None
    spec = getattr(env, "spec", None)
    return spec.id if spec is not None else type(env).__name__


class _progress:
    """A rich progress bar when asked for; otherwise a no-op ``advance``."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total = enabled, total

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import Progress

        self.bar = Progress()
        self.bar.start()
        task = self.bar.add_task("DQN", total=self.total)
        counter = [0]

        def advance(n):
            counter[0] += n
            if counter[0] >= 1000:
                self.bar.advance(task, counter[0])
                counter[0] = 0

        return advance

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.stop()


def _is_torch_archive(path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/data.pkl") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _tensors(arrays: dict, prefix: str) -> dict:
    """The tensors saved under ``prefix.`` (a state dict), by their names after it."""
    return {name[len(prefix) + 1:]: torch.from_numpy(array) for name, array in arrays.items()
            if name.startswith(prefix + ".")}
