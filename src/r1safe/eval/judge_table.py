"""Each judge's own verdicts side by side, per split: where judges disagree, the reader sees it.

Metrics read one judge per score (see :data:`r1safe.eval.metrics.base.REFUSAL_JUDGES`); this
table keeps every judge's shares of the scores that several judges give (refused, harmful answer,
harmful reasoning, failed calls), so a run with patterns, a learned classifier and a guard model
shows all three. Shares are over the replies the judge scored, with Wilson 95% intervals over
replies.
"""

from __future__ import annotations

from typing import Any

from r1safe.eval.metrics.base import Row
from r1safe.eval.metrics.intervals import wilson

SHARED_SCORES = ("refused", "partial_refusal", "refused_reasoning", "harmful_answer", "harmful_reasoning",
                 "harmful", "judge_failed", "parse_failed")


def _share(values: list[bool]) -> dict[str, Any]:
    hits = sum(values)
    ci = wilson(hits, len(values))
    return {"value": hits / len(values), "n": len(values), "ci": list(ci) if ci else None}


def judge_table(rows: list[Row], judges: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{judge: {score: {"all": share, "by_split": {split: share}}}}`` for boolean shared scores."""
    splits = list(dict.fromkeys(r.split for r in rows))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for judge in judges:
        for score in SHARED_SCORES:
            key = f"{judge}/{score}"
            scored = [(r.split, bool(v)) for r in rows if isinstance(v := r.scores.get(key), bool)]
            if not scored:
                continue
            by_split = {s: _share(vals) for s in splits if (vals := [v for sp, v in scored if sp == s])}
            out.setdefault(judge, {})[score] = {"all": _share([v for _, v in scored]), "by_split": by_split}
    return out
