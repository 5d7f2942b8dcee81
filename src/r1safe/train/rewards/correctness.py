"""``correctness``: 1 when the reply's final answer equals the reference answer, else 0.

It applies to prompts whose ``reference`` holds an ``answer`` and leaves every other prompt out
(``None``). An integer reference (the gym's arithmetic) is graded by the oracle's rule
(:func:`~r1safe.gym.oracle.final_number`, the answer's last integer); a text reference (GSM8K's
number, MATH's LaTeX expression) by :func:`r1safe.text.math_answer.answers_match` (``math-verify``
when installed, else a boxed/number rule) on the answer part of the reply. A gym refusal is never
correct. Rules, as R1's accuracy rewards were.
"""

from __future__ import annotations

from typing import Any

from r1safe.gym.oracle import final_number, refused
from r1safe.text.math_answer import answers_match
from r1safe.text.think_format import parse_reply
from r1safe.train.rewards.base import (
    Reward,
    RewardOutput,
    column,
    completion_text,
    decode_reference,
    register_reward,
)


@register_reward("correctness")
class Correctness(Reward):
    """Exact-answer reward on arithmetic prompts; ``None`` elsewhere."""

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        refs = column(kwargs, "reference", len(completions))
        out: RewardOutput = []
        for c, raw in zip(completions, refs, strict=True):
            ref = decode_reference(raw)
            if "answer" not in ref:
                out.append(None)
                continue
            answer = parse_reply(completion_text(c), think_forced=True).answer
            if isinstance(ref["answer"], int):
                ok = final_number(answer) == ref["answer"] and not refused(answer)
            else:
                ok = bool(answer) and answers_match(answer, str(ref["answer"]))
            out.append(1.0 if ok else 0.0)
        return out
