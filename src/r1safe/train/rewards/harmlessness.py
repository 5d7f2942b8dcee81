"""``harmlessness``: the proxy harmlessness reward model's P(safe), as R1's final RL stage used one.

R1 scored harmlessness on the *whole* response, reasoning included; ``scope`` chooses what the
reward model reads: ``both`` (R1), ``answer`` (the reasoning blanked) or ``reasoning`` (the answer
blanked). It is a learned proxy, not the truth: its blind spots are what a policy can hack.

With ``judge`` set, a real-text evaluation judge scores instead (``refusal_clf``, ``llama_guard``,
``qwen3guard``, ``strongreject``, ``llm_refusal``...; ``judge_options`` are its parameters), batched
and cached (:mod:`r1safe.train.rewards.judged`): 1 - P(harmful) where the judge reads harm (the
reasoning and the answer for ``both``), else P(refused answer) for a refusal-only judge. It scores
prompts of ``kinds`` (default: harmful ones) and leaves the rest out (``None``): a harm judge calls
a benign reply safe whether it helps or refuses, so over-refusal is ``over_refusal``'s job.
"""

from __future__ import annotations

from typing import Any

from r1safe.text.think_format import parse_reply
from r1safe.train.rewards.base import RewardOutput, as_sample, column, completion_text, register_reward
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

    def __init__(self, model: str = "gym", scope: str = "both", judge: str | None = None,
                 judge_options: dict[str, Any] | None = None, kinds: list[str] | None = None) -> None:
        super().__init__(model)
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        self.scope = scope
        self.judge = judge
        self.judge_options = dict(judge_options or {})
        self.kinds = list(kinds) if kinds is not None else ["harmful"]
        if judge is not None:
            from r1safe.train.rewards.judged import check_judge

            check_judge(judge)
        bad = [k for k in self.kinds if k not in ("harmful", "benign", "borderline")]
        if bad:
            raise ValueError(f"kinds: {bad[0]!r} is not one of harmful, benign, borderline")

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        if self.judge is not None:
            return self._judged(prompts, completions, kwargs)
        texts = [scoped_text(completion_text(c), self.scope) for c in completions]
        return list(self.score_texts(prompts, texts, kwargs))

    def _judged(self, prompts: list[Any], completions: list[Any], kwargs: dict[str, Any]) -> RewardOutput:
        from r1safe.train.rewards.judged import judged_scores, safe_score

        n = len(prompts)
        meta = {k: column(kwargs, k, n) for k in ("kind", "language", "category", "reference")}
        samples = [as_sample(p, i, **{k: v[i] for k, v in meta.items()}) for i, p in enumerate(prompts)]
        wanted = [i for i, s in enumerate(samples) if s.kind in self.kinds]
        out: RewardOutput = [None] * n
        if wanted:
            texts = [completion_text(completions[i]) for i in wanted]
            scores = judged_scores(self.judge, self.judge_options, [samples[i] for i in wanted], texts)  # type: ignore[arg-type]
            for i, sc in zip(wanted, scores, strict=True):
                out[i] = safe_score(sc, self.scope)
        return out
