"""Capability: exact accuracy on arithmetic (the safety tax): the gym's oracle, else the ``correctness`` judge."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "capability", "share of arithmetic replies whose answer is exactly right",
    value=lambda r: r.get("oracle/correct", "correctness/correct"), higher_is_better=True,
))
