"""Judges: each reads one sample and one reply and returns named scores.

Built in (:data:`JUDGES`, each module imported on first use by ``JUDGES.create(name)``):

- on the gym: ``oracle`` (exact gym truth), ``proxy`` (the gym's harmlessness reward model);
- on any text: ``refusal`` (multilingual refusal phrase patterns), ``format`` (think format and
  reasoning language), ``correctness`` (exact answers to arithmetic and GSM8K-style problems),
  ``degenerate`` (repetition loops, empty answers);
- learned classifiers read through :mod:`r1safe.classifiers`: ``refusal_clf`` (the refusal
  classifier), ``guard_classifier`` (the guard's request/response heads);
- generative guard models: ``llama_guard`` (Llama Guard 3/4), ``qwen3guard`` (Qwen3Guard-Gen);
- OpenAI-compatible endpoint judges: ``strongreject`` (StrongREJECT's rubric), ``llm_refusal``
  (XSTest's three classes).
"""

from r1safe.eval.judges.base import JUDGES, Judge, Scores, judge_all

__all__ = ["JUDGES", "Judge", "Scores", "judge_all"]
