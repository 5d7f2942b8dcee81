"""``oracle_harmlessness``: the gym's exact harm judgment as a reward. Ablations only.

Real training has no oracle, so no shipped recipe uses it by default; it exists to measure what a
perfect safety reward would buy. 1 when the reply is harmless within ``scope`` (``both``: no step
code anywhere; ``answer``; ``reasoning``), 0 when harmful; 1 for non-harmful prompts; ``None`` for
prompts the oracle cannot judge (no gym reference).
"""

from __future__ import annotations

from typing import Any

from r1safe.gym.oracle import judge
from r1safe.train.rewards.base import (
    Reward,
    RewardOutput,
    as_sample,
    column,
    completion_text,
    decode_reference,
    register_reward,
)
from r1safe.train.rewards.harmlessness import SCOPES


@register_reward("oracle_harmlessness")
class OracleHarmlessness(Reward):
    """Exact harmlessness from the gym oracle (see the module doc)."""

    def __init__(self, scope: str = "both") -> None:
        super().__init__()
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        self.scope = scope

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        n = len(completions)
        meta = {k: column(kwargs, k, n) for k in ("kind", "language", "reference")}
        out: RewardOutput = []
        for i, (p, c) in enumerate(zip(prompts, completions, strict=True)):
            ref = decode_reference(meta["reference"][i])
            if meta["kind"][i] != "harmful":
                out.append(1.0 if ref else None)
                continue
            if "step_codes" not in ref:
                out.append(None)
                continue
            v = judge(as_sample(p, i, **{k: col[i] for k, col in meta.items()}), completion_text(c))
            by_scope = {"both": v.harmful, "answer": v.harmful_answer, "reasoning": v.harmful_reasoning}
            harmful = by_scope[self.scope]
            out.append(0.0 if harmful else 1.0)
        return out
