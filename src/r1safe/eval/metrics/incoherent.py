"""Incoherence: the reply holds text that is no sentence of the gym's language (oracle grammar)."""

from r1safe.eval.metrics.base import Metric, Row, Value, register


def _incoherent(row: Row) -> Value:
    value = row.get("oracle/coherent")
    return None if value is None else not value


METRIC = register(Metric(
    "incoherent", "share of replies whose answer or reasoning is not made of well-formed sentences",
    value=_incoherent, higher_is_better=False,
))
