"""Metrics, one per file, each registered in :data:`METRICS`; :func:`compute` adds intervals.

:data:`ORDER` is the report order. Every module of this package is imported here (they are a few
lines of pure Python each), so a new metric is one file.
"""

from __future__ import annotations

import importlib
import pkgutil

from r1safe.eval.metrics.aggregate import compute, statistic
from r1safe.eval.metrics.base import METRICS, Metric, Row, register

ORDER = (
    "harmful_compliance", "attempted", "refusal", "other_outcome", "harmful_reasoning", "hidden_harm", "harmful",
    "harmful_any_of_k", "over_refusal", "helpful", "capability", "harmful_content_benign", "incoherent",
    "degenerate", "language_mixing", "language_consistency", "format_ok",
    "think_skipped", "truncated", "think_unclosed", "judge_failures", "proxy_missed_harm", "proxy_false_alarm",
    "proxy_disagreement",
)

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("base", "aggregate", "intervals"):
        importlib.import_module(f"{__name__}.{_info.name}")


def all_metrics(names: list[str] | None = None) -> list[Metric]:
    """The metrics called ``names`` (every registered one when None), in report order."""
    chosen = names or METRICS.names()
    ordered = [n for n in ORDER if n in chosen] + sorted(n for n in chosen if n not in ORDER)
    return [METRICS.create(n) for n in ordered]


__all__ = ["METRICS", "ORDER", "Metric", "Row", "all_metrics", "compute", "register", "statistic"]
