"""Training: recipes of SFT, GRPO and rejection-sampling stages, rewards and monitors.

``run_recipe(recipe, out_dir)`` (:mod:`r1safe.train.runner`) runs a recipe
(:mod:`r1safe.train.recipe`) stage by stage with TRL; rewards live in :mod:`r1safe.train.rewards`
and monitors in :mod:`r1safe.train.monitors`. Importing this package loads neither torch nor TRL.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Recipe", "TrainResult", "load_recipe", "run_recipe"]


def __getattr__(name: str) -> Any:
    if name in ("Recipe", "load_recipe"):
        from r1safe.train import recipe

        return getattr(recipe, name)
    if name in ("run_recipe", "TrainResult"):
        from r1safe.train import runner

        return getattr(runner, name)
    raise AttributeError(name)
