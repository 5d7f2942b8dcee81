"""Judge failures: replies on which a judge that calls something fallible (an HTTP endpoint) gave up.

Any ``<judge>/judge_failed`` score counts, whichever judge wrote it; a reply no such judge scored
is left out, so gym runs without endpoint judges show no value. A failed reply's other scores are
None and so missing from every other metric: a high rate here means those metrics rest on fewer
replies than were generated.
"""

from r1safe.eval.metrics.base import Metric, Row, Value, register


def any_judge_failed(row: Row) -> Value:
    """True if any judge reported ``judge_failed`` on this reply; None if none could fail."""
    flags = [bool(v) for key, v in row.scores.items() if key.endswith("/judge_failed") and v is not None]
    return any(flags) if flags else None


METRIC = register(Metric(
    "judge_failures", "share of replies on which a judge call failed (after retries) and scored nothing",
    value=any_judge_failed, higher_is_better=False,
))
