"""``format``: 1 for a well-formed R1 reply (one non-empty think block, then a non-empty answer).

Replies are read with :func:`~r1safe.text.think_format.parse_reply` in forced-think mode, so a
completion that TRL hands over without the ``<think>`` opener (the chat template put it in the
prompt) reads the same as one that carries it. A truncated reply (no ``</think>``) scores 0.
"""

from __future__ import annotations

from typing import Any

from r1safe.text.think_format import parse_reply
from r1safe.train.rewards.base import Reward, RewardOutput, completion_text, register_reward


@register_reward("format")
class Format(Reward):
    """``value`` for a well-formed reply, 0 otherwise."""

    def __init__(self, value: float = 1.0) -> None:
        super().__init__()
        self.value = float(value)

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        return [
            self.value if parse_reply(completion_text(c), think_forced=True).format_ok else 0.0 for c in completions
        ]
