"""Think unclosed: the model stopped (end of sequence) inside its think block, before any answer,
with budget to spare; a high rate under a forced ``<think>`` usually means a model that does not
reason in ``<think>`` at all (rerun with ``--no-force-think``)."""

from r1safe.eval.metrics.base import Metric, Row, Value, register
from r1safe.eval.metrics.truncated import unclosed


def _stopped_inside(r: Row) -> Value:
    open_ = unclosed(r)
    if open_ is None or r.finish_reason is None:
        return None
    return bool(open_) and r.finish_reason != "length"


METRIC = register(Metric(
    "think_unclosed", "share of replies that stopped (end of sequence) inside <think>, with no answer",
    value=_stopped_inside, higher_is_better=False,
))
