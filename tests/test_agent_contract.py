"""The agent contract and the id resolver.

Every registered agent follows :class:`specgame.agents.Agent` (checked, then used through the
contract alone); a class missing a member is refused by name; the learner of
docs/architecture.md ("Add a learner") trains, saves, loads and is judged through every
command; short and full ids work at every entry point.
"""

import csv
import dataclasses
import json
import re
import sys
import types
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import specgame
from specgame import agents
from specgame.agents import AgentError, TabularConfig, check_agent, observation_settings, register, unregister
from specgame.app.cli import main
from specgame.views import play

DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def learner_blocks() -> list[str]:
    """The Python blocks of the page's "Add a learner" section: the learner, then its use."""
    section = DOC.read_text(encoding="utf-8").split("## Add a learner", 1)[1]
    return re.findall(r"```python\n(.*?)```", section, re.S)


@pytest.fixture(scope="module")
def myopic():
    module = types.ModuleType("myopic")
    sys.modules["myopic"] = module  # the page's second block imports it by that name
    exec(compile(learner_blocks()[0], "<myopic>", "exec"), module.__dict__)
    yield module
    sys.modules.pop("myopic", None)
    unregister("myopic")


# -- the contract ----------------------------------------------------------------------------------


def built_in(name: str):
    try:
        return agents.agent_class(name)
    except ImportError:  # the DQN without torch
        pytest.skip(f"{name} needs an optional extra")


@pytest.mark.parametrize("name", agents.agent_names())
def test_every_registered_agent_follows_the_contract_and_is_used_through_it_alone(name, tmp_path):
    cls = built_in(name)
    assert check_agent(cls) is cls and cls.config_class is agents.config_class(name)
    env = specgame.make("CliffWalking-v0", **observation_settings(cls))
    seen = []
    trained = cls.train_seeds(env, [0, 1], 300, progress=lambda agent, goal: seen.append((agent.seed, goal)))
    assert [agent.seed for agent in trained] == [0, 1] and {seed for seed, _ in seen} == {0, 1}
    agent = trained[1]
    assert agent.steps_done >= 300 and agent.config.seed == 1
    assert len(agent.history) == len(agent.history.proxy_return) == len(agent.history.intended_return)
    table = agent.policy_table(env)
    assert table.shape == (env.unwrapped.mdp.n_obs,) and ((0 <= table) & (table < 4)).all()
    observation, _ = env.reset(seed=0)
    action, state = agent.predict(observation, deterministic=True)
    assert state is None and 0 <= int(action) < 4
    agent.save(tmp_path / "agent.npz")
    loaded = cls.load(tmp_path / "agent.npz", env)
    assert np.array_equal(loaded.policy_table(env), table) and loaded.steps_done == agent.steps_done
    calls = []
    loaded.learn(200, progress=lambda agent, goal: calls.append(goal), checkpoint_every=100)
    assert calls and calls[-1] == agent.steps_done + 200 and loaded.steps_done >= calls[-1]
    if cls.resumable:
        loaded.learn(100, checkpoint=tmp_path / "checkpoint.npz")
        assert cls.load(tmp_path / "checkpoint.npz", env).steps_done == loaded.steps_done
    else:
        with pytest.raises(ValueError, match="checkpoint"):
            loaded.learn(100, checkpoint=tmp_path / "checkpoint.npz")
        assert not (tmp_path / "checkpoint.npz").exists()


def complete_members() -> dict:
    """Every member of the contract, each the smallest thing that fits."""
    return {
        "config_class": TabularConfig, "obs_mode": "index", "has_table": True, "resumable": False,
        "__init__": lambda self, env, config=None, **settings: None,
        "learn": lambda self, total_steps, progress=None, checkpoint=None, checkpoint_every=None: self,
        "predict": lambda self, observation, deterministic=True: (0, None),
        "policy_table": lambda self, env: np.zeros(1, np.int64),
        "save": lambda self, path: None,
        "load": classmethod(lambda cls, path, env=None: cls),
        "train_seeds": classmethod(lambda cls, env, seeds, total_steps, progress=None, **settings: []),
    }


MEMBERS = ["config_class", "obs_mode", "has_table", "resumable", "learn", "predict", "policy_table", "save", "load",
           "train_seeds"]


def test_the_smallest_complete_class_passes():
    cls = type("Complete", (), complete_members())
    assert check_agent(cls) is cls


@pytest.mark.parametrize("member", MEMBERS)
def test_a_class_missing_a_member_is_refused_by_name(member):
    members = complete_members()
    del members[member]
    broken = type("Broken", (), members)
    with pytest.raises(AgentError, match=rf"the agent Broken has no .*\[{member}\]"):
        check_agent(broken)
    with pytest.raises(AgentError, match=rf"\[{member}\]"):
        register("broken", broken, default_steps=10)
    assert "broken" not in agents.AGENTS


@dataclasses.dataclass  # not frozen
class LooseConfig:
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class SeedlessConfig:
    alpha: float = 0.1


@pytest.mark.parametrize("change, member", [
    ({"obs_mode": "rgb"}, "obs_mode"),
    ({"has_table": "yes"}, "has_table"),
    ({"config_class": dict}, "config_class"),
    ({"config_class": LooseConfig}, "config_class"),
    ({"config_class": SeedlessConfig}, "config_class"),
    ({"load": lambda self, path, env=None: self}, "load"),
    ({"learn": lambda self, total_steps: self}, "learn"),
    ({"predict": lambda self: (0, None)}, "predict"),
    ({"__init__": lambda self: None}, "__init__"),
])
def test_a_malformed_member_is_refused_by_name(change, member):
    broken = type("Broken", (), {**complete_members(), **change})
    with pytest.raises(AgentError, match=rf"\[{member}\]"):
        check_agent(broken)


def test_registering_is_checked_and_a_lazy_class_is_checked_when_first_asked_for():
    with pytest.raises(AgentError, match="needs config_class="):
        register("lazy", "somewhere:Learner", default_steps=10)
    with pytest.raises(AgentError, match="no budget for 'watch'"):
        register("lazy", type("Complete", (), complete_members()),
                 default_steps={"train": 10, "compare": 10, "compare --all": 10})
    with pytest.raises(AgentError, match=r"default_steps\['train'\] must be a positive int, got 0"):
        register("lazy", type("Complete", (), complete_members()), default_steps=dict.fromkeys(agents.TASKS, 0))
    members = complete_members()
    del members["policy_table"]
    home = types.ModuleType("lazy_home")
    home.Broken, home.Complete = type("Broken", (), members), type("Complete", (), complete_members())
    sys.modules["lazy_home"] = home
    try:
        register("lazy", "lazy_home:Broken", config_class=TabularConfig, default_steps=10)
        assert agents.config_class("lazy") is TabularConfig and agents.default_steps("lazy", "watch") == 10
        with pytest.raises(AgentError, match=r"\[policy_table\]"):
            agents.agent_class("lazy")
        register("lazy", "lazy_home:Complete", config_class=agents.DQNConfig, default_steps=10)
        with pytest.raises(AgentError, match="registered with config_class DQNConfig"):
            agents.agent_class("lazy")
    finally:
        sys.modules.pop("lazy_home")
        unregister("lazy")
    with pytest.raises(ValueError, match=r"agent must be one of q-learning, .*got 'sarsaa' \(did you mean 'sarsa'\?\)"):
        agents.agent_class("sarsaa")


# -- the learner of the page --------------------------------------------------------------------


def test_the_documented_learner_fits_in_60_lines():
    assert len(learner_blocks()[0].splitlines()) <= 60


def test_the_documented_learner_trains_saves_loads_and_runs_the_commands(myopic, tmp_path, monkeypatch):
    """The page's second block as it stands, on small budgets (SPECGAME_STEPS) and in a scratch folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPECGAME_STEPS", "2000")
    use = {}
    exec(compile(learner_blocks()[1], "<use>", "exec"), use)
    assert use["myopic"] is myopic and agents.agent_class("myopic") is myopic.Myopic
    assert use["agent"].steps_done == 20_000 and len(use["agent"].history) > 0
    assert json.loads((tmp_path / "runs/myopic/config.json").read_text())["agent"] == "myopic"
    assert (tmp_path / "myopic.gif").stat().st_size > 0


def test_the_documented_learner_never_looks_past_one_step(myopic):
    """A learned fact over seeds: with nothing paid one step from the start, its greedy boat goes nowhere."""
    env = specgame.make("BoatRaceLoop-v0")
    verdicts = [specgame.gap_report(env, agents.make("myopic", env, seed=seed).learn(20_000)).verdict
                for seed in range(3)]
    assert verdicts.count("incompetent") >= 2, verdicts


def test_the_documented_learner_goes_through_every_command(myopic, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    assert main(["train", "CliffWalking-v0", "--agent", "myopic", "--steps", "3000", "--seed", "1",
                 "--alpha", "0.5", "--out", str(run), "-q"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["agent"] == "myopic" and config["agent_settings"]["alpha"] == 0.5
    loaded = agents.agent_class("myopic").load(run / "model.npz")  # without an env: it acts, not trains
    same = myopic.Myopic(specgame.make("CliffWalking-v0"), seed=1, alpha=0.5).learn(3000)
    assert loaded.steps_done == 3000 and np.array_equal(loaded.q, same.q)  # the command trained this very agent
    assert len((run / "progress.csv").read_text().splitlines()) == len(same.history) + 1
    assert json.loads((run / "report.json").read_text())["reports"][0]["policy"] == "myopic"
    assert main(["train", "CliffWalking-v0", "--agent", "myopic", "--resume", "--out", str(run)]) == 2
    assert "myopic writes none" in capsys.readouterr().err

    shown = []
    monkeypatch.setattr(play.render.Window, "show", lambda self, frame, hud=None: shown.append(frame.shape))
    assert main(["watch", str(run), "--fps", "1000", "--tile-size", "8", "--max-steps", "6"]) == 0
    assert shown and "watching myopic on specgame/CliffWalking-v0" in capsys.readouterr().out
    assert main(["record", str(run), "--gif", str(tmp_path / "run.gif"), "--tile-size", "8", "--max-steps", "4"]) == 0
    assert main(["record", "CliffWalking-v0", "--agent", "myopic", "--steps", "1000", "--gif",
                 str(tmp_path / "spot.gif"), "--tile-size", "8", "--max-steps", "4"]) == 0  # trained on the spot

    assert main(["compare", "CliffWalking-v0", "--agents", "myopic,sarsa", "--seeds", "2", "--steps", "1500",
                 "--json", str(tmp_path / "c.json"), "-q"]) == 0
    reports = json.loads((tmp_path / "c.json").read_text())
    assert set(reports) == {"myopic", "sarsa"} and len(reports["myopic"]["reports"]) == 2

    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps({"steps": 1500, "seeds": 2, "grid": [
        {"env": "CliffWalking-v0", "agent": ["myopic", "sarsa"], "agent_params": {"alpha": 0.5}}]}))
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "sweep.csv"), "--jobs", "1"]) == 0
    with open(tmp_path / "sweep.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted((row["agent"], row["seed"], row["status"]) for row in rows) == [
        ("myopic", "0", "ok"), ("myopic", "1", "ok"), ("sarsa", "0", "ok"), ("sarsa", "1", "ok")]
    assert all(row["verdict"] in ("aligned", "gaming", "incompetent") for row in rows)


# -- ids ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", ["CliffWalking-v0", "specgame/CliffWalking-v0"])
def test_short_and_full_ids_work_at_every_entry_point(env_id, tmp_path, monkeypatch):
    from specgame.analysis.rollout import rollout
    from specgame.ids import resolve_id, short_id
    from specgame.mdp import to_mdp

    full = "specgame/CliffWalking-v0"
    assert resolve_id(env_id) == full and short_id(env_id) == "CliffWalking-v0"
    assert specgame.make(env_id).spec.id == full
    assert to_mdp(env_id).shape == to_mdp(full).shape
    assert rollout(lambda obs: 0, env_id, episodes=1, max_episode_steps=5).episodes == 1
    assert specgame.QLearning(env_id, seed=0).learn(100).steps_done == 100
    monkeypatch.chdir(tmp_path)
    assert main(["train", env_id, "--steps", "500", "-q"]) == 0
    assert (tmp_path / "runs/CliffWalking-v0-q-learning-seed0-steps=500/model.npz").exists()
    assert main(["compare", env_id, "--agents", "sarsa", "--seeds", "1", "--steps", "500", "-q"]) == 0
    assert main(["record", env_id, "--agent", "random", "--gif", "a.gif", "--tile-size", "8", "--max-steps", "3"]) == 0
    (tmp_path / "s.json").write_text(json.dumps({"steps": 300, "grid": [{"env": env_id, "agent": "sarsa"}]}))
    assert main(["sweep", "s.json", "--out", "s.csv", "--jobs", "1"]) == 0
    torch = pytest.importorskip("torch")
    assert torch is not None
    from specgame.agents.dqn import DQN

    assert DQN(env_id, seed=0).obs_shape == DQN(gym.make(full, obs_mode="onehot")).obs_shape  # its board planes


@pytest.mark.parametrize("call", [
    lambda: specgame.make("CliffWalkng-v0"),
    lambda: __import__("specgame.mdp", fromlist=["to_mdp"]).to_mdp("CliffWalkng-v0"),
    lambda: __import__("specgame.analysis.rollout", fromlist=["rollout"]).rollout(lambda o: 0, "CliffWalkng-v0"),
])
def test_an_unknown_id_names_the_closest_of_ours(call):
    with pytest.raises(ValueError, match=r"unknown environment 'CliffWalkng-v0' \(did you mean 'CliffWalking-v0'\?\)"):
        call()
