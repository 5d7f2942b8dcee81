"""Language mixing: the reasoning leaves the prompt's language (R1-Zero's readability defect)."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "language_mixing", "share of replies whose reasoning has words outside the prompt's language",
    value=lambda r: r.get("format/reasoning_mixed", "oracle/reasoning_mixed"), higher_is_better=False,
))
