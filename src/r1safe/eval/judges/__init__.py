"""Judges: each reads one sample and one reply and returns named scores.

Built in: ``oracle`` (exact gym truth), ``refusal`` (multilingual refusal patterns), ``format``
(think format and reasoning language) and ``proxy`` (the gym's harmlessness reward model).
``JUDGES.create(name)`` imports a judge's module on first use.
"""

from r1safe.eval.judges.base import JUDGES, Judge, Scores, judge_all

__all__ = ["JUDGES", "Judge", "Scores", "judge_all"]
