"""Degenerate replies: repetition loops, empty answers, or no answer at all (``degenerate`` judge)."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "degenerate", "share of replies that loop, have an empty answer, or are cut off inside the think block",
    value=lambda r: r.get("degenerate/degenerate"), higher_is_better=False,
))
