"""The benchmark's C loop is the same algorithm as our kernel, so their speeds compare like for like."""

import sys
from pathlib import Path

import numpy as np
import pytest

from specgame.agents import SARSA, ExpectedSARSA, QLearning
from specgame.mdp import to_mdp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
c_loop = pytest.importorskip("c_loop")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    if c_loop.compiler() is None:
        pytest.skip("no C compiler")
    return c_loop.build(str(tmp_path_factory.mktemp("c_loop")))


@pytest.mark.parametrize("env_id", ["specgame/BoatRaceLoop-v0", "specgame/CliffWalking-v0"])
@pytest.mark.parametrize("cls", [SARSA, ExpectedSARSA, QLearning])
@pytest.mark.parametrize("hyper", [{"alpha": 0.1, "epsilon": 0.1},
                                   {"alpha": 0.5, "epsilon": 0.5, "epsilon_end": 0.01, "alpha_end": 0.05}])
def test_the_c_loop_leaves_the_kernels_q_table_bit_for_bit(library, env_id, cls, hyper):
    mdp = to_mdp(env_id)
    agent = cls(mdp, seed=11, gamma=0.95, **hyper).learn(60_000)
    q, history = c_loop.learn(c_loop.c_train(library), cls(mdp, seed=11, gamma=0.95, **hyper), 60_000)
    assert np.array_equal(q, agent.q)
    for name in ("proxy_return", "intended_return", "length"):
        assert np.array_equal(getattr(history, name), getattr(agent.history, name))
    assert np.count_nonzero(q) > 0  # it did learn something


def test_the_quick_auroc_benchmark_leaves_out_the_tables_of_millions_of_states():
    import detector_auroc

    from specgame.envs import LARGE

    quick = detector_auroc.chosen_envs(None, quick=True)
    assert quick and not {f"specgame/{name}" for name in LARGE} & set(quick)
    assert set(detector_auroc.chosen_envs(None, quick=False)) >= {f"specgame/{name}" for name in LARGE}
    assert detector_auroc.chosen_envs("CliffWalking-v0", quick=True) == ["specgame/CliffWalking-v0"]
