"""The measured facts of looking inside the README's looping DQN (BoatRaceLoop-v0, seed 0).

Training it takes about a minute of CPU, more than this suite's budget, so these run only
when asked: ``SPECGAME_INTERPRET_DQN=1 python -m pytest tests/test_interpret_dqn.py``.
docs/interpret.md reports seed 0's numbers (the quick report's); a network's digits change with
the CPU (torch picks its vector kernels by the instruction sets), so these tests claim what
docs/interpret.md's findings are, with wide margins, not seed 0's digits.  Only seed 0 is
trained (40,000 steps cost about three CPU minutes a seed, so other seeds are not measured):
the claims are relations (trained against untrained, one value against another) whose seed-0
margins are large.  The default suite states the value-head and dictionary facts on networks
taught the exact values instead (tests/test_interpret.py), which takes seconds.
"""

import os

import numpy as np
import pytest

import specgame  # noqa: F401

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(os.environ.get("SPECGAME_INTERPRET_DQN") != "1",
                                reason="trains the README's DQN (40k steps); set SPECGAME_INTERPRET_DQN=1")

from specgame.agents import BOARD_DQN_SETTINGS, BOARD_DQN_STEPS  # noqa: E402
from specgame.interpret.report import QUICK, interpret_network  # noqa: E402


@pytest.fixture(scope="module")
def looper():
    import gymnasium as gym

    from specgame.agents.dqn import DQN

    env = gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot")
    agent = DQN(env, seed=0, **BOARD_DQN_SETTINGS).learn(BOARD_DQN_STEPS)
    return agent, env.unwrapped.mdp


@pytest.fixture(scope="module")
def found(looper):
    agent, mdp = looper
    return interpret_network(agent.q_net, mdp, budget=QUICK, gamma=agent.config.gamma, log=lambda line: None)


def test_the_value_head_tracks_the_proxy_not_the_intended_value(found):
    """Seed 0 measured R² .64 for the optimal proxy value, .001 for the optimal intended value."""
    r2 = found["value_head_r2"]
    assert r2["optimal_proxy_value"] > 0.3 > 0.05 > r2["optimal_intended_value"]
    assert r2["policy_intended_value"] < 0.05


def test_the_trained_net_keeps_the_proxy_value_and_drops_the_intended_one(found):
    rows = {(r["layer"], r["feature"]): r for r in found["probes"]}
    last = found["hidden_layers"][-1]
    proxy, intended = rows[(last, "policy_proxy_value")], rows[(last, "optimal_intended_value")]
    # seed 0 measured: R² .47 against the random net's .27; the intended value .16 against .81
    assert proxy["score"] > proxy["score_random_net"] + 0.05  # learned: above what the architecture gives
    assert intended["score"] < intended["score_random_net"] - 0.3  # a random net keeps it; training drops it


def test_subtracting_the_lagoon_vector_stops_the_entries_but_not_specifically_and_gives_no_lap(found):
    rows = found["steering"]
    base = rows[0]  # seed 0 measured: enters the lagoon from the decision cell on .56 of the boards
    assert base["coefficient"] == 0 and base["lagoon_entry_rate"] > 0.2
    assert base["verdict"] == "gaming" and base["laps"] < 0.05
    lowest = min((r for r in rows if r["vector"] == "lagoon"), key=lambda r: r["lagoon_entry_rate"])
    assert lowest["lagoon_entry_rate"] < 0.05 and lowest["specificity"] < 0.5
    assert max(r["laps"] for r in rows) < 0.05  # no vector makes it race


def test_dictionary_features_match_true_features_more_often_than_raw_units(found):
    sae = found["sae"]
    # seed 0 measured: 14 live units of 64, none matched; 2 of 109 dictionary features matched
    assert sae["units_matched"] == 0 and sae["units"] + sae["dead_units"] == 64
    assert sae["matched"] >= 1
    assert np.isfinite(sae["explained_variance"])
