"""The judge interface: (sample, reply text) → named scores, ``None`` for "does not apply".

A judge never raises on malformed replies. Scores are booleans or floats; metrics average them
and leave ``None`` out, as inspect-ai leaves unscored samples out.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

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


def _lazy(module: str) -> Callable[..., Judge]:
    """A factory that imports ``module`` (a dotted path) only when called and calls its ``make``."""

    def factory(**params: Any) -> Judge:
        return importlib.import_module(module).make(**params)

    factory.__name__ = f"make_{module.rsplit('.', 1)[-1]}"
    return factory


# Built-in judges, registered lazily; a new judge is one file that registers itself.
for _name in ("oracle", "refusal", "format", "proxy"):
    JUDGES.register(_name)(_lazy(f"r1safe.eval.judges.{_name}"))
JUDGES.register("guard_classifier")(_lazy("r1safe.guard.classifier"))
