"""R1's language-consistency score: the share of reasoning words in the prompt's language."""

from r1safe.eval.metrics.base import Metric, register

METRIC = register(Metric(
    "language_consistency", "mean share of reasoning words in the prompt's language",
    value=lambda r: r.get("format/language_consistency", "oracle/reasoning_language_share"),
    binary=False, higher_is_better=True,
))
