"""Property-based tests of the public API (hypothesis).

Each test states invariants that must hold for *every* input hypothesis can think of:
random action sequences on every registered env, random states of every game's rules,
random hyper-parameters, configs and ASCII maps.  Bad input must raise the documented
``ValueError`` naming the value; nothing else may escape.  The "ci" profile (default)
runs a few examples per test; ``HYPOTHESIS_PROFILE=long`` runs thousands.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
import sys
import types
import weakref
from dataclasses import dataclass
from typing import NamedTuple

import gymnasium
import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import generate_random_map
from gymnasium.error import ResetNeeded
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import specgame
from specgame import grid
from specgame.agents import SARSA, ExpectedSARSA, QLearning
from specgame.env import SpecGameEnv
from specgame.envs import env_class
from specgame.mdp import TabularMDP, to_mdp

ENV_IDS = specgame.list_envs(tables_only=True)  # FullStopLM-v0: tests/test_lm_env.py
GAME_IDS = [i for i in ENV_IDS if getattr(env_class(i), "rules", None) is not None]

# Values of every kind a user (or a typo) might pass for a parameter.
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(-2**70, 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 1), st.text(max_size=4),
    st.sampled_from([np.float64(0.5), np.int64(2), np.float32(0.25), [0.5], (1,), b"1", 1j]),
)


def named_in(message: str, name: str, value) -> bool:
    """The message names the parameter and shows the value given."""
    return name in message and (repr(value) in message or str(value) in message)


# Tests that play whole episodes or compile games get a tenth of the profile's examples.
HEAVY = settings(max_examples=max(5, settings.default.max_examples // 10))

# Weakly: the compile cache keeps each table alive, and a large one must go when conftest
# forgets it after its last test (a plain dict here kept 0.7-1.2 GB per large level resident).
_tables: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def table(env_id):
    mdp = _tables.get(env_id)
    if mdp is None:
        mdp = _tables[env_id] = gymnasium.make(env_id).unwrapped.mdp
    return mdp


# -- random action sequences on every registered env ------------------------------------------


@pytest.mark.parametrize("env_id", ENV_IDS)
@HEAVY
@given(data=st.data())
def test_random_play_keeps_the_books(env_id, data, api_calls):
    """Episode totals in the final info are the sums of the step values; observations stay in their space."""
    api_calls[f"example:{test_random_play_keeps_the_books.__name__}"] += 1
    obs_mode = data.draw(st.sampled_from(["index", "board", "onehot"]), label="obs_mode")
    env = gymnasium.make(env_id, obs_mode=obs_mode)
    mdp = env.unwrapped.mdp
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    prefix = data.draw(st.lists(st.integers(0, mdp.n_actions - 1), max_size=40), label="actions")
    tail = np.random.default_rng(seed)  # actions after the drawn prefix, until the episode ends

    def play():
        obs, info = env.reset(seed=seed)
        api_calls["reset"] += 1
        assert env.observation_space.contains(obs), obs
        proxy, intended, trace = [], [], [obs]
        for t in range(mdp.horizon):
            action = prefix[t] if t < len(prefix) else int(tail.integers(mdp.n_actions))
            obs, reward, terminated, truncated, info = env.step(action)
            api_calls["step"] += 1
            assert env.observation_space.contains(obs), obs
            assert isinstance(reward, float) and math.isfinite(reward)
            assert terminated == bool(mdp.terminal[env.unwrapped._state])
            proxy.append(reward)
            intended.append(info["intended_reward"])
            trace.append(obs)
            if terminated or truncated:
                break
        return proxy, intended, trace, info, terminated, truncated

    proxy, intended, trace, info, terminated, truncated = play()
    assert terminated or truncated, "an episode always ends within the horizon"
    assert terminated != truncated
    assert info["length"] == len(proxy) and (terminated or len(proxy) == mdp.horizon)
    assert info["proxy_return"] == pytest.approx(math.fsum(proxy), rel=1e-12, abs=1e-12)
    assert info["intended_return"] == pytest.approx(math.fsum(intended), rel=1e-12, abs=1e-12)
    with pytest.raises(ResetNeeded):
        env.step(0)
    env.close()
    # A fresh env: some envs learn across episodes on purpose (FriendFoe's adaptive adversary).
    env = gymnasium.make(env_id, obs_mode=obs_mode)
    tail = np.random.default_rng(seed)
    again = play()
    assert again[0] == proxy and again[1] == intended, "same seed and actions on a fresh env: the same episode"
    env.close()


# -- stepping the table equals stepping the rules ----------------------------------------------


def merged_outcomes(rules, state, action, cfg):
    """The rules' outcomes of (state, action), merged as compile merges them."""
    merged: dict = {}
    for out in rules.transitions(state, action, cfg):
        if out.prob > 0:
            key = (tuple(out.next_state), float(out.proxy), float(out.intended), float(out.speed_bonus))
            merged[key] = merged.get(key, 0.0) + out.prob
            assert bool(out.terminated) == bool(rules.is_terminal(out.next_state, cfg))
    return merged


def table_outcomes(mdp, s, a):
    row: dict = {}
    for k in np.flatnonzero(mdp.prob_of((s, a)) > 0):
        key = (tuple(int(v) for v in mdp.states[mdp.next_state[s, a, k]]), float(mdp.proxy_of((s, a, k))),
               float(mdp.intended_of((s, a, k))), float(mdp.speed_bonus_of((s, a, k))))
        row[key] = row.get(key, 0.0) + float(mdp.prob_of((s, a, k)))
    return row


@pytest.mark.parametrize("env_id", GAME_IDS)
@given(data=st.data())
def test_the_table_steps_like_the_rules(env_id, data, api_calls):
    """For a random state and action, the compiled row is exactly what ``transitions`` says."""
    api_calls[f"example:{test_the_table_steps_like_the_rules.__name__}"] += 1
    rules = env_class(env_id).rules
    mdp = table(env_id)
    cfg = rules.Config(**mdp.meta["config"])
    s = data.draw(st.integers(0, mdp.n_states - 1), label="state")
    a = data.draw(st.integers(0, mdp.n_actions - 1), label="action")
    state = rules.State(*(int(v) for v in mdp.states[s]))
    assert bool(mdp.terminal[s]) == bool(rules.is_terminal(state, cfg))
    assert mdp.board(s) == list(rules.board(state, cfg))
    if mdp.terminal[s]:
        assert (mdp.next_state[s, a][mdp.prob_of((s, a)) > 0] == s).all(), "a terminal state only loops"
        return
    expected = merged_outcomes(rules, state, a, cfg)
    api_calls["transitions"] += 1
    got = table_outcomes(mdp, s, a)
    assert got.keys() == expected.keys()
    for key, p in expected.items():
        assert got[key] == pytest.approx(p, rel=1e-12, abs=1e-15)


@given(size=st.integers(2, 6), p=st.floats(0.3, 1.0), map_seed=st.integers(0, 2**31 - 1),
       slippery=st.booleans(), data=st.data())
def test_toy_text_tables_convert_exactly(size, p, map_seed, slippery, data, api_calls):
    """A random FrozenLake converts to a table whose rows are Gymnasium's ``P``, and plays by the books."""
    api_calls[f"example:{test_toy_text_tables_convert_exactly.__name__}"] += 1
    desc = generate_random_map(size=size, p=p, seed=map_seed)
    source = gymnasium.make("FrozenLake-v1", desc=desc, is_slippery=slippery)
    mdp = to_mdp(source)
    api_calls["to_mdp"] += 1
    P = source.unwrapped.P
    n = size * size
    s = data.draw(st.integers(0, n - 1), label="state")
    a = data.draw(st.integers(0, 3), label="action")
    want: dict = {}
    for prob, ns, reward, done in P[s][a]:
        key = (mdp.obs[ns] if not done else int(ns), bool(done), float(reward))
        want[key] = want.get(key, 0.0) + prob
    got: dict = {}
    for k in np.flatnonzero(mdp.prob_of((s, a)) > 0):
        ns = int(mdp.next_state[s, a, k])
        key = (int(mdp.obs[ns]), bool(mdp.terminal[ns]), float(mdp.proxy_of((s, a, k))))
        got[key] = got.get(key, 0.0) + float(mdp.prob_of((s, a, k)))
    total = sum(want.values())
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key] / total, rel=1e-12)
    env = SpecGameEnv(mdp=mdp)
    env.reset(seed=map_seed)
    proxy = []
    for _ in range(mdp.horizon):
        _, reward, terminated, truncated, info = env.step(data.draw(st.integers(0, 3), label="step"))
        api_calls["step"] += 1
        proxy.append(reward)
        if terminated or truncated:
            break
    assert info["proxy_return"] == pytest.approx(sum(proxy)) and info["length"] == len(proxy)


# -- hyper-parameters ---------------------------------------------------------------------------


def _real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


# name -> (the documented rule, a valid value to use when another parameter is under test)
HYPER = {
    "alpha": (lambda v: _real(v) and 0 < v <= 1, 0.5),
    "gamma": (lambda v: _real(v) and 0 <= v <= 1, 0.9),
    "epsilon": (lambda v: _real(v) and 0 <= v <= 1, 0.2),
    "q0": (lambda v: _real(v) and math.isfinite(v), 0.0),
    "epsilon_end": (lambda v: v is None or (_real(v) and 0 <= v <= 1), None),
    "alpha_end": (lambda v: v is None or (_real(v) and 0 < v <= 1), None),
    "decay_fraction": (lambda v: _real(v) and 0 <= v <= 1, 1.0),
    "schedule_steps": (lambda v: v is None or (_int(v) and v >= 1), None),
    "seed": (lambda v: _int(v) and 0 <= v < 2**63, 0),
}
SMALL = "specgame/CliffWalking-v0"


@given(name=st.sampled_from(sorted(HYPER)), value=ANYTHING, agent=st.sampled_from([SARSA, ExpectedSARSA, QLearning]),
       steps=st.integers(1, 400))
def test_hyper_parameters_work_or_are_refused_by_name(name, value, agent, steps, api_calls):
    """A valid hyper-parameter trains; an invalid one raises ValueError naming it and its value."""
    api_calls[f"example:{test_hyper_parameters_work_or_are_refused_by_name.__name__}"] += 1
    kwargs = {key: default for key, (_, default) in HYPER.items()}
    kwargs[name] = value
    valid, _ = HYPER[name]
    api_calls["agent"] += 1
    if not valid(value):
        with pytest.raises(ValueError) as err:
            agent(table(SMALL), **kwargs)
        assert named_in(str(err.value), name, value), str(err.value)
        return
    trained = agent(table(SMALL), **kwargs).learn(steps)
    api_calls["learn"] += 1
    assert trained.steps_done == steps and np.isfinite(trained.q).all()
    assert int(trained.history.length.sum()) <= steps


@given(total_steps=ANYTHING, episodes=ANYTHING)
def test_learn_limits_work_or_are_refused_by_name(total_steps, episodes, api_calls):
    api_calls[f"example:{test_learn_limits_work_or_are_refused_by_name.__name__}"] += 1
    agent = QLearning(table(SMALL), seed=1)
    good = {"total_steps": total_steps is None or (_int(total_steps) and total_steps >= 1),
            "episodes": episodes is None or (_int(episodes) and episodes >= 1)}
    assume(not (good["total_steps"] and good["episodes"]) or total_steps is None or total_steps < 5000)
    assume(not (good["total_steps"] and good["episodes"]) or episodes is None or episodes < 50)
    api_calls["learn"] += 1
    if total_steps is None and episodes is None:
        with pytest.raises(ValueError, match="total_steps or episodes"):
            agent.learn(total_steps, episodes)
    elif not all(good.values()):
        with pytest.raises(ValueError) as err:
            agent.learn(total_steps, episodes)
        bad = "total_steps" if not good["total_steps"] else "episodes"
        assert named_in(str(err.value), bad, total_steps if bad == "total_steps" else episodes)
    else:
        agent.learn(total_steps, episodes)
        assert total_steps is None or agent.steps_done <= total_steps
        assert episodes is None or agent.episodes_done <= episodes


@given(observation=st.one_of(ANYTHING, st.lists(st.integers(-2, 40), max_size=5)))
def test_predict_answers_or_refuses_by_name(observation, api_calls):
    api_calls[f"example:{test_predict_answers_or_refuses_by_name.__name__}"] += 1
    agent = QLearning(table(SMALL))
    n_obs = table(SMALL).n_obs
    ids = np.asarray(observation) if not isinstance(observation, (str, bytes, complex)) else None
    valid = (ids is not None and ids.dtype != np.bool_ and np.issubdtype(ids.dtype, np.integer)
             and (ids.size == 0 or (ids.min() >= 0 and ids.max() < n_obs)))
    api_calls["predict"] += 1
    if valid:
        action, _ = agent.predict(observation, deterministic=False)
        assert np.all((0 <= np.asarray(action)) & (np.asarray(action) < 4))
    else:
        with pytest.raises(ValueError, match="observation"):
            agent.predict(observation)


@pytest.mark.parametrize("env_id", ENV_IDS)
@given(action=ANYTHING)
def test_env_step_takes_an_action_or_names_it(env_id, action, api_calls):
    api_calls[f"example:{test_env_step_takes_an_action_or_names_it.__name__}"] += 1
    env = gymnasium.make(env_id)
    env.reset(seed=0)
    n = env.action_space.n
    api_calls["step"] += 1
    if _int(action) and 0 <= action < n:
        env.step(action)
    else:
        with pytest.raises((ValueError, AssertionError)) as err:  # gymnasium's checker asserts first
            env.step(action)
        if err.type is ValueError:
            assert "action" in str(err.value) and named_in(str(err.value), "action", action)


# -- env configs -----------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", GAME_IDS)
@HEAVY
@given(data=st.data())
def test_env_configs_work_or_are_refused_by_name(env_id, data, api_calls):
    """Any value for any parameter builds a game, or raises ValueError naming the parameter and value.

    Accepted configs are compiled with a small ``max_states``: a table or the documented
    "too many states" error naming ``max_states``, never anything else.
    """
    api_calls[f"example:{test_env_configs_work_or_are_refused_by_name.__name__}"] += 1
    rules = env_class(env_id).rules
    names = [f.name for f in dataclasses.fields(rules.Config)]
    name = data.draw(st.sampled_from([*names, "no_such_parameter"]), label="name")
    value = data.draw(ANYTHING, label="value")
    api_calls["make_config"] += 1
    try:
        cfg = grid.make_config(rules, **{name: value})
    except ValueError as err:
        assert named_in(str(err), name, value) or (name == "no_such_parameter" and name in str(err)), str(err)
        return
    assert name != "no_such_parameter"
    api_calls["compile"] += 1
    try:
        mdp = grid.compile(rules, max_states=300, **dataclasses.asdict(cfg))
    except grid.TooManyStates as err:
        assert "max_states=300" in str(err)
        return
    assert isinstance(mdp, TabularMDP) and mdp.horizon == cfg.horizon


@given(render_mode=ANYTHING, obs_mode=ANYTHING, tile_size=ANYTHING)
def test_env_options_work_or_are_refused_by_name(render_mode, obs_mode, tile_size, api_calls):
    api_calls[f"example:{test_env_options_work_or_are_refused_by_name.__name__}"] += 1
    api_calls["make"] += 1
    checks = [("render_mode", render_mode, render_mode is None or render_mode in ("human", "rgb_array", "ansi")),
              ("obs_mode", obs_mode, isinstance(obs_mode, str) and obs_mode in ("index", "board", "onehot", "rgb")),
              ("tile_size", tile_size, _int(tile_size) and 1 <= tile_size <= 512)]
    bad = [c for c in checks if not c[2]]
    assume(render_mode != "human")  # no window in tests
    assume(bad or obs_mode != "rgb" or tile_size <= 8)  # keep frames small
    if not bad:
        env = SpecGameEnv(mdp=table(SMALL), render_mode=render_mode, obs_mode=obs_mode, tile_size=tile_size)
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        return
    with pytest.raises(ValueError) as err:
        SpecGameEnv(mdp=table(SMALL), render_mode=render_mode, obs_mode=obs_mode, tile_size=tile_size)
    assert any(named_in(str(err.value), name, value) for name, value, _ in bad), str(err.value)


# -- ASCII maps ---------------------------------------------------------------------------------

MAP_CHARS = st.sampled_from(list(".#SGx~ oT\t\r") + ["\n"] * 4)
LOCATED = re.compile(r"map line (\d+), column (\d+)")


@given(text=st.text(MAP_CHARS, max_size=120), legend=st.one_of(st.none(), st.text(st.sampled_from(".#SG ~x"),
                                                                                   max_size=6)))
def test_parse_map_reads_any_text_or_points_at_the_fault(text, legend, api_calls):
    """A map parses into equal rows of legend characters, or the error's line and column hold the fault."""
    api_calls[f"example:{test_parse_map_reads_any_text_or_points_at_the_fault.__name__}"] += 1
    api_calls["parse_map"] += 1
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    try:
        rows = grid.parse_map(text, legend)
    except ValueError as err:
        message = str(err)
        if message == "the map is empty":
            assert lines == [""]
            return
        found = LOCATED.search(message)
        assert found, message
        line, column = int(found[1]), int(found[2])
        row = lines[line - 1]
        if "legend" in message:
            assert row[column - 1] not in legend and all(ch in legend for ch in row[: column - 1])
        else:
            assert len(row) != len(lines[0]) and column == min(len(row), len(lines[0])) + 1
            assert all(len(r) == len(lines[0]) for r in lines[: line - 1])
        return
    assert list(rows) == lines and len({len(r) for r in rows}) == 1
    assert legend is None or all(ch in legend for r in rows for ch in r)


# -- random games through compile ---------------------------------------------------------------


@HEAVY
@given(rows=st.integers(1, 6), cols=st.integers(1, 6), data=st.data())
def test_random_maps_compile_into_tables_that_match_their_rules(rows, cols, data, api_calls):
    """A walker game built at run time from a random map compiles, and every row matches its rules."""
    api_calls[f"example:{test_random_maps_compile_into_tables_that_match_their_rules.__name__}"] += 1
    cells = data.draw(st.lists(st.sampled_from(".#~LG"), min_size=rows * cols, max_size=rows * cols), label="map")
    start = data.draw(st.integers(0, rows * cols - 1), label="start")
    cells[start] = "S"
    slip = data.draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]), label="slip")
    rules = walker_game("\n".join("".join(cells[r * cols:(r + 1) * cols]) for r in range(rows)), slip)
    horizon = data.draw(st.integers(1, 30), label="horizon")
    mdp = grid.compile(rules, horizon=horizon)
    api_calls["compile"] += 1
    cfg = rules.Config(horizon=horizon)
    for s in range(mdp.n_states):
        state = rules.State(*(int(v) for v in mdp.states[s]))
        if mdp.terminal[s]:
            continue
        for a in range(mdp.n_actions):
            api_calls["transitions"] += 1
            assert table_outcomes(mdp, s, a) == pytest.approx(merged_outcomes(rules, state, a, cfg))
    env = SpecGameEnv(mdp=mdp, obs_mode="board")
    env.reset(seed=start)
    total, taken = 0.0, 0
    for _ in range(horizon):
        obs, reward, terminated, truncated, info = env.step(data.draw(st.integers(0, 3), label="step"))
        api_calls["step"] += 1
        assert env.observation_space.contains(obs)
        total, taken = total + reward, taken + 1
        if terminated or truncated:
            break
    assert info["proxy_return"] == pytest.approx(total) and info["length"] == taken


def walker_game(text: str, slip: float) -> types.ModuleType:
    """A game module built at run time: walk to ``G``; ``L`` ends the walk badly; ``~`` may slide you on."""
    rules = types.ModuleType("walker")  # the same name every time: the compile cache must not mix them up
    rules.MAP = grid.parse_map(text)
    rules.actions = lambda config: grid.MOVE_NAMES
    rules.TILES = {"~": ("lagoon", None, None), "L": ("lava", None, None)}

    @dataclass(frozen=True)
    class Config:
        horizon: int = 20

    class State(NamedTuple):
        row: int
        col: int

    def passable(r, c):
        return grid.inside(rules.MAP, r, c) and rules.MAP[r][c] != "#"

    def is_terminal(state, config):
        return rules.MAP[state.row][state.col] in "GL"

    def transitions(state, action, config):
        first = State(*grid.move(state.row, state.col, action, passable))
        if rules.MAP[first.row][first.col] != "~" or slip == 0:
            landings = [(1.0, first)]
        else:  # on ice the walker may slide one more cell the same way
            landings = [(1 - slip, first), (slip, State(*grid.move(*first, action, passable)))]
        out = []
        for p, at in landings:
            cell = rules.MAP[at.row][at.col]
            out.append(grid.Outcome(p, at, 1.0 if cell == "G" else 0.0, -1.0 if cell == "L" else float(cell == "G"),
                                    terminated=cell in "GL"))
        return out

    rules.Config, rules.State = Config, State
    rules.initial_states = lambda config: [(1.0, State(*grid.find(rules.MAP, "S")[0]))]
    rules.is_terminal, rules.transitions = is_terminal, transitions
    rules.board = lambda state, config: [
        "".join("A" if (r, c) == (state.row, state.col) else ch for c, ch in enumerate(line))
        for r, line in enumerate(rules.MAP)]
    sys.modules.pop("walker", None)
    return rules
