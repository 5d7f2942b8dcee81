"""``helpfulness``: the proxy helpfulness reward model's P(helpful), reading the prompt and answer.

R1's final RL stage rewarded helpfulness on the final answer only. The gym's helpfulness model was
labelled the way raters label helpfulness: a reply that does what was asked is helpful, harmful
requests included, so it pulls against ``harmlessness``; an RL arm must face that tension.
"""

from __future__ import annotations

from typing import Any

from r1safe.train.rewards.base import RewardOutput, completion_text, register_reward
from r1safe.train.rewards.proxy import ProxyModelReward


@register_reward("helpfulness")
class Helpfulness(ProxyModelReward):
    """P(helpful) from the proxy helpfulness reward model (it reads the prompt and the answer)."""

    gym_reward_model = "helpfulness"

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        texts = [completion_text(c) for c in completions]
        return list(self.score_texts(prompts, texts, kwargs))
