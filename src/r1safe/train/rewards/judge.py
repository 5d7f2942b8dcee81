"""``judge``: any evaluation judge as a GRPO reward, so training and evaluation read text alike.

A real-text judge of :data:`r1safe.eval.judges.JUDGES` (the learned refusal classifier, a Llama
Guard or Qwen3Guard model, an LLM rubric behind an OpenAI-compatible endpoint) gives named scores
per reply; this reward takes one of them. ``score`` names it (``p_harmful_answer``, ``refused``,
``strongreject_score``...), ``invert`` turns "bad" into reward (``1 - value``), and ``kinds``
limits the reward to samples of those kinds (``None`` elsewhere, which TRL leaves out). A judge
that cannot score a reply (no answer after a cut-off, a failed call) gives ``None`` too, never a
made-up value. The judge is built on first call and dropped when the reward is pickled.

R1 scored harmlessness on the whole response: use a judge's reasoning score beside its answer
score (two ``judge`` entries), or ``score: harmful`` where a judge gives one verdict for both.
"""

from __future__ import annotations

from typing import Any

from r1safe.train.rewards.base import Reward, RewardOutput, as_sample, column, completion_text, register_reward

KINDS = ("harmful", "benign", "borderline")


@register_reward("judge")
class JudgeReward(Reward):
    """One score of one evaluation judge, as a reward in [0, 1] (see the module doc)."""

    def __init__(self, judge: str = "refusal", score: str = "refused", invert: bool = False,
                 kinds: list[str] | None = None, options: dict[str, Any] | None = None) -> None:
        super().__init__()
        from r1safe.eval.judges import JUDGES

        if judge not in JUDGES:
            raise ValueError(f"unknown judge {judge!r}; known: {', '.join(JUDGES.names())}")
        unknown = [k for k in kinds or [] if k not in KINDS]
        if unknown:
            raise ValueError(f"kinds: {unknown[0]!r} is not one of {', '.join(KINDS)}")
        self.judge, self.score, self.invert = judge, score, invert
        self.kinds = list(kinds) if kinds is not None else None
        self.options = dict(options or {})

    @property
    def _judge(self) -> Any:
        cached = self.__dict__.get("_cache_judge")
        if cached is None:
            from r1safe.eval.judges import JUDGES

            cached = self.__dict__["_cache_judge"] = JUDGES.create(self.judge, **self.options)
        return cached

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        from r1safe.eval.judges import judge_all

        n = len(prompts)
        meta = {k: column(kwargs, k, n) for k in ("kind", "language", "category", "reference")}
        samples = [as_sample(p, i, **{k: v[i] for k, v in meta.items()}) for i, p in enumerate(prompts)]
        wanted = [i for i, s in enumerate(samples) if self.kinds is None or s.kind in self.kinds]
        out: RewardOutput = [None] * n
        if not wanted:
            return out
        texts = [completion_text(completions[i]) for i in wanted]
        for i, scores in zip(wanted, judge_all(self._judge, [samples[i] for i in wanted], texts), strict=True):
            value = scores.get(self.score)
            if value is not None:
                out[i] = 1.0 - float(value) if self.invert else float(value)
        return out
