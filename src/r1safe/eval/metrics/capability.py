"""Capability: exact accuracy on the arithmetic word problems (the safety tax)."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "capability", "share of arithmetic replies whose answer is exactly right",
    value=lambda r: r.get("oracle/correct"), higher_is_better=True,
))
