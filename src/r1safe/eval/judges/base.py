"""The judge interface: (sample, reply text) → named scores, ``None`` for "does not apply".

A judge never raises on malformed replies. Scores are booleans or floats; metrics average them
and leave ``None`` out, as inspect-ai leaves unscored samples out.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from r1safe.records import Sample
from r1safe.registry import Registry

Scores = dict[str, float | bool | None]


@runtime_checkable
class Judge(Protocol):
    name: str

    def judge(self, sample: Sample, text: str) -> Scores:
        """Scores for ``text``, the assistant's reply (with its think block) to ``sample``."""
        ...

    # Optional: ``judge_batch(samples, texts) -> list[Scores]`` for judges that score in batches.


JUDGES: Registry[Judge] = Registry("judge")


def judge_all(judge: Judge, samples: list[Sample], texts: list[str]) -> list[Scores]:
    """Scores for many replies: the judge's own ``judge_batch`` when it has one (a model that
    scores a batch at once), else one ``judge`` call per reply."""
    batch = getattr(judge, "judge_batch", None)
    if batch is not None:
        return list(batch(samples, texts))
    return [judge.judge(s, t) for s, t in zip(samples, texts, strict=True)]


# Built-in judges, registered lazily (a judge's module is imported when the judge is first built).
# A new judge is one module with a ``make(**params)`` and one line here.
for _name in ("oracle", "refusal", "format", "proxy", "correctness", "degenerate"):
    JUDGES.register_lazy(_name, f"r1safe.eval.judges.{_name}")
# Real-text judges: a learned refusal classifier, generative guard models, OpenAI-endpoint judges.
for _name in ("refusal_clf", "llama_guard", "qwen3guard", "strongreject", "llm_refusal"):
    JUDGES.register_lazy(_name, f"r1safe.eval.judges.{_name}")
JUDGES.register_lazy("guard_classifier", "r1safe.eval.judges.guard_classifier")
