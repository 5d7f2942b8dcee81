"""Format: one well-formed think block followed by a non-empty answer."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "format_ok", "share of replies with a well-formed <think> block and an answer",
    value=lambda r: r.get("format/format_ok", "oracle/format_ok"), higher_is_better=True,
))
