"""specgame: a testbed for specification gaming in reinforcement learning.

Environments whose reward (the *proxy*) disagrees with what their designer meant (the
*intended* objective), fast agents that find the disagreement, and comparators that
measure it.  ``import specgame`` registers the ``specgame/…`` ids with Gymnasium.
"""

__version__ = "0.1.0"

from specgame.envs import env_ids as list_envs  # noqa: E402
from specgame.envs import register_envs  # noqa: E402


def make(env_id: str, **kwargs):
    """``gymnasium.make`` for our ids; the ``specgame/`` prefix is optional."""
    import gymnasium

    if "/" not in env_id:
        env_id = f"specgame/{env_id}"
    return gymnasium.make(env_id, **kwargs)


__all__ = ["__version__", "list_envs", "make", "register_envs"]
