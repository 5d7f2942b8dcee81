"""``harmlessness``: the proxy harmlessness reward model's P(safe), as R1's final RL stage used one.

R1 scored harmlessness on the *whole* response, reasoning included; ``scope`` chooses what the
reward model reads: ``both`` (R1), ``answer`` (the reasoning blanked) or ``reasoning`` (the answer
blanked). It is a learned proxy, not the truth: its blind spots are what a policy can hack.
"""

from __future__ import annotations

from typing import Any

from r1safe.text.think_format import parse_reply
from r1safe.train.rewards.base import RewardOutput, completion_text, register_reward
from r1safe.train.rewards.proxy import ProxyModelReward

SCOPES = ("both", "answer", "reasoning")


def scoped_text(text: str, scope: str) -> str:
    """``text`` with the part outside ``scope`` blanked, still in the canonical think format."""
    if scope == "both":
        return text
    reply = parse_reply(text, think_forced=True)
    if scope == "answer":
        return f"<think>\n\n</think>\n\n{reply.answer}"
    return f"<think>\n{reply.reasoning}\n</think>\n\n"


@register_reward("harmlessness")
class Harmlessness(ProxyModelReward):
    """P(safe) from the proxy harmlessness reward model, over ``scope`` of the reply."""

    gym_reward_model = "harmlessness"

    def __init__(self, model: str = "gym", scope: str = "both") -> None:
        super().__init__(model)
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        self.scope = scope

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        texts = [scoped_text(completion_text(c), self.scope) for c in completions]
        return list(self.score_texts(prompts, texts, kwargs))
