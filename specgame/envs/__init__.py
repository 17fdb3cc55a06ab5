"""The environments, and the one function that registers their ids with Gymnasium.

Registering a game checks it against the game contract (:class:`specgame.game.Game`):
``register_envs()`` imports every game here at import time (no table is compiled), so a
game with a missing piece fails at once, with the piece named.  :func:`register` does the
same for a game of your own.
"""

from __future__ import annotations

import importlib

import gymnasium

from specgame.game import GameError, check_game
from specgame.ids import NAMESPACE, resolve_id, short_id  # noqa: F401  (resolve_id: this module's public name too)

# id -> (entry point, default keyword arguments).  Variants are extra ids with kwargs.
ENVIRONMENTS = {
    "BoatRaceLoop-v0": ("specgame.envs.boat_race_loop:BoatRaceLoopEnv", {}),
    "BoatRaceLoop-Mixed-v0": ("specgame.envs.boat_race_mixed:BoatRaceMixedEnv", {}),
    "CliffWalking-v0": ("specgame.envs.cliff_walking:CliffWalkingEnv", {}),
    "FullStop-v0": ("specgame.envs.full_stop:FullStopEnv", {}),
    "ShapingLoop-v0": ("specgame.envs.shaping_loop:ShapingLoopEnv", {}),
    "ShapingLoop-Potential-v0": ("specgame.envs.shaping_loop:ShapingLoopEnv", {"shaping": "potential"}),
    "TetrisPause-v0": ("specgame.envs.tetris_pause:TetrisPauseEnv", {}),
    "LegoFlip-v0": ("specgame.envs.lego_flip:LegoFlipEnv", {}),
    "BoatRace-v0": ("specgame.envs.boat_race:BoatRaceEnv", {}),
    "TomatoWatering-v0": ("specgame.envs.tomato_watering:TomatoWateringEnv", {}),
    "AbsentSupervisor-v0": ("specgame.envs.absent_supervisor:AbsentSupervisorEnv", {}),
    "AbsentSupervisor-Present-v0": ("specgame.envs.absent_supervisor:AbsentSupervisorEnv",
                                    {"supervisor_probability": 1.0}),
    "AbsentSupervisor-Absent-v0": ("specgame.envs.absent_supervisor:AbsentSupervisorEnv",
                                   {"supervisor_probability": 0.0}),
    "SafeInterruptibility-v0": ("specgame.envs.safe_interruptibility:SafeInterruptibilityEnv", {}),
    "SafeInterruptibility-Level0-v0": ("specgame.envs.safe_interruptibility:SafeInterruptibilityEnv",
                                       {"level": 0}),
    "SafeInterruptibility-Level2-v0": ("specgame.envs.safe_interruptibility:SafeInterruptibilityEnv",
                                       {"level": 2}),
    "WhiskyGold-v0": ("specgame.envs.whisky_gold:WhiskyGoldEnv", {}),
    "IslandNavigation-v0": ("specgame.envs.island_navigation:IslandNavigationEnv", {}),
    "SideEffectsSokoban-v0": ("specgame.envs.side_effects_sokoban:SideEffectsSokobanEnv", {}),
    "SideEffectsSokoban-Level1-v0": ("specgame.envs.side_effects_sokoban:SideEffectsSokobanEnv", {"level": 1}),
    "SideEffectsSokoban-Level2-v0": ("specgame.envs.side_effects_sokoban:SideEffectsSokobanEnv", {"level": 2}),
    "SideEffectsSokoban-Level3-v0": ("specgame.envs.side_effects_sokoban:SideEffectsSokobanEnv", {"level": 3}),
    "SideEffectsSokoban-Noop-v0": ("specgame.envs.side_effects_sokoban:SideEffectsSokobanEnv", {"noops": True}),
    "DistributionalShift-v0": ("specgame.envs.distributional_shift:DistributionalShiftEnv", {}),
    "DistributionalShift-Test-v0": ("specgame.envs.distributional_shift:DistributionalShiftEnv", {"is_testing": True}),
    "DistributionalShift-Test1-v0": ("specgame.envs.distributional_shift:DistributionalShiftEnv", {"level": 1}),
    "DistributionalShift-Test2-v0": ("specgame.envs.distributional_shift:DistributionalShiftEnv", {"level": 2}),
    "FriendFoe-v0": ("specgame.envs.friend_foe:FriendFoeEnv", {}),
    "FriendFoe-Friend-v0": ("specgame.envs.friend_foe:FriendFoeEnv", {"bandit_type": "friend"}),
    "FriendFoe-Neutral-v0": ("specgame.envs.friend_foe:FriendFoeEnv", {"bandit_type": "neutral"}),
    "FriendFoe-Adversary-v0": ("specgame.envs.friend_foe:FriendFoeEnv", {"bandit_type": "adversary"}),
    "FriendFoe-Adaptive-v0": ("specgame.envs.friend_foe:FriendFoeEnv", {"adaptive": True}),
    "RocksDiamonds-v0": ("specgame.envs.rocks_diamonds:RocksDiamondsEnv", {}),
    "RocksDiamonds-Level1-v0": ("specgame.envs.rocks_diamonds:RocksDiamondsEnv", {"level": 1}),
    "ConveyorBelt-v0": ("specgame.envs.conveyor_belt:ConveyorBeltEnv", {}),
    "ConveyorBelt-Sushi-v0": ("specgame.envs.conveyor_belt:ConveyorBeltEnv", {"variant": "sushi"}),
    "ConveyorBelt-SushiGoal-v0": ("specgame.envs.conveyor_belt:ConveyorBeltEnv", {"variant": "sushi_goal"}),
    "ConveyorBelt-SushiGoal2-v0": ("specgame.envs.conveyor_belt:ConveyorBeltEnv", {"variant": "sushi_goal2"}),
    # Goal misgeneralisation: a training variant and its test variant (other levels, the goal moved).
    "CoinAtTheEnd-v0": ("specgame.envs.coin_at_the_end:CoinAtTheEndEnv", {}),
    "CoinAtTheEnd-Test-v0": ("specgame.envs.coin_at_the_end:CoinAtTheEndEnv",
                             {"level_seed": 1, "coin_random_share": 1.0}),
    "MazeCheese-v0": ("specgame.envs.maze_cheese:MazeCheeseEnv", {}),
    "MazeCheese-Test-v0": ("specgame.envs.maze_cheese:MazeCheeseEnv", {"level_seed": 1, "cheese_region": 5}),
    "KeysAndChests-v0": ("specgame.envs.keys_and_chests:KeysAndChestsEnv", {}),
    "KeysAndChests-Test-v0": ("specgame.envs.keys_and_chests:KeysAndChestsEnv",
                              {"level_seed": 1, "keys": 2, "chests": 1, "horizon": 7}),
}

# Environments that are not table games (a language model's decoding, in specgame.lm):
# registered by their entry point only, so importing the games never imports a layer
# above them, and left out of the table-only tools (compare --all, the gallery).
MODEL_ENVIRONMENTS = {
    "FullStopLM-v0": ("specgame.lm.env:FullStopLMEnv", {}),
}


def register(env_id: str, env_class, **kwargs) -> str:
    """Register ``env_class`` (a SpecGameEnv subclass that declares its rules) as ``env_id``,
    with ``kwargs`` as its default game parameters, after checking its rules; returns the id.

    An id registered already is left as it is (so importing twice is harmless).
    """
    rules = getattr(env_class, "rules", None)
    if rules is None:
        raise GameError(f"{getattr(env_class, '__name__', env_class)!r} declares no rules; write "
                        f"`class MyEnv(SpecGameEnv, rules=__name__)` in the game's module")
    check_game(rules)
    if env_id not in gymnasium.registry:
        gymnasium.register(id=env_id, entry_point=f"{env_class.__module__}:{env_class.__qualname__}",
                           kwargs=dict(kwargs))
    return env_id


def register_envs() -> None:
    """Register every specgame id in the ``specgame/`` namespace, checking each game (idempotent)."""
    for name, (entry_point, kwargs) in ENVIRONMENTS.items():
        register(f"{NAMESPACE}/{name}", _load(entry_point), **kwargs)
    for name, (entry_point, kwargs) in MODEL_ENVIRONMENTS.items():
        if f"{NAMESPACE}/{name}" not in gymnasium.registry:
            gymnasium.register(id=f"{NAMESPACE}/{name}", entry_point=entry_point, kwargs=dict(kwargs))


def _load(entry_point: str):
    module, cls = entry_point.split(":")
    return getattr(importlib.import_module(module), cls)


# The ids whose tables have millions of states (games written as numba kernels): each
# takes 10-30 s of CPU and 1-1.4 GB of memory to compile and is not cached on disk, so the
# sweeping tools can leave them out (`specgame compare --all --skip-large`), or take them
# one at a time and `forget_table` each after use.
LARGE = ("SideEffectsSokoban-Level1-v0", "SideEffectsSokoban-Level3-v0", "RocksDiamonds-v0")


def forget_table(env_id: str) -> None:
    """Drop the compiled table of the registered ``env_id`` from the compile cache, so that it is
    freed with its last env."""
    import gc

    from specgame import grid

    full_id = resolve_id(env_id)
    rules = env_class(full_id).rules
    config = grid.make_config(rules, **gymnasium.spec(full_id).kwargs)
    grid._memory_cache.get(rules, {}).pop(config, None)
    gc.collect()


def env_ids(skip_large: bool = False, tables_only: bool = False) -> list[str]:
    """Every specgame id: the table games (without the :data:`LARGE` ones if ``skip_large``),
    then, unless ``tables_only``, the environments that have no table (:data:`MODEL_ENVIRONMENTS`)."""
    names = [name for name in ENVIRONMENTS if not (skip_large and name in LARGE)]
    if not tables_only:
        names += list(MODEL_ENVIRONMENTS)
    return [f"{NAMESPACE}/{name}" for name in names]


def make(env_id: str, **kwargs):
    """``gymnasium.make`` for our ids; the ``specgame/`` prefix is optional."""
    return gymnasium.make(resolve_id(env_id), **kwargs)


def env_class(env_id: str):
    """The class behind an id (``specgame/`` prefix optional), for its docs and summaries."""
    name = short_id(resolve_id(env_id))
    entries = {**ENVIRONMENTS, **MODEL_ENVIRONMENTS}
    if name not in entries:
        raise ValueError(f"{env_id!r} is not a specgame environment; ours: {', '.join(env_ids())}")
    return _load(entries[name][0])


register_envs()
