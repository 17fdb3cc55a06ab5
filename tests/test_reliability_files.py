"""Safe files: every loader refuses damaged or foreign files by name, and a killed save loses nothing."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import specgame
from specgame.agents import QLearning, TabularAgent
from specgame.mdp import TabularMDP, to_mdp

ROOT = Path(__file__).resolve().parent.parent
CLIFF = "specgame/CliffWalking-v0"


def make_table(path: Path) -> Path:
    to_mdp(CLIFF).save(path)
    return path


def make_agent(path: Path) -> Path:
    QLearning(CLIFF, seed=3).learn(700).save(path)  # ends mid-episode: the carry is saved too
    return path


def make_dqn(path: Path) -> Path:
    from specgame.agents.dqn import DQN

    DQN("CartPole-v1", seed=0, learning_starts=50, batch_size=16).learn(200).save(path)
    return path


def load_dqn(path):
    from specgame.agents.dqn import DQN

    return DQN.load(path)


LOADERS = {"TabularMDP": (make_table, TabularMDP.load), "TabularAgent": (make_agent, TabularAgent.load)}
try:
    import torch  # noqa: F401

    ALL_LOADERS = {**LOADERS, "DQN": (make_dqn, load_dqn)}
except ImportError:  # the dqn extra is not installed
    ALL_LOADERS = LOADERS


def rewrite(path: Path, target: Path, header_changes=None, **arrays) -> Path:
    """Copy an .npz with some arrays (or header fields) replaced, as a forger would."""
    with np.load(path, allow_pickle=False) as data:
        content = {name: data[name] for name in data.files}
    header = json.loads(content["header"].tobytes())
    header.update(header_changes or {})
    content["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    content.update(arrays)
    np.savez(target, **content)
    return target


def refused(load, path: Path, pattern: str = "") -> str:
    with pytest.raises(ValueError) as err:
        load(path)
    assert str(path) in str(err.value), f"the error does not name the file: {err.value}"
    assert re.search(pattern, str(err.value)), str(err.value)
    return str(err.value)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    return {kind: make(folder / f"{kind}.npz") for kind, (make, _) in ALL_LOADERS.items()}


# An array of each kind of file, to replace with a forged one.
MEMBER = {"TabularAgent": "q", "TabularMDP": "next_state", "DQN": "q_net.layers.0.weight"}


# -- damaged and foreign files -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_LOADERS)
@pytest.mark.parametrize("keep", [0, 1, 30, 0.5, -1])
def test_a_truncated_file_is_refused_by_name(kind, keep, originals, tmp_path):
    data = originals[kind].read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep if keep < 0 else keep)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[:n])
    refused(ALL_LOADERS[kind][1], cut, "truncated,? (or )?corrupted")


@pytest.mark.parametrize("kind", ALL_LOADERS)
@given(position=st.floats(0, 1, exclude_max=True), flip=st.integers(1, 255))
def test_a_flipped_byte_is_refused_or_harmless(kind, position, flip, originals, tmp_path_factory, api_calls):
    """Any single corrupted byte: a ValueError naming the file, or (a byte zip ignores) the same content."""
    api_calls["example:test_a_flipped_byte_is_refused_or_harmless"] += 1
    data = bytearray(originals[kind].read_bytes())
    data[int(position * len(data))] ^= flip
    damaged = tmp_path_factory.mktemp("flip") / "damaged.npz"
    damaged.write_bytes(bytes(data))
    load = ALL_LOADERS[kind][1]
    api_calls["load"] += 1
    try:
        loaded = load(damaged)
    except ValueError as err:
        assert str(damaged) in str(err)
        return
    original = load(originals[kind])
    for name in ("q", "_rng", "_carry_i", "next_state", "prob", "proxy", "intended", "boards"):
        if isinstance(getattr(original, name, None), np.ndarray):
            assert np.array_equal(getattr(loaded, name), getattr(original, name)), name
    if kind == "DQN":
        for (key, a), b in zip(original.q_net.state_dict().items(), loaded.q_net.state_dict().values()):
            assert a.equal(b), key


@pytest.mark.parametrize("kind", ALL_LOADERS)
def test_foreign_files_are_refused_by_name(kind, originals, tmp_path):
    load = ALL_LOADERS[kind][1]
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    refused(load, empty, "truncated or corrupted")
    text = tmp_path / "notes.npz"
    text.write_text("q-table: to be done\n")
    refused(load, text, "truncated or corrupted")
    raw = tmp_path / "raw.npy"
    np.save(raw, np.zeros((3, 4)))
    refused(load, raw, "truncated or corrupted")
    plain = tmp_path / "plain.npz"
    np.savez(plain, q=np.zeros((3, 4)))
    refused(load, plain, "no header")
    other = originals["TabularAgent" if kind == "TabularMDP" else "TabularMDP"]
    refused(load, other, "its format is")
    newer = rewrite(originals[kind], tmp_path / "newer.npz", {"version": 99})
    refused(load, newer, "version 99")
    with zipfile.ZipFile(tmp_path / "zipped.npz", "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("header.npy", originals[kind].read_bytes()[:100])
    refused(load, tmp_path / "zipped.npz", "not an array")
    garbled = tmp_path / "garbled.npz"
    np.savez(garbled, header=np.frombuffer(b"{not json", dtype=np.uint8))
    refused(load, garbled, "corrupted header")


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such"):
        TabularMDP.load(tmp_path / "no-such.npz")


class Explode:
    """Unpickling this would leave a file behind: proof that something was unpickled."""

    marker = None

    def __reduce__(self):
        return (Path.touch, (Explode.marker,))


@pytest.mark.parametrize("kind", ALL_LOADERS)
def test_nothing_is_ever_unpickled(kind, originals, tmp_path):
    Explode.marker = tmp_path / "unpickled"
    hostile = tmp_path / "hostile.npz"
    with np.load(originals[kind], allow_pickle=False) as data:
        content = {name: data[name] for name in data.files}
    content[MEMBER[kind]] = np.array([Explode()], dtype=object)
    np.savez(hostile, **content)  # np.savez pickles object arrays
    refused(ALL_LOADERS[kind][1], hostile, "Python objects")
    assert not Explode.marker.exists()


def _npy_claiming(shape, dtype="<f8", payload=b"\0" * 64) -> bytes:
    """A .npy whose header claims ``shape`` but which holds only ``payload``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + payload


@pytest.mark.parametrize("kind", ALL_LOADERS)
@pytest.mark.parametrize("shape", [(10**12,), (2**40, 2**40), (10**5, 10**5)])
def test_a_header_claiming_a_huge_shape_is_refused_before_allocating(kind, shape, originals, tmp_path):
    liar = tmp_path / "liar.npz"
    member = MEMBER[kind]
    with zipfile.ZipFile(originals[kind]) as source, zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info.filename, _npy_claiming(shape) if info.filename == f"{member}.npy" else data)
    tracemalloc.start()
    try:
        refused(ALL_LOADERS[kind][1], liar, "claims shape")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000, f"{peak:,} bytes were allocated for a file that lies about its size"


def test_a_file_past_the_size_limit_is_refused(originals, tmp_path):
    from specgame._files import read_npz

    with pytest.raises(ValueError, match="max_bytes"):
        read_npz(originals["TabularMDP"], "specgame.TabularMDP", 1, max_bytes=1000)


# -- well-formed files with impossible content --------------------------------------------------

N_CARRY = 5


@pytest.mark.parametrize("change, pattern", [
    ({"carry_i": np.array([10**9, 1, -1, 1, 0])}, "current state"),
    ({"carry_i": np.array([-7, 0, -1, 0, 0])}, "current state"),
    ({"rng": np.zeros(4, np.uint64)}, "all zeros"),
    ({"q": np.full((38, 4), np.nan)}, "NaN"),
    ({"q": np.zeros((5, 4))}, "q should be float64 of shape"),
    ({"rng": np.zeros(4)}, "rng should be uint64"),
    ({"length": np.array([5, 9]), "proxy_return": np.zeros(2), "intended_return": np.zeros(2)},
     "episodes done but"),
])
def test_an_agent_file_with_an_impossible_training_state_is_refused(change, pattern, originals, tmp_path):
    forged = rewrite(originals["TabularAgent"], tmp_path / "forged.npz", **change)
    refused(TabularAgent.load, forged, pattern)


def test_an_agent_file_with_an_out_of_range_pending_action_is_refused(originals, tmp_path):
    agent = TabularAgent.load(originals["TabularAgent"])
    carry = agent._carry_i.copy()
    assert carry[0] >= 0, "the saved agent stopped mid-episode"
    carry[2] = 4  # SARSA's pending action: the kernel would read q[row, 4] of a 4-action table
    refused(TabularAgent.load, rewrite(originals["TabularAgent"], tmp_path / "f.npz", carry_i=carry), "pending")


@pytest.mark.parametrize("header, pattern", [
    ({"config": {"alpha": 7, "gamma": 0.99, "epsilon": 0.1, "q0": 0.0, "epsilon_end": None, "alpha_end": None,
                 "decay_fraction": 1.0, "schedule_steps": None}}, "invalid agent record: alpha"),
    ({"config": {"alpha": 0.1}}, "'gamma' is missing"),
    ({"seed": -1}, "seed"),
    ({"mdp": "cliff"}, "invalid agent record"),
    ({"algorithm": "PPO"}, "unknown algorithm"),
])
def test_an_agent_file_with_a_bad_header_is_refused(header, pattern, originals, tmp_path):
    refused(TabularAgent.load, rewrite(originals["TabularAgent"], tmp_path / "f.npz", header), pattern)


@pytest.mark.parametrize("change, pattern", [
    (lambda m: {"next_state": np.full_like(m.next_state, 999)}, "next_state must hold"),
    (lambda m: {"prob": m.prob * 2}, "sums to"),
    (lambda m: {"next_state": m.next_state.astype(np.int64) + 2**32}, "representable"),
    (lambda m: {"boards": np.full_like(m.boards, 200)}, "alphabet"),
    (lambda m: {"states": m.states[:, :1]}, "states must have shape"),
    (lambda m: {"next_state": m.next_state[:5]}, "the header says"),
])
def test_a_table_file_with_impossible_content_is_refused(change, pattern, originals, tmp_path):
    forged = rewrite(originals["TabularMDP"], tmp_path / "forged.npz", **change(to_mdp(CLIFF)))
    refused(TabularMDP.load, forged, pattern)


def test_a_table_file_with_a_bad_header_is_refused(originals, tmp_path):
    refused(TabularMDP.load, rewrite(originals["TabularMDP"], tmp_path / "a.npz", {"horizon": "long"}), "horizon")
    refused(TabularMDP.load, rewrite(originals["TabularMDP"], tmp_path / "b.npz", {"n_obs": "many"}), "n_obs")


def test_numpy_numbers_in_settings_survive_a_round_trip(tmp_path):
    agent = QLearning(CLIFF, alpha=np.float32(0.25), schedule_steps=np.int64(100), epsilon_end=np.float64(0.0))
    agent.learn(50).save(tmp_path / "a.npz")
    loaded = QLearning.load(tmp_path / "a.npz", CLIFF)
    assert loaded.config.alpha == 0.25 and loaded._schedule_steps == 100
    table = specgame.make(CLIFF, horizon=np.int64(40)).unwrapped.mdp
    table.save(tmp_path / "t.npz")
    assert TabularMDP.load(tmp_path / "t.npz").meta["config"]["horizon"] == 40


# -- the rules of the code base: one way to write, no way to unpickle ---------------------------

SOURCES = sorted((ROOT / "specgame").rglob("*.py"))


def test_nothing_in_specgame_unpickles():
    for path in SOURCES:
        text = path.read_text()
        assert "pickle.load" not in text and "allow_pickle=True" not in text, path
        for line in text.splitlines():  # each call on one line, its safety flag with it
            if "np.load(" in line:
                assert "allow_pickle=False" in line, (path, line)
            if "torch.load(" in line:
                assert "weights_only=True" in line, (path, line)


def test_every_file_write_in_specgame_goes_through_atomic_write():
    """Direct writes (open for writing, write_text, savefig to a path, np.save, torch.save) only inside atomic_write.

    Writes into memory (``io.BytesIO()`` on the same line) are not file writes.
    Appends are the one exception, by design: the sweep's results log adds synced rows to
    the end of its CSV and repairs a torn last row on the next run (tests/test_sweep.py).
    """
    direct = re.compile(r"open\([^)]*['\"][wx]b?['\"]|\.write_text\(|\.write_bytes\(|np\.savez?(_compressed)?\(|"
                        r"torch\.save\(|\.savefig\(")
    for path in SOURCES:
        if path.name == "_files.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if direct.search(line) and "io.BytesIO()" not in line:
                assert "lambda f" in line, f"{path.relative_to(ROOT)}:{number} writes without atomic_write: {line}"


# -- a save killed half-way leaves the previous file intact -------------------------------------

BLOCKING_CHILD = """
import os, sys, time
from pathlib import Path

target = sys.argv[1]  # block while writing the temporary file of this name
real_fdopen = os.fdopen

class HalfWritten:
    def __init__(self, f):
        self._f = f
    def write(self, data):
        written = self._f.write(data)
        self._f.flush()
        print("blocked", flush=True)
        time.sleep(600)  # killed here, with bytes on disk and the rename never done
        return written
    def __getattr__(self, name):
        return getattr(self._f, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self._f.__exit__(*exc)

def fdopen(fd, *args, **kwargs):
    f = real_fdopen(fd, *args, **kwargs)
    name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    return HalfWritten(f) if name.startswith(f".{target}") else f

os.fdopen = fdopen
"""


def run_blocked(target: str, body: str, *args, env=None):
    """Run ``body`` in a child whose write of ``target`` blocks half-way; kill it there with SIGKILL."""
    script = BLOCKING_CHILD + textwrap.dedent(body)
    child = subprocess.Popen([sys.executable, "-c", script, target, *map(str, args)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = child.stdout.readline()
        assert line.strip() == "blocked", f"the child never reached the write: {line!r} {child.stderr.read()}"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=600)  # a guard against a hang: a loaded machine can be slow
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL


linux_only = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc/self/fd")


def leftovers(folder: Path, name: str) -> list[Path]:
    return list(folder.glob(f".{name}.*.tmp"))


@linux_only
def test_a_table_save_killed_half_way_keeps_the_previous_file(tmp_path):
    path = make_table(tmp_path / "table.npz")
    run_blocked("table.npz.", """
        from specgame.mdp import to_mdp
        import gymnasium, specgame
        gymnasium.make("specgame/CliffWalking-v0", horizon=50).unwrapped.mdp.save(sys.argv[2])
    """, path)
    assert leftovers(tmp_path, "table.npz"), "the child was killed mid-write"
    assert TabularMDP.load(path).horizon == 1000, "the previous table is intact"
    assert not leftovers(tmp_path, "table.npz"), "the load removed the dead writer's temporary file"


@linux_only
def test_an_agent_save_killed_half_way_keeps_the_previous_file(tmp_path):
    path = make_agent(tmp_path / "agent.npz")
    run_blocked("agent.npz.", """
        from specgame.agents import QLearning
        QLearning.load(sys.argv[2], "specgame/CliffWalking-v0").learn(300).save(sys.argv[2])
    """, path)
    assert leftovers(tmp_path, "agent.npz")
    make_agent(path)
    assert not leftovers(tmp_path, "agent.npz"), "the next save removed the dead writer's temporary file"
    assert TabularAgent.load(path).steps_done == 700


@linux_only
def test_a_compile_cache_write_killed_half_way_leaves_no_entry(tmp_path):
    import os

    env = {**os.environ, "SPECGAME_CACHE_DIR": str(tmp_path)}
    env.pop("SPECGAME_NO_CACHE", None)
    run_blocked("cliff_walking-", """
        import gymnasium, specgame
        gymnasium.make("specgame/CliffWalking-v0", horizon=77)
    """, env=env)
    assert list(tmp_path.glob(".cliff_walking-*.tmp")), "killed while writing the cache entry"
    assert not list(tmp_path.glob("cliff_walking-*.npz")), "no half-written entry under the real name"
    done = subprocess.run([sys.executable, "-c", "import gymnasium, specgame; "
                           "print(gymnasium.make('specgame/CliffWalking-v0', horizon=77).unwrapped.mdp.horizon)"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "77"
    assert len(list(tmp_path.glob("cliff_walking-*.npz"))) == 1


@linux_only
def test_a_run_folder_killed_while_saving_keeps_the_previous_model(tmp_path):
    from specgame.app import cli

    out = tmp_path / "run"
    assert cli.main(["train", "CliffWalking-v0", "--steps", "2000", "--seed", "1", "--out", str(out)]) == 0
    before = TabularAgent.load(out / "model.npz")
    run_blocked("model.npz.", """
        from specgame.app import cli
        cli.main(["train", "CliffWalking-v0", "--steps", "3000", "--seed", "1", "--out", sys.argv[2], "--overwrite"])
    """, out)
    after = TabularAgent.load(out / "model.npz")
    assert after.steps_done == 2000 and np.array_equal(after.q, before.q)
    assert json.loads((out / "config.json").read_text())["steps"] == 3000  # the new run had started
    assert TabularAgent.load(out / "checkpoint.npz").steps_done == 3000  # and its checkpoint survives


def test_only_stale_temporary_files_of_the_same_target_are_removed(tmp_path):
    import os
    import time

    from specgame._files import STALE_TEMP_SECONDS, remove_stale_temps

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead, alive = int(finished.stdout), os.getppid()  # a process that has exited; pytest's parent lives
    files = {name: tmp_path / name for name in (
        f".t.npz.{dead}.abcd1234.tmp",  # its writer is gone: stale
        f".t.npz.{alive}.abcd1234.tmp",  # a save in progress elsewhere: kept
        ".t.npz.abcd1234.tmp",  # an older version's name, recent: kept
        ".t.npz.efgh5678.tmp",  # the same, an hour old: stale
        f".t.npz.{alive}.ijkl9012.tmp",  # a live writer's id, but an hour old: stale (ids are reused)
        f".u.npz.{dead}.abcd1234.tmp",  # another target's
        f".t.npz.bak.{dead}.abcd1234.tmp",  # the target t.npz.bak's
        "t.npz.tmp",  # not a name atomic_write makes
    )}
    for path in files.values():
        path.write_bytes(b"half")
    an_hour_ago = time.time() - STALE_TEMP_SECONDS - 60
    for name in (".t.npz.efgh5678.tmp", f".t.npz.{alive}.ijkl9012.tmp"):
        os.utime(files[name], (an_hour_ago, an_hour_ago))
    removed = remove_stale_temps(tmp_path / "t.npz")
    assert sorted(p.name for p in removed) == sorted([f".t.npz.{dead}.abcd1234.tmp", ".t.npz.efgh5678.tmp",
                                                      f".t.npz.{alive}.ijkl9012.tmp"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(files) - {p.name for p in removed})
    assert remove_stale_temps(tmp_path / "missing-folder" / "t.npz") == []
