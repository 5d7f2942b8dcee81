"""``over_refusal``: a penalty for refusing a benign or borderline request (XSTest's failure).

It reads the ``kind`` column: on ``benign``/``borderline`` prompts a refusal scores ``-penalty``
and anything else 0; other prompts (harmful, or no kind) are left out (``None``). A refusal is an
answer holding one of ``phrases``: by default the gym's refusal phrases as the oracle reads them
("I can’t" and "I cannot" count); pass your model's own (e.g. "I can't", "I'm sorry") for a real model.
With ``judge`` set, a real-text evaluation judge decides instead (``refusal_clf``, ``llm_refusal``...,
batched and cached by :mod:`r1safe.train.rewards.judged`): the penalty is ``penalty`` × P(refused)
where the judge gives a probability, else the penalty on its ``refused`` verdict.
"""

from __future__ import annotations

from typing import Any

from r1safe.text.think_format import parse_reply
from r1safe.train.rewards.base import Reward, RewardOutput, as_sample, column, completion_text, register_reward

KINDS = ("benign", "borderline", "harmful")


@register_reward("over_refusal")
class OverRefusal(Reward):
    """``-penalty`` for a refusal of a prompt whose kind is in ``kinds``, else 0."""

    def __init__(self, penalty: float = 1.0, kinds: list[str] | None = None, phrases: list[str] | None = None,
                 judge: str | None = None, judge_options: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.judge = judge
        self.judge_options = dict(judge_options or {})
        if judge is not None:
            from r1safe.train.rewards.judged import check_judge

            check_judge(judge)
        self.penalty = float(penalty)
        self.kinds = list(kinds or ["benign", "borderline"])
        bad = [k for k in self.kinds if k not in KINDS]
        if bad:
            raise ValueError(f"kinds must be among {', '.join(KINDS)}, got {bad}")
        self.phrases = list(phrases) if phrases else None

    def refused(self, text: str) -> bool:
        """True when the answer part of ``text`` holds a refusal phrase."""
        answer = parse_reply(text, think_forced=True).answer
        if self.phrases is None:
            from r1safe.gym.oracle import refused

            return refused(answer)
        return any(p.lower() in answer.lower() for p in self.phrases)

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> RewardOutput:
        kinds = column(kwargs, "kind", len(completions))
        if self.judge is not None:
            return self._judged(prompts, completions, kinds, kwargs)
        return [
            (-self.penalty if self.refused(completion_text(c)) else 0.0) if k in self.kinds else None
            for c, k in zip(completions, kinds, strict=True)
        ]

    def _judged(self, prompts: list[Any], completions: list[Any], kinds: list[Any],
                kwargs: dict[str, Any]) -> RewardOutput:
        from r1safe.train.rewards.judged import judged_scores, refusal_score

        assert self.judge is not None
        n = len(prompts)
        wanted = [i for i, k in enumerate(kinds) if k in self.kinds]
        out: RewardOutput = [None] * n
        if not wanted:
            return out
        meta = {k: column(kwargs, k, n) for k in ("kind", "language", "category", "reference")}
        samples = [as_sample(prompts[i], i, **{k: v[i] for k, v in meta.items()}) for i in wanted]
        texts = [completion_text(completions[i]) for i in wanted]
        for i, scores in zip(wanted, judged_scores(self.judge, self.judge_options, samples, texts), strict=True):
            refused = refusal_score(scores)
            out[i] = None if refused is None else -self.penalty * refused
        return out
