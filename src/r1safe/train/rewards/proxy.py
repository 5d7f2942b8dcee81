"""The shared part of rewards read off a learned proxy reward model (the gym's, or any folder
saved by :meth:`r1safe.gym.reward_models.RewardModel.save`).

The model loads on first call, not at construction, so a recipe validates without a gym and a
reward pickles without its weights. ``model: gym`` is filled in by the runner with the reward
model of the recipe's gym.
"""

from __future__ import annotations

from typing import Any

from r1safe.errors import ConfigError
from r1safe.train.rewards.base import Reward, as_sample, column


class ProxyModelReward(Reward):
    """A reward that scores (sample, text) pairs with a proxy reward model."""

    def __init__(self, model: str = "gym") -> None:
        super().__init__()
        if not isinstance(model, str) or not model:
            raise ValueError("model must be a reward model folder or 'gym'")
        self.model = model

    def bind_gym(self, paths: dict[str, str]) -> None:
        if self.model == "gym" and self.gym_reward_model in paths:
            self.model = paths[self.gym_reward_model]

    @property
    def reward_model(self) -> Any:
        cached = self.__dict__.get("_cache_rm")
        if cached is None:
            if self.model == "gym":
                raise ConfigError(
                    f"reward {self.name!r}: params.model is 'gym' but the recipe has no gym; "
                    "set params.model to a reward model folder"
                )
            from r1safe.gym.reward_models import load_reward_model

            cached = self.__dict__["_cache_rm"] = load_reward_model(self.model)
        return cached

    def score_texts(self, prompts: list[Any], texts: list[str], kwargs: dict[str, Any]) -> list[float]:
        """The proxy model's probability for each (prompt, text)."""
        n = len(prompts)
        meta = {k: column(kwargs, k, n) for k in ("kind", "language", "category", "reference")}
        samples = [as_sample(p, i, **{k: v[i] for k, v in meta.items()}) for i, p in enumerate(prompts)]
        return [float(x) for x in self.reward_model.score(samples, texts)]
