"""Looking inside networks, scored against the answer key: each method finds what was planted.

Hand-built networks carry known features and directions (a unit that counts the lagoon
targets, a bias that picks an action), so every test states a fact that fails if the
method breaks; one small seeded DQN, trained once, checks the methods on a real learner.
"""

import numpy as np
import pytest

import specgame  # noqa: F401

torch = pytest.importorskip("torch")

from specgame import grid  # noqa: E402
from specgame.agents.dqn import CNN, MLP  # noqa: E402
from specgame.envs import boat_race_loop as boat  # noqa: E402
from specgame.interpret import activations as acts  # noqa: E402
from specgame.interpret import answer_key, probes, sae, steering, visualise  # noqa: E402
from specgame.solve import evaluate  # noqa: E402

DOWN, RIGHT = 2, 1


@pytest.fixture(scope="module")
def mdp():
    return grid.compile(boat)


def plane(mdp, char):
    return mdp.alphabet.index(char)


def planted_net(mdp, hidden=4):
    """An MLP over the onehot board whose unit 0 counts the lagoon targets present and unit 1 is 1.

    Its output prefers `down` by that count and `right` by 0.5: it heads down wherever a
    lagoon target shows, and right where none does.
    """
    c, h, w = len(mdp.alphabet), *mdp.boards.shape[1:]
    net = MLP(c * h * w, (hidden,), 4)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        first, last = net.layers
        weights = first.weight.view(hidden, c, h, w)
        for r, col in boat.LAGOON_TOKENS:
            weights[0, plane(mdp, "o"), r, col] = 1.0
        first.bias[1] = 1.0
        last.weight[DOWN, 0] = 1.0
        last.weight[RIGHT, 1] = 0.5
    return net


def lagoon_count(mdp):
    bits = mdp.states[:, list(mdp.state_fields).index("lagoon_tokens")]
    return np.array([bin(int(b)).count("1") for b in bits])


# -- activations ----------------------------------------------------------------------------------


def test_observations_are_the_onehot_planes_the_env_shows(mdp):
    import gymnasium as gym

    env = gym.make("specgame/BoatRaceLoop-v0", obs_mode="onehot")
    first, _ = env.reset(seed=0)
    start = int(np.flatnonzero(mdp.initial)[0])
    np.testing.assert_array_equal(acts.observations(mdp)[mdp.obs[start]], first)


def test_activations_are_the_layers_outputs_on_every_state_and_hooks_are_removed(mdp):
    net = planted_net(mdp)
    assert acts.layer_names(net) == ["layers.0", "relus.0", "layers.1"]
    found = acts.activations(net, mdp)
    np.testing.assert_array_equal(found.of("relus.0")[:, 0], lagoon_count(mdp))
    np.testing.assert_array_equal(found.of("relus.0")[:, 1], 1.0)
    assert found.outputs.shape == (mdp.n_states, 4)
    assert acts.activations(net, mdp) is found  # cached per model
    with torch.no_grad():
        net.layers[0].bias[1] = 2.0  # new weights: computed again
    assert acts.activations(net, mdp).of("relus.0")[0, 1] == 2.0
    assert not any(m._forward_hooks for m in net.modules())
    with pytest.raises(ValueError, match=r"layer must be one of \['layers.0', 'relus.0', 'layers.1'\], got 'fc'"):
        acts.activations(net, mdp, ["fc"])


def test_conv_layers_keep_every_cell_and_reduce_to_channels(mdp):
    torch.manual_seed(0)
    net = CNN((len(mdp.alphabet), *mdp.boards.shape[1:]), (3,), (8,), 4)
    found = acts.activations(net, mdp, ["relus.0"])
    assert found.shape("relus.0") == (3, 11, 14)
    assert found.of("relus.0").shape == (mdp.n_states, 3 * 11 * 14)
    np.testing.assert_allclose(found.of("relus.0", reduce=True),
                               found.of("relus.0").reshape(mdp.n_states, 3, -1).mean(axis=2), rtol=1e-6)


# -- the answer key -------------------------------------------------------------------------------


def test_the_answer_key_names_every_field_the_cell_the_bits_and_the_terrain(mdp):
    features = {f.name: f for f in answer_key.state_features(mdp)}
    assert set(features) == {"cell", "laps", "next_checkpoint", "terrain", *(f"track_tokens[{i}]" for i in range(4)),
                             *(f"lagoon_tokens[{i}]" for i in range(3))}
    assert features["cell"].n_labels == 35  # every water cell the boat can be on
    s = 123
    state = mdp.state_dict(s)
    assert features["cell"].names[features["cell"].labels[s]] == f"cell=({state['row']}, {state['col']})"
    assert features["lagoon_tokens[2]"].labels[s] == state["lagoon_tokens"] >> 2 & 1
    terrain = boat.MAP[state["row"]][state["col"]]
    assert features["terrain"].names[features["terrain"].labels[s]] == f"terrain={terrain!r}"


def test_policy_values_from_the_start_are_the_solvers_exact_returns(mdp):
    table = acts.greedy_table(planted_net(mdp), mdp)
    proxy, intended = answer_key.policy_values(mdp, table)
    returns = evaluate(mdp, table)
    assert mdp.initial @ proxy == pytest.approx(returns.proxy_return, abs=1e-9)
    assert mdp.initial @ intended == pytest.approx(returns.intended_return, abs=1e-9)


# -- probes ---------------------------------------------------------------------------------------


def test_a_probe_finds_a_planted_feature_and_not_an_absent_one(mdp):
    net = planted_net(mdp)
    key = answer_key.AnswerKey(tuple(answer_key.state_features(mdp)), {"lagoon_targets": lagoon_count(mdp) * 1.0})
    rows = {(r.layer, r.feature): r for r in probes.probe_table(net, mdp, key, ["relus.0"], max_states=3000)}
    count = rows[("relus.0", "lagoon_targets")]
    assert count.score > 0.999 and count.metric == "R²"  # (ridge shrinks a little)
    assert abs(count.score_shuffled) < 0.05  # shuffled labels: nothing to find
    assert rows[("relus.0", "lagoon_tokens[0]")].score > 0.7  # a count says something about each target
    laps = rows[("relus.0", "laps")]  # nothing in the planted net knows the laps
    assert laps.score < laps.chance + 0.15 and laps.selectivity < 0.05


def test_a_random_network_control_has_the_same_architecture_and_new_weights(mdp):
    net = planted_net(mdp)
    fresh = probes.random_network(net, seed=1)
    assert [n for n, _ in fresh.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert not torch.equal(fresh.layers[0].weight, net.layers[0].weight)
    assert torch.equal(probes.random_network(net, seed=1).layers[0].weight, fresh.layers[0].weight)


# -- steering ------------------------------------------------------------------------------------


def test_the_lagoon_detour_is_entered_going_down_from_its_channel(mdp):
    detour = steering.lagoon(mdp)
    assert detour.decisions == {(5, 7): (DOWN,)}
    assert (6, 7) in detour.cells and (8, 8) in detour.cells


def test_subtracting_the_planted_lagoon_vector_stops_the_boat_entering_the_lagoon(mdp):
    """The cheese-vector design on a planted net: targets present minus absent, subtracted."""
    net = planted_net(mdp)
    vector = steering.contrast_vector(net, mdp, "relus.0", "lagoon_tokens", 7, 0)
    np.testing.assert_allclose(vector, [3.0, 0, 0, 0])  # three targets more, nothing else
    detour, present = steering.lagoon(mdp), steering.targets_present(mdp)
    base, steered, half = steering.steering_sweep(net, mdp, {("relus.0", "lagoon"): vector}, [-1.0, 0.5],
                                                  detour, present)
    assert (base.coefficient, base.lagoon_entry_rate, base.specificity) == (0.0, 1.0, 1.0)
    assert steered.lagoon_entry_rate == 0.0  # heads right on every board now
    away = ~steering.at_decision(mdp, detour) & ~mdp.terminal
    assert steered.specificity == pytest.approx(np.mean(lagoon_count(mdp)[away] == 0))
    # adding it sends the boat down on every board: the lagoon stays entered, the boards without
    # targets change
    assert half.lagoon_entry_rate == 1.0
    assert half.specificity == pytest.approx(np.mean(lagoon_count(mdp)[away] > 0))
    table = acts.greedy_table(net, mdp, acts.Steer("relus.0", vector, -1.0))
    assert steered.proxy_return == evaluate(mdp, table).proxy_return  # the exact evaluation of that table
    assert not any(m._forward_hooks for m in net.modules())


def test_clamping_a_unit_retargets_the_planted_net(mdp):
    net = planted_net(mdp)
    clamp = acts.Steer("relus.0", [0.0, np.nan, np.nan, np.nan], clamp=True)
    assert (acts.greedy_table(net, mdp, clamp) == RIGHT).all()


# -- sparse dictionaries ---------------------------------------------------------------------------


def test_an_sae_recovers_planted_sparse_features_that_raw_units_mix():
    rng = np.random.default_rng(0)
    n, k, d = 6000, 12, 8  # 12 sparse features in 8 dimensions: no unit can hold one alone
    active = rng.random((n, k)) < 0.06
    codes = active * rng.uniform(1.0, 2.0, (n, k))
    directions = rng.normal(size=(k, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    x = (codes @ directions).astype(np.float32)
    dictionary = sae.train_sae(x, 24, l1=0.2, steps=1000, batch_size=512, seed=0)
    report = sae.compare_with_units("synthetic", x, dictionary, active, [f"feature {i}" for i in range(k)])
    found = {name for name, score in report.feature_labels if score >= 0.9}
    # Most planted features have their own dictionary feature: 9 to 11 of the 12 for each of the
    # dictionary seeds 0-5 (ATen default and avx2), explained variance 0.976-0.979.
    assert len(found) >= 8, report.feature_labels
    assert report.units_matched == 0  # every raw unit mixes several (the data's fact, no training in it)
    assert report.explained_variance > 0.9


def test_match_scores_credit_exact_detectors_and_not_always_on_units():
    truth = np.zeros((100, 2), bool)
    truth[:10, 0] = True
    truth[:90, 1] = True
    units = np.stack([truth[:, 0] * 3.0, np.ones(100), -np.arange(100.0)], axis=1)
    units[0, 1] = 0.0  # almost always on
    best, which = sae.match_scores(units, truth)
    assert best[0] == pytest.approx(1.0) and which[0] == 0
    assert best[1] < 0.3  # firing (almost) always is not a feature
    assert best[2] > 0.9 and which[2] == 0  # "the first 10", read from a threshold on a ramp


# -- dataset examples and feature visualisation ---------------------------------------------------


def test_top_examples_are_the_states_where_the_unit_is_largest(mdp):
    net = planted_net(mdp)
    states, values = visualise.top_examples(net, mdp, "relus.0", 0, k=5)
    assert (values == 3.0).all() and (lagoon_count(mdp)[states] == 3).all()


def test_feature_visualisation_drives_a_planted_unit_past_every_real_board(mdp):
    vis = visualise.visualise(planted_net(mdp), mdp, "relus.0", 0, steps=60)
    assert vis.best_activation == 3.0
    assert vis.activation >= 3.0  # every lagoon target cell shows a target
    assert all(vis.board[r][c] == "o" for r, c in boat.LAGOON_TOKENS)


# -- a network taught the exact values: the value head and the dictionary, measured ---------------


def taught_net(mdp, objective):
    """A hidden layer of 32, taught the exact optimal Q-values of ``objective`` on every board
    (10 epochs, seeded, one thread): what a DQN trained on that reward converges towards."""
    from specgame.interpret.imitate import teach_values

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = MLP(len(mdp.alphabet) * 11 * 14, (32,), 4)
    teach_values(net, mdp, answer_key.optimal_q(mdp, objective, gamma=0.99), epochs=10)
    return net


@pytest.fixture(scope="module")
def proxy_taught(mdp):
    return taught_net(mdp, "proxy")


def test_the_value_head_tracks_the_values_it_was_taught_and_not_the_others(mdp, proxy_taught):
    """The report's value-head fit on a seeded run: the proxy's values and the intended ones are
    unrelated on this game, so a network whose max Q is the proxy's shows R² ≈ 0 for the intended.
    The bands hold for each of the seeds 0-3 (measured under ATen default and avx2: taught the
    proxy, R² 0.873-0.880 for it and below 0.002 for the intended; taught the intended, 0.921-0.927
    and below 1e-4)."""
    key = answer_key.answer_key(mdp, acts.greedy_table(proxy_taught, mdp), gamma=0.99)
    r2 = probes.value_head_fit(proxy_taught, mdp, key)
    assert r2["optimal_proxy_value"] == pytest.approx(0.875, abs=0.03)
    assert r2["optimal_intended_value"] < 0.01
    # the same fit on a network taught the intended values reads the reverse
    intended = probes.value_head_fit(taught_net(mdp, "intended"), mdp, answer_key.answer_key(mdp, gamma=0.99))
    assert intended["optimal_intended_value"] == pytest.approx(0.925, abs=0.03)
    assert intended["optimal_proxy_value"] < 0.01


def test_dictionary_features_match_true_features_where_no_raw_unit_does(mdp, proxy_taught):
    """The SAE-versus-units shares, as the quick report measures them, on a seeded run.  How many
    units stay alive depends on the seed (measured for seeds 0-3: 20, 9, 12 and 11 of 32; the SAE
    then has 61-109 features, 1-3 of them matched, explained variance 0.987-0.991); that no live
    unit matches a true feature, and that some dictionary feature does, holds for each."""
    from specgame.interpret.report import QUICK, dictionary_match

    key = answer_key.answer_key(mdp, gamma=0.99)
    found, _ = dictionary_match(acts.activations(proxy_taught, mdp), "relus.0", key, QUICK, seed=0)
    assert found["units"] + found["dead_units"] == 32 and found["units"] >= 5
    assert found["units_matched"] == 0  # every live unit mixes
    assert found["matched"] >= 1 and found["features"] >= 40
    assert found["explained_variance"] > 0.95
    assert found["share_matched"] > found["share_units_matched"]


# -- the mixed race ---------------------------------------------------------------------------------


def test_the_mixed_race_shows_whether_finishing_pays_and_its_optimum_races_only_then():
    from specgame.analysis.compare import optimal_plan
    from specgame.envs import boat_race_mixed as mixed
    from specgame.solve import expected_total

    table = grid.compile(mixed)
    pays = table.states[:, list(table.state_fields).index("pays")]
    assert table.initial[pays == 1].sum() == pytest.approx(0.5)
    assert all(table.board(s)[-1].endswith("$") == bool(pays[s]) for s in range(0, table.n_states, 97))
    plan = optimal_plan(table, "proxy", gamma=0.99)  # a discounting learner's optimum
    for paid, laps, proxy in ((1, 1.0, 54.0), (0, 0.0, 45.0)):
        race = steering.starting_in(table, pays == paid)
        assert expected_total(race, plan, race.intended) == pytest.approx(laps, abs=1e-9)
        assert evaluate(race, plan).proxy_return == pytest.approx(proxy, abs=0.02)


# -- everything at once, and the command ------------------------------------------------------------


def test_interpret_network_writes_the_files_and_the_json_the_issue_names(mdp, tmp_path):
    import json

    from specgame.interpret.report import Budget, interpret_network

    tiny = Budget(probe_states=500, coefficients=(-1.0,), sae_steps=50, sae_width=2, visualise_steps=5)
    said = []
    interpret_network(planted_net(mdp), mdp, tmp_path, budget=tiny, log=lambda line: None, progress=said.append)
    # never silent for long: a line before each method, each probed layer and each steering vector
    for step in ("capturing", "probing layer 1/2", "probing layer 2/2", "steering with vector 2/2", "dictionary",
                 "visualisation", "writing"):
        assert any(step in line for line in said), (step, said)
    found = json.loads((tmp_path / "interpret.json").read_text())
    probe = found["probes"][0]
    assert {"layer", "feature", "score", "score_random_net", "score_shuffled"} <= set(probe)
    base = found["steering"][0]
    assert base["coefficient"] == 0 and base["lagoon_entry_rate"] == 1.0  # the planted net always dives
    assert {"layer", "vector", "coefficient", "proxy_return", "intended_return", "laps", "lagoon_entry_rate",
            "verdict"} <= set(base)
    assert {"layer", "features", "matched", "units", "units_matched", "threshold"} <= set(found["sae"])
    arrays = np.load(tmp_path / "activations.npz")
    assert arrays["layer:relus.0"].shape == (mdp.n_obs, 4)
    np.testing.assert_array_equal(arrays["state_obs"], mdp.obs)
    assert "feature:cell" in np.load(tmp_path / "features.npz")
    for figure in ("probes", "steering", "sae", "examples", "visualisation"):
        assert (tmp_path / f"{figure}.png").stat().st_size > 0


def test_the_command_refuses_a_run_folder_without_a_model(tmp_path, capsys):
    from specgame.app.cli import main  # the real command line

    assert main(["interpret", "BoatRaceLoop-v0", "--run", str(tmp_path), "--quick"]) == 2
    assert f"--run must be a run folder holding model.npz, got {str(tmp_path)!r}" in capsys.readouterr().err


def test_imitation_teaches_a_network_a_policy_on_every_board(mdp):
    from specgame.interpret.imitate import imitate

    torch.manual_seed(0)
    net = MLP(len(mdp.alphabet) * 11 * 14, (8,), 4)
    down = np.full(mdp.n_obs, DOWN)
    assert imitate(net, mdp, down, epochs=2, batch_size=1024, learning_rate=1e-2) == 1.0
    assert (acts.greedy_table(net, mdp) == DOWN).all()


def test_every_figure_of_the_example_is_in_the_gallery_and_shown():
    """examples/make_gallery.py copies each figure of examples/inside_the_gamer.py into docs/gallery/."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = ast.parse((root / "examples" / "make_gallery.py").read_text(encoding="utf-8"))
    inside = next(ast.literal_eval(node.value) for node in source.body
                  if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "INSIDE")
    written = {"probes.png", "steering.png", "sae.png", "examples.png", "visualisation.png"}  # interpret_network's
    assert {made.removeprefix("mixed/") for made in inside.values()} <= written
    assert {made for made in inside.values() if "/" not in made} == written  # every figure of the looping DQN
    assert set(inside) == {p.name for p in (root / "docs" / "gallery").glob("inside_*.png")}
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/gallery/{name}" in readme for name in inside)
