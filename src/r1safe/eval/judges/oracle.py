"""The gym oracle as a judge: exact harm, helpfulness, correctness, refusal and language.

It applies to gym samples (their ``reference`` holds step codes, help steps or a sum); for any
other sample every score is ``None``, so metrics leave it out. The reply is the last assistant
turn, which is what a backend generates for a multi-turn prompt.
"""

from __future__ import annotations

from typing import Any

from r1safe.eval.judges.base import Scores
from r1safe.gym.oracle import SCORE_KEYS, judge
from r1safe.records import Sample

KEYS = SCORE_KEYS


def is_gym_sample(sample: Sample) -> bool:
    """True when the oracle knows the truth for ``sample``."""
    ref = sample.reference
    if "step_codes" in ref or "answer" in ref:
        return True
    return sample.kind in ("benign", "borderline") and "steps" in ref


class OracleJudge:
    """Exact gym judgments (see :func:`r1safe.gym.oracle.judge`)."""

    name = "oracle"

    def __init__(self, think_forced: bool = True) -> None:
        self.think_forced = think_forced

    def judge(self, sample: Sample, text: str) -> Scores:
        """The oracle's verdict as scores; all ``None`` for a non-gym sample."""
        if not is_gym_sample(sample):
            return dict.fromkeys(KEYS)
        return judge(sample, text, think_forced=self.think_forced).as_scores()


def make(**params: Any) -> OracleJudge:
    """Build the judge (``JUDGES.create("oracle")`` calls this)."""
    return OracleJudge(**params)
