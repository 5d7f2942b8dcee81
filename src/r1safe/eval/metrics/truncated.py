"""Truncated: the token budget ran out inside the think block, so the reply has no answer; a high
rate means raise the budget. Told apart from ``think_unclosed`` by the reply's finish reason."""

from r1safe.eval.metrics.base import Metric, Row, Value, register


def unclosed(r: Row) -> Value:
    """Did the reply leave its think block open (``format/truncated``: runs judged before the split)?"""
    return r.get("format/think_unclosed", "format/truncated")


def _truncated(r: Row) -> Value:
    open_ = unclosed(r)
    if open_ is None:
        return None
    if r.finish_reason is None:  # replies from a log without finish reasons: any open block
        return open_
    return bool(open_) and r.finish_reason == "length"


METRIC = register(Metric(
    "truncated", "share of replies cut by the token budget inside <think> (no answer)",
    value=_truncated, higher_is_better=False,
))
