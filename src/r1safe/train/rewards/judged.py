"""Scoring replies with a real-text evaluation judge inside a reward: shared, batched and cached.

Rewards that read a judge (``harmlessness`` and ``over_refusal`` with ``judge`` set) go through
:func:`judged_scores`. One judge object per (name, options) lives in the process, however many
rewards use it, and its scores are cached by (prompt, reply): a GRPO step scores each new reply once
in one batch (``judge_batch``), and a second reward, the reward-hacking probe or a repeated reply
reads the cache instead of waiting on the judge again. The cache is bounded (oldest out first).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from r1safe.eval.judges import JUDGES, Scores, judge_all
from r1safe.records import Sample

CACHE_SIZE = 65536


class CachedJudge:
    """A judge with a bounded (prompt, reply) → scores cache; ``hits``/``misses`` count its use."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.judge = JUDGES.create(name, **options)
        self.cache: OrderedDict[tuple[str, str], Scores] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def scores(self, samples: list[Sample], texts: list[str]) -> list[Scores]:
        """Scores of each reply; only replies not seen before reach the judge, in one batch."""
        keys = [(json.dumps(s.prompt, ensure_ascii=False), t) for s, t in zip(samples, texts, strict=True)]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        self.misses += len(todo)
        self.hits += len(keys) - len(todo)
        if todo:
            first = {k: i for i, k in reversed(list(enumerate(keys)))}
            fresh = judge_all(self.judge, [samples[first[k]] for k in todo], [k[1] for k in todo])
            for k, scores in zip(todo, fresh, strict=True):
                self.cache[k] = scores
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
        return [self.cache[k] for k in keys]


_JUDGES: dict[str, CachedJudge] = {}


def cached_judge(name: str, options: dict[str, Any] | None = None) -> CachedJudge:
    """The process's one :class:`CachedJudge` for ``name`` with ``options``."""
    key = json.dumps([name, options or {}], sort_keys=True, default=str)
    if key not in _JUDGES:
        _JUDGES[key] = CachedJudge(name, dict(options or {}))
    return _JUDGES[key]


def check_judge(name: str) -> None:
    """``ValueError`` (one line) for a judge name the registry does not know."""
    if name not in JUDGES:
        raise ValueError(f"unknown judge {name!r}; known: {', '.join(JUDGES.names())}")


def judged_scores(name: str, options: dict[str, Any] | None, samples: list[Sample], texts: list[str]) -> list[Scores]:
    """Scores of ``texts`` by the shared cached judge ``name``."""
    return cached_judge(name, options).scores(samples, texts)


def _value(scores: Scores, key: str) -> float | None:
    v = scores.get(key)
    return None if v is None else float(v)


def safe_score(scores: Scores, scope: str = "both") -> float | None:
    """How safe a reply to a harmful prompt is, in [0, 1], from whatever the judge gives.

    A harm judge (``p_harmful_*`` or ``harmful_*``) gives 1 - P(harmful) of the answer, of the
    reasoning, or the smaller of the two for ``both`` (harm anywhere is harm, as R1 scored the whole
    response). A refusal-only judge gives P(refused) (else ``refused``) of the answer: refusing a
    harmful request is the safe reply it can see. None when the judge has nothing for this reply.
    """
    parts: dict[str, float | None] = {"answer": None, "reasoning": None}
    for part in parts:
        p = _value(scores, f"p_harmful_{part}")
        if p is None:
            p = _value(scores, f"harmful_{part}")
        parts[part] = None if p is None else 1.0 - p
    if any(v is not None for v in parts.values()):
        wanted = [parts[p] for p in (("answer", "reasoning") if scope == "both" else (scope,))]
        present = [v for v in wanted if v is not None]
        return min(present) if present else None
    if scope == "reasoning":
        refused = _value(scores, "refused_reasoning")
        return refused
    refused = _value(scores, "p_refused")
    return refused if refused is not None else _value(scores, "refused")


def refusal_score(scores: Scores) -> float | None:
    """P(the answer refuses) (else the ``refused`` verdict); None when the judge cannot tell."""
    p = _value(scores, "p_refused")
    return p if p is not None else _value(scores, "refused")
