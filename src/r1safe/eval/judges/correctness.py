"""Exact-answer correctness on any sample whose ``reference`` holds an ``answer`` (arithmetic, GSM8K).

``correct`` is True when the answer part of the reply (after ``</think>``; the whole reply for a model
without a think block) ends in the reference answer, by :func:`r1safe.text.math_answer.answers_match`,
the rule the ``correctness`` reward trains on; None on samples without an answer and on replies cut off
inside the think block (they have no answer to grade).
"""

from __future__ import annotations

from typing import Any

from r1safe.eval.judges.base import Scores
from r1safe.records import Sample
from r1safe.text.math_answer import answers_match
from r1safe.text.think_format import parse_reply


class CorrectnessJudge:
    """Grades the final answer against ``sample.reference["answer"]``."""

    name = "correctness"

    def __init__(self, think_forced: bool = True) -> None:
        self.think_forced = think_forced

    def judge(self, sample: Sample, text: str) -> Scores:
        expected = sample.reference.get("answer")
        if expected is None:
            return {"correct": None}
        answer = parse_reply(text, think_forced=self.think_forced).judged_answer
        if answer is None:
            return {"correct": None}
        return {"correct": bool(answer) and answers_match(answer, str(expected))}


def make(**params: Any) -> CorrectnessJudge:
    """Build the judge (``JUDGES.create("correctness")`` calls this)."""
    return CorrectnessJudge(**params)
