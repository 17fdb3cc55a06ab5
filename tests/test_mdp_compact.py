"""The compact TabularMDP: storage fitted to the game, the same numbers bit for bit."""

import json

import numpy as np
import pytest

from specgame import grid
from specgame.envs import boat_race, rocks_diamonds, side_effects_sokoban
from specgame.mdp import MAX_BYTE_CODES, Boards, TabularMDP, to_mdp

CLIFF = "specgame/CliffWalking-v0"


def full(mdp: TabularMDP) -> dict:
    return {"prob": mdp.prob, "proxy": mdp.proxy, "intended": mdp.intended, "speed_bonus": mdp.speed_bonus,
            "forced_epsilon": mdp.forced_epsilon}


def random_table(seed: int, S=6, A=3, K=2, values=None) -> dict:
    rng = np.random.default_rng(seed)
    prob = rng.random((S, A, K)) + 0.1
    prob /= prob.sum(axis=2, keepdims=True)
    draw = (lambda: rng.normal(size=(S, A, K))) if values is None else (lambda: rng.choice(values, (S, A, K)))
    forced = np.full(S, np.nan)
    forced[1] = 0.25
    return dict(next_state=rng.integers(0, S, (S, A, K)), prob=prob, proxy=draw(), intended=draw(),
                speed_bonus=draw(), forced_epsilon=forced, terminal=np.arange(S) == S - 1,
                initial=np.eye(S)[0], obs=np.arange(S), horizon=5)


def test_a_deterministic_game_keeps_one_byte_rewards_and_nothing_that_is_constant():
    mdp = to_mdp(CLIFF).replace()  # a copy of the shared table, without full arrays other tests asked for
    S, A, K = mdp.shape
    assert K == 1 and mdp.deterministic and mdp.outcome_prob is None
    assert mdp.speed_code is None and mdp.forced is None  # no speed bonus, no forced exploration
    assert mdp.proxy_code.dtype == mdp.intended_code.dtype == np.uint8
    assert mdp.states.dtype == np.int8  # row and column fit a byte
    kept = mdp.nbytes
    per_state = S * (1 + 8 + 4 + 2)  # terminal, initial, obs, a row of int8 fields
    assert kept - mdp.boards.nbytes - mdp.reward_values.nbytes - per_state == S * A * K * (4 + 1 + 1)  # was 44
    assert np.array_equal(mdp.prob, np.ones((S, A, 1))) and not mdp.speed_bonus.any()
    assert np.isnan(mdp.forced_epsilon).all()
    assert mdp.nbytes > kept  # the full arrays, once asked for, are kept


@pytest.mark.parametrize("values", [None, [0.0, -0.0, 1.5, -2.0]])
def test_the_full_arrays_come_back_bit_for_bit(values):
    given = random_table(3, values=values)
    mdp = TabularMDP(**given)
    for name, array in full(mdp).items():
        assert np.array_equal(array.view(np.int64), np.asarray(given[name], float).view(np.int64)), name
    assert mdp.forced is not None and mdp.outcome_prob is not None and mdp.speed_code is not None
    index = (np.array([0, 2]), 1)
    assert np.array_equal(mdp.proxy_of(index), given["proxy"][index])
    assert np.array_equal(mdp.prob_of(index), given["prob"][index])


def test_many_distinct_rewards_take_four_byte_codes_and_stay_exact():
    given = random_table(5, S=200, A=2, K=1)  # 1,200 distinct normal draws
    given["prob"] = np.ones((200, 2, 1))
    mdp = TabularMDP(**given)
    assert len(mdp.reward_values) > MAX_BYTE_CODES and mdp.proxy_code.dtype == np.int32
    assert np.array_equal(mdp.proxy, given["proxy"]) and np.array_equal(mdp.intended, given["intended"])


def test_a_saved_table_is_compact_and_loads_identically(tmp_path):
    mdp = to_mdp(CLIFF)
    mdp.save(tmp_path / "t.npz")
    with np.load(tmp_path / "t.npz", allow_pickle=False) as data:
        assert "prob" not in data.files and "outcome_prob" not in data.files and "proxy" not in data.files
        assert json.loads(data["header"].tobytes())["version"] == 3
        assert data["boards"].shape == (mdp.n_obs, 4 * 12 // 3)  # five characters: three codes a byte
    back = TabularMDP.load(tmp_path / "t.npz")
    assert np.array_equal(np.asarray(back.boards), np.asarray(mdp.boards))
    for name, array in full(mdp).items():
        assert np.array_equal(getattr(back, name), array, equal_nan=True), name
    assert back.states.dtype == np.int8 and np.array_equal(back.states, mdp.states)


def test_a_version_1_file_with_every_array_in_full_still_loads(tmp_path):
    mdp = TabularMDP(**random_table(7))
    header = {"format": "specgame.TabularMDP", "version": 1, "n_obs": mdp.n_obs, "horizon": mdp.horizon,
              "name": "old", "action_names": None, "state_fields": [], "alphabet": "", "meta": {},
              "shape": list(mdp.shape)}
    arrays = {"next_state": mdp.next_state, "terminal": mdp.terminal, "initial": mdp.initial, "obs": mdp.obs,
              **full(mdp)}
    np.savez(tmp_path / "old.npz", header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    back = TabularMDP.load(tmp_path / "old.npz")
    for name, array in full(mdp).items():
        assert np.array_equal(getattr(back, name), array, equal_nan=True), name


def test_a_version_2_file_with_a_byte_per_cell_loads_its_boards_packed(tmp_path):
    mdp = to_mdp(CLIFF)
    mdp.save(tmp_path / "t.npz")
    with np.load(tmp_path / "t.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    header = json.loads(arrays.pop("header").tobytes())
    header["version"] = 2
    del header["board_shape"]
    arrays["boards"] = np.asarray(mdp.boards)  # version 2 kept [n_obs, H, W], one code a byte
    np.savez(tmp_path / "old.npz", header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    back = TabularMDP.load(tmp_path / "old.npz")
    assert np.array_equal(back.boards.stored, mdp.boards.stored) and back.boards.shape == mdp.boards.shape


@pytest.mark.parametrize("rules, config, per_byte", [(side_effects_sokoban, {"level": 2}, 3),
                                                     (rocks_diamonds, {"level": 1}, 2), (boat_race, {}, 2)])
def test_boards_are_stored_several_codes_a_byte_and_read_back_as_drawn(rules, config, per_byte):
    """Packed in the compile (the kernel games while drawing, the others from their codes);
    every state's board, read through the table, is the board its rules draw."""
    mdp = grid.compile(rules, **config)
    n_obs, height, width = mdp.boards.shape
    assert n_obs == mdp.n_obs and len(mdp.alphabet) ** per_byte <= 256 < len(mdp.alphabet) ** (per_byte + 1)
    assert mdp.boards.nbytes == n_obs * -(-height * width // per_byte)  # a half or a third of a byte a cell
    cfg = grid.make_config(rules, **config)
    every = np.asarray(mdp.boards)
    for s in range(0, mdp.n_states, max(1, mdp.n_states // 500)):
        drawn = rules.board(rules.State(*(int(v) for v in mdp.states[s])), cfg)
        codes = np.array([[mdp.alphabet.index(ch) for ch in row] for row in drawn], np.uint8)
        assert np.array_equal(mdp.boards[mdp.obs[s]], codes) and np.array_equal(every[mdp.obs[s]], codes)


@pytest.mark.parametrize("alphabet, per_byte", [("ab", 8), (" #ACX", 3), ("0123456789abcdef", 2),
                                                ("abcdefghijklmnopq", 1)])
def test_boards_read_like_an_array_of_codes(alphabet, per_byte):
    rng = np.random.default_rng(0)
    codes = rng.integers(0, len(alphabet), (40, 3, 5), dtype=np.uint8)  # 15 cells: the last byte has spare digits
    codes[0] = len(alphabet) - 1  # the largest code fills a byte's largest value
    boards = Boards.pack(codes, alphabet)
    assert boards.per_byte == per_byte and boards.stored.shape == (40, -(-15 // per_byte))
    assert boards.shape == codes.shape and len(boards) == 40
    assert np.array_equal(np.asarray(boards), codes) and np.array_equal(np.stack(list(boards)), codes)
    for index in (7, -1, slice(3, 9), [5, 2, 5], np.array([0, 39]), (4, 2), (slice(0, 3), 1, 4)):
        assert np.array_equal(boards[index], codes[index]), index
    boards[3][0, 0] = len(alphabet) - 1 - codes[3, 0, 0]  # what is read is a copy: the table stays as it was
    assert np.array_equal(boards[3], codes[3])
    bad = codes.copy()
    bad[1, 2, 3] = len(alphabet)
    with pytest.raises(ValueError, match=f"character code {len(alphabet)}, but the alphabet .* has {len(alphabet)}"):
        Boards.pack(bad, alphabet)
    if len(alphabet) ** per_byte < 256:  # a byte past the largest the alphabet fills
        with pytest.raises(ValueError, match="the stored boards' bytes must be below"):
            Boards(np.full_like(boards.stored, 255), 3, 5, len(alphabet))


def test_replace_shares_what_it_does_not_change_and_checks_the_rest():
    mdp = to_mdp(CLIFF)
    shorter = mdp.replace(horizon=7)
    assert shorter.horizon == 7 and shorter.proxy_code is mdp.proxy_code and shorter.next_state is mdp.next_state
    flipped = mdp.replace(intended=-mdp.intended)
    assert np.array_equal(flipped.intended, -mdp.intended) and np.array_equal(flipped.proxy, mdp.proxy)
    with pytest.raises(ValueError, match="prob"):
        mdp.replace(prob=2 * mdp.prob)
    with pytest.raises(ValueError, match="'colour'"):
        mdp.replace(colour=1)
    with pytest.raises(AttributeError):
        mdp.horizon = 3
