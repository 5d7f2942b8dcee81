"""Think skipped: an empty think block (``<think>\\n\\n</think>``), which R1 sometimes emits."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "think_skipped", "share of replies whose think block is empty",
    value=lambda r: r.get("format/think_skipped", "oracle/think_skipped"), higher_is_better=False,
))
