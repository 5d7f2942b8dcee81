"""Truncated: the think block never closed (out of tokens); a high rate means raise max tokens."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "truncated", "share of replies whose think block never closes",
    value=lambda r: r.get("format/truncated"), higher_is_better=False,
))
