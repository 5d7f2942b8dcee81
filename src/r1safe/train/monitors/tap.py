"""A tap on GRPO's rollouts: what the reward functions were shown and what they returned.

Each reward is wrapped in :class:`TappedReward`, which times it and records its values; the
monitors read the batches recorded since the last log (the completions, their token counts and
languages, and every reward), so rollout statistics cost no extra generation. TRL calls every
reward with the same ``completions`` list, which is how a batch is recognised.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from r1safe.train.rewards.base import Reward, column, completion_text


@dataclass
class RolloutBatch:
    texts: list[str]
    completion_tokens: list[int]
    languages: list[str | None]
    kinds: list[str | None]
    rewards: dict[str, list[float | None]] = field(default_factory=dict)

    def total_reward(self, weights: dict[str, float]) -> list[float]:
        """The weighted sum of every reward per completion, NaN-skipping as TRL sums them."""
        out = []
        for i in range(len(self.texts)):
            vals = [(w, self.rewards.get(n, [None] * (i + 1))[i]) for n, w in weights.items()]
            out.append(sum(w * v for w, v in vals if v is not None and not math.isnan(v)))
        return out


class RolloutTap:
    """Holds the rollout batches seen since the last :meth:`clear`, and the time spent in rewards."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights
        self.batches: list[RolloutBatch] = []
        self._keys: list[int] = []
        self.reward_seconds = 0.0
        self.completion_tokens = 0

    def record(
        self, name: str, completions: list[Any], kwargs: dict[str, Any], values: list[Any], seconds: float
    ) -> None:
        self.reward_seconds += seconds
        key = id(completions)
        if not self._keys or self._keys[-1] != key:
            n = len(completions)
            ids = kwargs.get("completion_ids")
            if ids is not None:
                tokens = [len(x) for x in ids]
            else:
                tokens = [len(completion_text(c).split()) for c in completions]
            self.completion_tokens += sum(tokens)
            self.batches.append(
                RolloutBatch(
                    [completion_text(c) for c in completions],
                    tokens,
                    column(kwargs, "language", n),
                    column(kwargs, "kind", n),
                )
            )
            self._keys.append(key)
        self.batches[-1].rewards[name] = list(values)

    def clear(self) -> None:
        self.batches.clear()
        self._keys.clear()


class TappedReward:
    """A reward that reports each call to a :class:`RolloutTap` (TRL sees the same name)."""

    def __init__(self, reward: Reward, tap: RolloutTap) -> None:
        self.reward = reward
        self.tap = tap
        self.__name__ = reward.__name__

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float | None]:
        t0 = time.perf_counter()
        values = self.reward(prompts, completions, **kwargs)
        self.tap.record(self.__name__, completions, kwargs, values, time.perf_counter() - t0)
        return values
